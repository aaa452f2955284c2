"""The twelve UK ITL1 regions, and organisation identifiers in org-id form."""

from __future__ import annotations

import re

#: Code → display name, in the order the ONS lists them.
REGIONS: dict[str, str] = {
    "NE": "North East",
    "NW": "North West",
    "YH": "Yorkshire and The Humber",
    "EM": "East Midlands",
    "WM": "West Midlands",
    "EE": "East of England",
    "LON": "London",
    "SE": "South East",
    "SW": "South West",
    "WAL": "Wales",
    "SCO": "Scotland",
    "NI": "Northern Ireland",
}

REGION_CHOICES: list[tuple[str, str]] = list(REGIONS.items())

#: Each region's official ONS GSS code, used wherever data leaves the app as 360Giving: the nine English
#: regions (E12) and the three other nations (W92, S92, N92).
REGION_GSS: dict[str, str] = {
    "NE": "E12000001",
    "NW": "E12000002",
    "YH": "E12000003",
    "EM": "E12000004",
    "WM": "E12000005",
    "EE": "E12000006",
    "LON": "E12000007",
    "SE": "E12000008",
    "SW": "E12000009",
    "WAL": "W92000004",
    "SCO": "S92000003",
    "NI": "N92000002",
}

#: org-id prefixes accepted, with the shape of the part after the prefix and a hint.
ORG_ID_SCHEMES: dict[str, tuple[re.Pattern[str], str]] = {
    "GB-SHPE": (re.compile(r"^[A-Z0-9]{4,8}$"), "a registered social housing provider, e.g. GB-SHPE-L0026"),
    "GB-COH": (re.compile(r"^(?:[0-9]{8}|[A-Z]{2}[0-9]{6})$"), "a company, e.g. GB-COH-01234567"),
    "GB-CHC": (re.compile(r"^[0-9]{6,7}$"), "a charity in England and Wales, e.g. GB-CHC-1234567"),
    "GB-SC": (re.compile(r"^SC[0-9]{6}$"), "a Scottish charity, e.g. GB-SC-SC012345"),
    "GB-MPR": (re.compile(r"^(?:[0-9]{4,6}R?|IP[0-9]{5}R?|RS[0-9]{6})$"), "a mutual, e.g. GB-MPR-12345R"),
}


def region_names(codes: list[str] | None) -> list[str]:
    """Display names for region codes, in canonical order; unknown codes are dropped."""
    wanted = set(codes or [])
    return [name for code, name in REGIONS.items() if code in wanted]


def normalise_regions(codes: list[str] | None) -> list[str]:
    """Region codes de-duplicated and in canonical order. Raises ValueError for an unknown code."""
    codes = list(codes or [])
    unknown = [c for c in codes if c not in REGIONS]
    if unknown:
        raise ValueError(f"Unknown region: {', '.join(sorted(set(map(str, unknown))))}.")
    wanted = set(codes)
    return [code for code in REGIONS if code in wanted]


def check_org_identifier(value: str | None) -> str | None:
    """Return the identifier upper-cased, or None when blank. Raises ValueError if the shape is wrong."""
    if value is None or not value.strip():
        return None
    text = value.strip().upper()
    for prefix, (pattern, _hint) in sorted(ORG_ID_SCHEMES.items(), key=lambda kv: -len(kv[0])):
        if text.startswith(prefix + "-"):
            if pattern.match(text[len(prefix) + 1 :]):
                return text
            raise ValueError(f"That does not look like {ORG_ID_SCHEMES[prefix][1]}.")
    raise ValueError(
        "Use the org-id form: GB-SHPE-… for a registered social housing provider, GB-COH-… company, "
        "GB-CHC-… charity, GB-SC-… Scottish charity, GB-MPR-… mutual."
    )
