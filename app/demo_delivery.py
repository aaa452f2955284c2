"""Demo data after the bid: last year's bid of the same 39 members, won, with the grants they have made.

Loaded beside the demo (``flask demo delivery``), through the one seeding path (app.seeding), so that the
outcome, the delivery dashboard and the 360Giving export have something real to show; the benchmarks use it
with many more grants.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from app.demo import CONVENOR_EMAIL, DEMO_PASSWORD, MEMBER_EMAIL, MEMBERS, _email_slug
from app.extensions import db
from app.infra import clock
from app.models import User
from app.regions import REGIONS
from app.seeding import Member, Seeding

#: Local authorities with their ONS GSS codes, and the region each is in.
PLACES = [
    ("Manchester", "E08000003", "NW"),
    ("Liverpool", "E08000012", "NW"),
    ("Leeds", "E08000035", "YH"),
    ("Sheffield", "E08000019", "YH"),
    ("Newcastle upon Tyne", "E08000021", "NE"),
    ("Birmingham", "E08000025", "WM"),
    ("Nottingham", "E06000018", "EM"),
    ("Norwich", "E07000148", "EE"),
    ("Hackney", "E09000012", "LON"),
    ("Brighton and Hove", "E06000043", "SE"),
    ("Bristol, City of", "E06000023", "SW"),
    ("Cardiff", "W06000015", "WAL"),
    ("Glasgow City", "S12000049", "SCO"),
    ("Belfast", "N09000003", "NI"),
]
GROUPS = [
    "Community Garden",
    "Youth Club",
    "Food Bank",
    "Lunch Club",
    "Tenants' Association",
    "Boxing Club",
    "Digital Skills Hub",
    "Men's Shed",
    "Parent and Toddler Group",
    "Arts Collective",
    "Repair Café",
    "Credit Union",
    "Wellbeing Walks",
    "Homework Club",
    "Community Choir",
]
AREAS = [
    "Ancoats",
    "Hulme",
    "Toxteth",
    "Chapeltown",
    "Byker",
    "Aston",
    "Sneinton",
    "Mile Cross",
    "Dalston",
    "Whitehawk",
    "Easton",
    "Splott",
    "Govan",
    "Ardoyne",
    "Moss Side",
    "Everton",
    "Harehills",
    "Walker",
]
PURPOSES = [
    "Running costs for a year of weekly sessions open to every resident.",
    "Equipment and volunteer training so that the group can open on more days.",
    "A summer programme for children and young people on the estate.",
    "Heating and lighting for the community room through the winter.",
]


def seed_delivery(grants: int = 400, *, seed: int = 19) -> list[str]:
    """Add the won bid and ``grants`` grants to the loaded demo (the caller commits); say what was made."""
    convenor = db.session.scalar(sa.select(User).where(User.email == CONVENOR_EMAIL))
    if convenor is None:
        raise LookupError("Load the demo first (flask demo seed).")
    rng = random.Random(seed)
    now = clock.now()
    start = now - timedelta(days=420)
    deadline = start + timedelta(days=14)
    with Seeding(DEMO_PASSWORD) as seeding:
        bid = seeding.bid(
            convenor,
            start,
            {
                "title": "Neighbourhood Match Fund 2025 consortium bid",
                "funder_name": "Department for Communities",
                "scheme": "Neighbourhood Match Fund 2025",
                "summary": "Last year's consortium bid: match funding for grants to local groups.",
                "terms": "Pledges are match funding for grants to community groups, spent within 12 months.",
                "target_pence": 500_000_000,
                "target_homes": 1_000_000,
                "deadline": deadline,
            },
            opened_at=start + timedelta(hours=1),
        )
        members = [
            Member(
                organisation={"name": name},
                email=MEMBER_EMAIL if i == 0 else f"pledges@{_email_slug(name)}.example.org",
                person="Alex Member" if i == 0 else f"{name} pledge lead",
                invited_at=start + timedelta(hours=2),
                accepted_at=start + timedelta(hours=6 + i),
                pledges=[
                    (
                        start + timedelta(days=2, hours=i),
                        {
                            "amount_pence": rng.randrange(5_000_000, 25_000_000, 500_000),
                            "homes": rng.randrange(2000, 40_000),
                            "regions": [region],
                            "statement": "Grants to local groups.",
                            "status": "confirmed",
                        },
                    )
                ],
            )
            for i, (name, region) in enumerate(MEMBERS)
        ]
        people = list(seeding.consortium(convenor, bid, members).values())
        awarded = deadline + timedelta(days=50)
        seeding.after_the_bid(
            convenor,
            bid,
            closed=deadline,
            submitted=deadline + timedelta(days=2),
            decided=awarded,
            outcome={
                "result": "won",
                "amount_awarded_pence": 480_000_000,
                "award_date": awarded.date(),
                "grant_reference": "NMF-2025-0117",
                "conditions": "Grants to community groups; report by region.",
                "spend_by": (awarded + timedelta(days=365)).date(),
                "grants_due_by": (awarded + timedelta(days=120)).date(),
            },
        )
        for i in range(grants):
            seeding.grant(
                people[i % len(people)],
                bid,
                awarded + timedelta(days=1 + i * 300 // max(grants, 1)),
                _grant_values(i, rng, awarded.date()),
            )
    return [f"Delivery demo loaded: {bid.title}, won, with {grants:,} grants by {len(people)} members."]


def _grant_values(i: int, rng: random.Random, awarded: date) -> dict:
    place, gss, region = PLACES[i % len(PLACES)]
    area = AREAS[i % len(AREAS)]
    amount = rng.randrange(50_000, 2_500_000, 5_000)
    values = {
        "recipient_name": f"{area} {GROUPS[(i // len(AREAS)) % len(GROUPS)]}",
        "amount_pence": amount,
        "funder_pence": amount // 2 if i % 2 else 0,
        "award_date": awarded + timedelta(days=1 + (i * 7) % 300),
        "title": f"{GROUPS[(i // len(AREAS)) % len(GROUPS)]} grant",
        "description": PURPOSES[i % len(PURPOSES)],
        "planned_start": awarded + timedelta(days=30),
        "planned_end": awarded + timedelta(days=395),
        "location_name": place if i % 3 else "",
        "location_gss": gss if i % 3 else None,
        "region": region if i % 5 else list(REGIONS)[i % 12],
    }
    if i % 4 == 0:
        values["recipient_charity_number"] = f"{1_000_000 + (i * 37) % 999_999:07d}"
    elif i % 9 == 0:
        values["recipient_company_number"] = f"{(i * 7919) % 10_000_000:08d}"
    return values
