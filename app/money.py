"""Money: parse what people type into integer pence, and format pence as GBP with Babel."""

from __future__ import annotations

import functools
import re

from babel.numbers import format_currency

from app.text import EN_GB

#: The largest amount a single pledge or target may hold: £10 billion.
MAX_PENCE = 10_000_000_000 * 100

_AMOUNT = re.compile(r"^(?P<pounds>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<pence>\d*))?$")


def split_evenly(amount: int, parts: int) -> list[int]:
    """Split an integer into ``parts`` integers that add up to it exactly (the first take the remainder)."""
    if parts <= 0:
        return []
    base, extra = divmod(amount, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class MoneyError(ValueError):
    """An amount that cannot be read as pounds and pence; the message says why."""


def parse_pounds(text: str | None, *, allow_zero: bool = False) -> int:
    """Read ``£1,250,000``, ``1250000`` or ``1,250,000.50`` as integer pence.

    Raises MoneyError with a message fit to show beside the field.
    """
    if text is None or not str(text).strip():
        raise MoneyError("Enter an amount in pounds, for example £250,000.")
    raw = str(text).strip().replace(" ", "").replace("\u00a0", "")
    if raw.startswith("-") or raw.startswith("(") or "£-" in raw:
        raise MoneyError("The amount cannot be negative.")
    if raw.startswith("£"):
        raw = raw[1:]
    if raw.lower().endswith("gbp"):
        raw = raw[:-3]
    match = _AMOUNT.match(raw)
    if not match:
        if re.fullmatch(r"[\d,]*\.\d{3,}", raw):
            raise MoneyError("Use at most two decimal places (pence).")
        raise MoneyError("Enter the amount as a number of pounds, for example £250,000 or 250000.50.")
    pence_text = match.group("pence") or ""
    if len(pence_text) > 2:
        raise MoneyError("Use at most two decimal places (pence).")
    pounds = int(match.group("pounds").replace(",", ""))
    pence = pounds * 100 + int(pence_text.ljust(2, "0") or "0")
    if pence == 0 and not allow_zero:
        raise MoneyError("The amount must be more than £0.")
    if pence > MAX_PENCE:
        raise MoneyError("That amount is too large: the most one figure can hold is £10,000,000,000.")
    return pence


@functools.lru_cache(maxsize=8192)  # Babel is slow and a live dashboard formats the same figures again and again
def format_pence(pence: int | None, *, show_pence: bool | None = None) -> str:
    """Format integer pence as GBP: ``£6,250,000`` or ``£1,250,000.50``.

    Whole pounds are shown without pence unless ``show_pence`` is True.
    """
    if pence is None:
        return "—"
    if show_pence is None:
        show_pence = pence % 100 != 0
    pattern = "¤#,##0.00" if show_pence else "¤#,##0"
    # Babel takes a Decimal-like value; build it from integers so no float is involved.
    sign = "-" if pence < 0 else ""
    whole, rem = divmod(abs(pence), 100)
    from decimal import Decimal

    value = Decimal(f"{sign}{whole}.{rem:02d}")
    return format_currency(value, "GBP", format=pattern, locale=EN_GB, currency_digits=False)


def pence_to_pounds_text(pence: int | None) -> str:
    """The plain form that goes back into an input box: ``1250000`` or ``1250000.50``."""
    if pence is None:
        return ""
    whole, rem = divmod(pence, 100)
    return f"{whole:,}" if rem == 0 else f"{whole:,}.{rem:02d}"
