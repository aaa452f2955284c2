"""A realistic demo: a convening body, an open bid of 39 members (1.1 million homes, £6.25 million), a draft.

Its history (invitations sent and answered, pledges made, amended and confirmed over the bid's two weeks) is
played through the services by ``app.seeding``, so every revision, audit row and live event is theirs.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta

from app.demo_returns import seed_returns
from app.infra import clock
from app.regions import REGIONS
from app.seeding import Member, Seeding

DEMO_PASSWORD = "demo-pledge-2026"  # noqa: S105  (printed by make run; demo data only)
CONVENOR_EMAIL = "convenor@example.org"
MEMBER_EMAIL = "member@example.org"
#: a removed colleague of the first member organisation, for ``flask users erase``
FORMER_EMAIL = "former@example.org"

MEMBERS = [
    ("Riverside Homes", "NW"),
    ("Northmoor Housing Group", "NE"),
    ("Peak & Dale Homes", "EM"),
    ("Severn Vale Housing", "SW"),
    ("Thameside Living", "LON"),
    ("Castlegate Housing Association", "YH"),
    ("Harbour Light Homes", "SE"),
    ("Fenland Community Housing", "EE"),
    ("Black Country Homes", "WM"),
    ("Grŵp Cynefin", "WAL"),  # Welsh names must print as themselves in the bid pack
    ("Clyde Valley Housing", "SCO"),
    ("Lagan Homes", "NI"),
    ("Pennine Housing Trust", "YH"),
    ("Wessex Community Homes", "SW"),
    ("Chiltern Edge Housing", "SE"),
    ("Mersey Bank Housing", "NW"),
    ("Tyne & Wear Homes Partnership", "NE"),
    ("Sherwood Homes", "EM"),
    ("Arden Housing Association", "WM"),
    ("Broadland Housing Co-operative", "EE"),
    ("Lea Valley Homes", "LON"),
    ("Downs & Weald Housing", "SE"),
    ("Cornish Coast Housing", "SW"),
    ("Forth Housing Association", "SCO"),
    ("Gwent Valleys Homes", "WAL"),
    ("Humber Estuary Housing", "YH"),
    ("Lakeland Homes", "NW"),
    ("Marches Housing Group", "WM"),
    ("Solent Homes", "SE"),
    ("Trent & Soar Housing", "EM"),
    ("Wolds Community Homes", "YH"),
    ("Medway Housing Society", "SE"),
    ("Tamar Homes", "SW"),
    ("Kennet Housing", "SE"),
    ("Ouse Valley Homes", "EE"),
    ("Cheviot Housing", "NE"),
    ("Brent Cross Community Housing", "LON"),
    ("Deeside Homes", "WAL"),
    ("Mourne Housing Co-operative", "NI"),
]
NOT_ANSWERED = ["Fairhaven Homes", "Greenway Housing Trust", "Avonside Living"]
MIN_PLEDGE = 2_500_000
DECLINED = "Millbrook Housing Association"
STATEMENTS = [
    "Small grants of £1,000 to £10,000 for tenant-led community groups: food clubs, youth sport, and warm spaces "
    "through the winter.",
    "Match funding for local charities tackling fuel poverty and digital exclusion on our estates, chosen with "
    "our tenants' panel.",
    "A community chest for grassroots groups in the neighbourhoods we serve, with a focus on older residents "
    "living alone.",
    "Grants for employment and skills projects run by local charities, including ESOL classes and "
    "apprenticeship support.",
]


def _spread(total: int, parts: int, rng: random.Random, *, unit: int, least: int = 0) -> list[int]:
    """``parts`` positive multiples of ``unit`` (at least ``least``) adding up to ``total`` exactly, unevenly
    like real pledges."""
    weights = [rng.paretovariate(1.6) for _ in range(parts)]
    scale = sum(weights)
    values = [max(unit, least, int(total * w / scale) // unit * unit) for w in weights]
    values[0] += total - sum(values)
    return values


def _email_slug(name: str) -> str:
    """ASCII letters and digits of a name, accents folded (Grŵp Cynefin → grwpcynefin), for demo addresses."""
    folded = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded if ch.isalnum())[:20]


def _history(index: int, final: dict, joined: datetime, now: datetime, rng: random.Random) -> list:
    """The saves that end at ``final``: some members pledged indicatively and confirmed later, some raised
    their amount, the rest pledged once."""
    at = joined + timedelta(hours=2 + rng.randint(0, 30))
    later = at + (now - at) * rng.uniform(0.3, 0.9)
    if final["status"] == "confirmed" and index % 2 == 0:
        return [(at, {**final, "status": "indicative"}), (later, final)]
    if index % 5 == 1:
        first = max(MIN_PLEDGE, final["amount_pence"] * 4 // 5 // 500_000 * 500_000)
        return [(at, {**final, "amount_pence": first}), (later, final)]
    return [(at, final)]


def seed_demo() -> list[str]:
    """Create the demo data in the session (the caller commits) and say what was made."""
    rng = random.Random(20)
    now = clock.now()
    opened = now - timedelta(days=10)
    with Seeding(DEMO_PASSWORD) as seeding:
        convenor = seeding.convening_body(
            opened - timedelta(days=3),
            {"name": "Community Housing Alliance", "regions": list(REGIONS), "website": "https://example.org"},
            email=CONVENOR_EMAIL,
            name="Sam Convenor",
        )
        convening = convenor.organisation
        bid = seeding.bid(
            convenor,
            opened - timedelta(hours=2),
            {
                "title": "Community Match Fund consortium bid",
                "funder_name": "Department for Communities",
                "scheme": "Community Match Fund 2026",
                "summary": "Thirty-nine social landlords, housing over a million households between them, commit "
                "match funding for grants to local community groups and charities.\n\nEvery pound pledged here "
                "is matched by the scheme and spent in the neighbourhoods our members serve.",
                "terms": "Pledges are match funding for grants to community groups and charities in the member's "
                "areas, payable within 12 months of the award. Indicative pledges must be confirmed by the "
                "member's board before the deadline.",
                "target_pence": 600_000_000,
                "target_homes": 1_000_000,
                "min_pledge_pence": MIN_PLEDGE,
                "min_total_pence": 500_000_000,
                "min_members": 25,
                "deadline": now + timedelta(days=4, hours=5),
                "show_amounts": False,
            },
            opened_at=opened,
        )
        seeding.bid(
            convenor,
            now - timedelta(days=1),
            {
                "title": "Warm Homes community fund",
                "funder_name": "The Community Energy Trust",
                "scheme": "Warm Homes 2027",
                "summary": "A draft for next year's scheme.",
                "terms": "To be agreed.",
                "target_pence": 250_000_000,
                "target_homes": 400_000,
                "deadline": now + timedelta(days=60),
            },
        )

        amounts = _spread(625_000_000, len(MEMBERS), rng, unit=500_000, least=MIN_PLEDGE)
        homes = _spread(1_104_000, len(MEMBERS), rng, unit=100)
        codes = list(REGIONS)
        invited = opened + timedelta(minutes=20)
        members = []
        for index, ((name, region), amount, home_count) in enumerate(zip(MEMBERS, amounts, homes, strict=True)):
            joined = opened + timedelta(hours=4 + index * 5)
            regions = sorted({region, *([codes[(index * 7) % 12]] if index % 4 == 0 else [])}, key=codes.index)
            final = {
                "amount_pence": amount,
                "homes": home_count,
                "regions": regions,
                "statement": STATEMENTS[index % len(STATEMENTS)],
                "status": "confirmed" if index % 3 else "indicative",
            }
            profile = {
                "name": name,
                "identifier": f"GB-SHPE-L{4100 + index:04d}",
                "homes_owned": home_count + rng.randint(0, 3000),
                "regions": [region],
            }
            members.append(
                Member(
                    organisation=profile,
                    email=MEMBER_EMAIL if index == 0 else f"pledges@{_email_slug(name)}.example.org",
                    person="Alex Member" if index == 0 else f"{name} pledge lead",
                    invited_at=invited,
                    accepted_at=joined,
                    pledges=_history(index, final, joined, now, rng),
                )
            )
        for name in [*NOT_ANSWERED, DECLINED]:
            members.append(
                Member(
                    organisation={"name": name},
                    email=f"contact@{_email_slug(name)}.example.org",
                    person=f"{name} contact",
                    invited_at=invited + timedelta(days=1),  # a second list, the next morning
                    declined_at=opened + timedelta(days=2) if name == DECLINED else None,
                    decline_reason="Our board has committed this year's community budget already.",
                )
            )
        joined = seeding.consortium(convenor, bid, members)
        returns_lines = seed_returns(convenor, list(joined.values()))
        # Someone who has since left the first member organisation: a manager can erase them (see README).
        seeding.former_colleague(
            seeding.users[MEMBER_EMAIL], opened - timedelta(days=30), email=FORMER_EMAIL, name="Jo Former"
        )
    total = sum(amounts)
    return [
        f"Demo loaded: {convening.name} with an open bid of {len(MEMBERS)} members, "
        f"{sum(homes):,} homes and £{total // 100:,} pledged, plus a draft bid.",
        f"  Convenor login: {CONVENOR_EMAIL} / {DEMO_PASSWORD}",
        f"  Member login:   {MEMBER_EMAIL} / {DEMO_PASSWORD}  ({MEMBERS[0][0]})",
        *returns_lines,
    ]
