"""Column types shared by the models: aware UTC datetimes and the clock."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from app.infra import clock


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, from the app's clock (so rows written inside ``clock.frozen`` are
    stamped with the frozen moment, as the services' own times are). Pass this callable as a default."""
    return clock.now()


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database: naive values are refused, results are always aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_class) -> sa.Enum:
    """A portable enum column that stores the members' values (``"open"``), not their names."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )
