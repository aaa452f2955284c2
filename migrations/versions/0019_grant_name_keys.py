"""grants: recipients' name keys folded as the directory folds names (directory_names.duplicate_key)

The grants' ``recipient_key`` was folded by a normaliser of its own (accents dropped, "the", "CIC", "of"…
removed). It is now the directory's duplicate key, so one group is flagged as a possible duplicate the same way
in the directory and in the grants. No column changes: the stored keys are recomputed, and on the way down
recomputed the old way (that folding is kept here, frozen, for the downgrade only).

Revision ID: 0019_grant_name_keys
Revises: 0019_file_storage
Create Date: 2026-12-02 05:00:00

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa

from app.services.directory_names import duplicate_key


revision = "0019_grant_name_keys"
down_revision = "0019_file_storage"
branch_labels = None
depends_on = None

GRANTS = sa.table("grants", sa.column("id", sa.Integer), sa.column("recipient_name"), sa.column("recipient_key"))
BATCH = 1_000
_OLD_STOP = re.compile(r"\b(the|ltd|limited|cic|cio|inc|and|of)\b")


def _old_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(_OLD_STOP.sub(" ", text).split())[:200]


def _rekey(fold) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(GRANTS.c.id, GRANTS.c.recipient_name, GRANTS.c.recipient_key)).all()
    changed = [
        {"grant_id": grant_id, "key": fold(name)} for grant_id, name, key in rows if fold(name) != key
    ]
    update = (
        sa.update(GRANTS).where(GRANTS.c.id == sa.bindparam("grant_id")).values(recipient_key=sa.bindparam("key"))
    )
    for start in range(0, len(changed), BATCH):
        bind.execute(update, changed[start : start + BATCH])


def upgrade():
    _rekey(lambda name: duplicate_key(name)[:200])


def downgrade():
    _rekey(_old_key)
