"""A grant's values: checked and cleaned the same way for the form, the API and an import.

Raises ValidationFailed with a message per field (nested names: ``recipient.name``, ``location.gss_code``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from app.money import MAX_PENCE
from app.regions import REGIONS, check_org_identifier
from app.services.errors import require
from app.text import check_one_line

MAX_DESCRIPTION = 5_000
#: An ONS GSS code's shape: a nation letter and eight digits.
GSS_SHAPE = re.compile(r"^[ENSW][0-9]{8}$")
#: The code type of a GSS code, by its first three characters (the 360Giving codelist's values).
GSS_TYPES: dict[str, str] = {
    **dict.fromkeys(("E06", "E07", "E08", "E09", "W06", "S12", "N09"), "LAD"),
    "E12": "RGN",
    "E92": "CTRY",
    "W92": "CTRY",
    "S92": "CTRY",
    "N92": "CTRY",
}
#: Charity numbers: England and Wales (6-7 digits, with an optional -N suffix for a linked charity),
#: Scotland (SC + 6 digits), Northern Ireland (NIC + 6 digits).
CHARITY_SHAPES = (
    re.compile(r"^[0-9]{6,7}(?:-[0-9]{1,2})?$"),
    re.compile(r"^SC[0-9]{6}$"),
    re.compile(r"^NIC[0-9]{6}$"),
)
COMPANY_SHAPE = re.compile(r"^(?:[0-9]{8}|[A-Z]{2}[0-9]{6})$")
EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[A-Za-z]{2,}")


def gss_type(code: str | None) -> str | None:
    """The code type (LAD, RGN, CTRY) of a GSS code, or None when the app knows no type for its prefix."""
    return GSS_TYPES.get(code[:3]) if code else None


def find_email(text: str | None) -> str | None:
    """The first email address in ``text``, if any (personal data: never published)."""
    match = EMAIL.search(text or "")
    return match.group(0) if match else None


def validate_grant(values: dict[str, Any]) -> dict[str, Any]:
    """Check a whole grant (flat field names, as ``GRANT_FIELDS``); return it cleaned."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    def text(name: str, label: str, limit: int, *, required: bool, one_line: bool = True) -> None:
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                fail(name, f"Enter the {label}.")
            clean[name] = "" if not required else None
            return
        if not isinstance(value, str):
            fail(name, f"The {label} must be text.")
            return
        try:
            value = check_one_line(value, label) if one_line else value.replace("\x00", "").strip()
        except ValueError as exc:
            fail(name, str(exc))
            return
        if len(value) > limit:
            fail(name, f"The {label} must be {limit:,} characters or fewer.")
        elif (address := find_email(value)) is not None:
            fail(
                name,
                f"Remove the email address ({address}): grants data is published, and must hold no personal details.",
            )
        else:
            clean[name] = value

    def pence(name: str, label: str, *, required: bool, low: int) -> None:
        value = values.get(name)
        if value is None:
            if required:
                fail(name, f"Enter the {label}.")
            clean[name] = None
        elif isinstance(value, bool) or not isinstance(value, int):
            fail(name, f"The {label} must be a whole number of pence, e.g. 500000 for £5,000.")
        elif value < low:
            fail(name, f"The {label} must be more than £0." if low else f"The {label} cannot be negative.")
        elif value > MAX_PENCE:
            fail(name, f"The {label} is too large.")
        else:
            clean[name] = value

    def day(name: str, label: str, *, required: bool) -> None:
        value = values.get(name)
        if value is None:
            if required:
                fail(name, f"Enter the {label}.")
            clean[name] = None
        elif not isinstance(value, date) or isinstance(value, datetime):
            fail(name, f"Enter the {label} as a date, e.g. 2026-03-31.")
        elif not date(2000, 1, 1) <= value <= date(2100, 12, 31):
            fail(name, f"The {label} must be between 2000 and 2100.")
        else:
            clean[name] = value

    text("recipient_name", "recipient's name", 200, required=True)
    text("title", "grant's title", 200, required=True)
    text("description", "grant's purpose", MAX_DESCRIPTION, required=True, one_line=False)
    text("location_name", "local authority", 200, required=False)
    pence("amount_pence", "amount", required=True, low=1)
    pence("funder_pence", "funder's money", required=False, low=0)
    pence("match_pence", "match funding", required=False, low=0)
    day("award_date", "award date", required=True)
    day("planned_start", "planned start date", required=False)
    day("planned_end", "planned end date", required=False)
    _numbers(values, clean, fail)
    _location(values, clean, fail)

    amount, funder, match = clean.get("amount_pence"), clean.get("funder_pence"), clean.get("match_pence")
    if amount is not None and "funder_pence" not in errors and "match_pence" not in errors:
        if funder is None and match is None:
            clean["funder_pence"], clean["match_pence"] = 0, amount
        elif funder is None:
            clean["funder_pence"] = amount - match
        elif match is None:
            clean["match_pence"] = amount - funder
        if (
            clean["funder_pence"] < 0
            or clean["match_pence"] < 0
            or clean["funder_pence"] + clean["match_pence"] != amount
        ):
            fail("match_pence", "The funder's money and the match funding must add up to the amount.")
    start, end = clean.get("planned_start"), clean.get("planned_end")
    if start and end and end < start:
        fail("planned_end", "The planned end cannot be before the planned start.")
    require(errors)
    return clean


def _numbers(values: dict[str, Any], clean: dict[str, Any], fail) -> None:
    """The recipient's charity and company numbers and other org-id: none is required (small groups have none)."""
    for name, label, shapes, example in (
        ("recipient_charity_number", "charity number", CHARITY_SHAPES, "1234567, SC012345 or NIC100001"),
        ("recipient_company_number", "company number", (COMPANY_SHAPE,), "01234567 or SC123456"),
    ):
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            clean[name] = None
            continue
        if not isinstance(value, str):  # a number would lose its leading zeros: 01234567 is not 1234567
            fail(name, f"The {label} must be text, with any leading zeros kept.")
            continue
        value = value.strip().upper().replace(" ", "")
        if not any(shape.match(value) for shape in shapes):
            fail(name, f"That does not look like a {label}, e.g. {example}.")
        else:
            clean[name] = value
    value = values.get("recipient_identifier")
    if value is None or (isinstance(value, str) and not value.strip()):
        clean["recipient_identifier"] = None
    elif not isinstance(value, str):
        fail("recipient_identifier", "The organisation identifier must be text.")
    else:
        try:
            clean["recipient_identifier"] = check_org_identifier(value)
        except ValueError as exc:
            fail("recipient_identifier", str(exc))


def _location(values: dict[str, Any], clean: dict[str, Any], fail) -> None:
    code = values.get("location_gss")
    if code is None or (isinstance(code, str) and not code.strip()):
        clean["location_gss"] = None
    elif not isinstance(code, str) or not GSS_SHAPE.match(code.strip().upper()):
        fail("location_gss", "A GSS code is a letter E, N, S or W and eight digits, e.g. E08000003.")
    elif gss_type(code.strip().upper()) is None:
        fail(
            "location_gss",
            "Use the code of a local authority district (E06–E09, W06, S12 or N09), a region "
            "(E12) or a nation: the app cannot say what kind of place this code is.",
        )
    else:
        clean["location_gss"] = code.strip().upper()
    if clean.get("location_gss") and not (clean.get("location_name") or "").strip():
        fail("location_name", "Enter the name of the place the GSS code stands for.")
    region = values.get("region")
    if region in (None, ""):
        clean["region"] = None
    elif region not in REGIONS:
        fail("region", "Choose one of the twelve regions.")
    else:
        clean["region"] = region


def recipient_org_id(identifier: str | None, charity: str | None, company: str | None) -> str | None:
    """The recipient's org-id from what the member entered: its own org-id, else one built from the charity
    number (GB-CHC, GB-SC, GB-NIC by the number's shape) or the company number (leading zeros kept); None for
    a group with neither."""
    if identifier:
        return identifier
    if charity:
        if charity.startswith("SC"):
            return f"GB-SC-{charity}"
        if charity.startswith("NI"):
            return f"GB-NIC-{charity.removeprefix('NIC').removeprefix('NI')}"
        return f"GB-CHC-{charity}"
    if company:
        return f"GB-COH-{company}"
    return None
