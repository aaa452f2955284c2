"""Deterministic sample bid packs with plausible (made-up) UK housing association members, for tests and benches."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

from app.money import format_pence
from app.pdf.data import PackData, PackMember, PackThreshold, PackTimelinePoint
from app.regions import REGIONS

PLACES = [
    "Aire Valley",
    "Alnwick",
    "Arun",
    "Ashby",
    "Avonside",
    "Barnsdale",
    "Bede",
    "Berwick",
    "Blackwater",
    "Bowland",
    "Brecon",
    "Brent Valley",
    "Bridgewater",
    "Calder",
    "Cam",
    "Cheviot",
    "Clyde",
    "Colne",
    "Cotswold",
    "Crane",
    "Dart",
    "Derwent",
    "Don Valley",
    "Dove",
    "Eden",
    "Erewash",
    "Esk",
    "Exe",
    "Fenland",
    "Forth",
    "Foyle",
    "Glendale",
    "Gower",
    "Hadrian",
    "Hallam",
    "Holme",
    "Humber",
    "Irwell",
    "Kennet",
    "Kingsmead",
    "Lagan",
    "Lea Valley",
    "Lune",
    "Medway",
    "Mendip",
    "Mersey",
    "Nene",
    "Ouse",
    "Pennine",
    "Ribble",
    "Riverside",
    "Severn",
    "Solent",
    "Stour",
    "Tamar",
    "Tees",
    "Teifi",
    "Test Valley",
    "Thames Reach",
    "Trent",
    "Tweed",
    "Tyne",
    "Usk",
    "Wear",
    "Weaver",
    "Wensum",
    "Wey",
    "Wharfe",
    "Windrush",
    "Wye",
    "Yare",
]
QUALIFIERS = ["", "", "", "City", "Coast", "Rural", "Borough", "Community", "Vale", "Garden"]
KINDS = [
    "Housing Association",
    "Homes",
    "Housing Group",
    "Housing Trust",
    "Housing",
    "Housing Co-operative",
    "Living",
    "Homes Partnership",
]
USES = [
    "small grants of up to £5,000 for tenant-led community groups",
    "a warm spaces programme in community centres through the winter",
    "money advice and help with energy bills for households in fuel poverty",
    "youth clubs and holiday activities in neighbourhoods with nothing for young people to do",
    "community food pantries run with local food banks",
    "digital inclusion: devices, data and help for older residents",
    "employment support and apprenticeships with local colleges",
    "green spaces, community gardens and tree planting on our estates",
    "mental health and wellbeing groups run by local charities",
    "projects chosen by residents through participatory budgeting",
]


def _statement(rng: random.Random, name: str, homes: int) -> str:
    picks = rng.sample(USES, rng.randint(2, 4))
    first = (
        f"{name} will use its match funding for {picks[0]}, and for {picks[1]}. "
        f"Our {homes:,} homes sit in neighbourhoods where local charities have seen demand rise sharply."
    )
    rest = [
        f"We will also fund {use}, working with partners we already know and trust. "
        "Grants will be decided by a panel that includes residents, and we will report to the funder each quarter."
        for use in picks[2:]
    ]
    closing = "Every pound pledged is already earmarked in our community investment budget for the next two years."
    return "\n\n".join([first, *rest, closing])


def _names(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    names: list[str] = []
    while len(names) < n:
        place = rng.choice(PLACES)
        if rng.random() < 0.12:
            place = f"{place} & {rng.choice(PLACES)}"
        name = " ".join(part for part in (place, rng.choice(QUALIFIERS), rng.choice(KINDS)) if part)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def make_pack(
    n_members: int = 39,
    seed: int = 20260720,
    *,
    names: list[str] | None = None,
    statements: list[str] | None = None,
    target_pence: int = 625_000_000,
) -> PackData:
    """A PackData of ``n_members`` realistic members; the same seed gives the same pack.

    ``names`` and ``statements`` replace the first members' names and statements (for hostile input).
    """
    rng = random.Random(seed)
    opened = datetime(2026, 7, 20, 9, 0, tzinfo=UTC)
    deadline = datetime(2026, 8, 14, 16, 0, tzinfo=UTC)
    member_names = _names(rng, n_members)
    for i, name in enumerate((names or [])[:n_members]):
        member_names[i] = name
    region_names = list(REGIONS.values())
    members: list[PackMember] = []
    events: list[tuple[datetime, int]] = []
    for i, name in enumerate(member_names):
        homes = rng.choice([rng.randint(400, 3_000), rng.randint(3_000, 20_000), rng.randint(20_000, 75_000)])
        amount = int(max(1_000, round(homes * rng.uniform(4.0, 13.0), -3))) * 100
        if rng.random() < 0.1:
            amount += rng.randint(1, 99)  # a few pledges with pence
        k = 12 if rng.random() < 0.03 else rng.choice([1, 1, 1, 2, 2, 3, 4])
        chosen = set(rng.sample(region_names, k))
        regions = tuple(r for r in region_names if r in chosen)
        pledged = opened + timedelta(minutes=rng.randint(60, 14 * 24 * 60))
        updated = pledged + timedelta(minutes=rng.randint(0, 3 * 24 * 60)) if rng.random() < 0.3 else pledged
        if updated != pledged:  # an amendment: first pledged a different amount
            first = max(100_000, amount + rng.choice([-1, 1]) * (amount // 500_000) * 100_000)
            events += [(pledged, first), (updated, amount - first)]
        else:
            events.append((pledged, amount))
        has_letter = rng.random() < 0.75
        statement = statements[i] if statements and i < len(statements) else _statement(rng, name, homes)
        members.append(
            PackMember(
                organisation_name=name,
                identifier=f"GB-SHPE-{rng.choice('LH')}{rng.randint(1, 4999):04d}" if rng.random() < 0.9 else None,
                regions=regions,
                homes=homes,
                amount_pence=amount,
                status="confirmed" if rng.random() < 0.82 else "indicative",
                statement=statement,
                pledged_at=pledged,
                updated_at=updated,
                letter_sha256=hashlib.sha256(f"letter:{name}".encode()).hexdigest() if has_letter else None,
                letter_filename=f"letter-of-commitment-{i + 1}.pdf" if has_letter else None,
                in_grace=False,
            )
        )
    running = 0
    timeline = []
    for at, delta in sorted(events, key=lambda e: e[0]):
        running += delta
        timeline.append(PackTimelinePoint(at, running))
    total = sum(m.amount_pence for m in members)
    thresholds = (
        PackThreshold(
            "Minimum total match funding", format_pence(500_000_000), format_pence(total), total >= 500_000_000
        ),
        PackThreshold("Minimum number of member organisations", "20", str(len(members)), len(members) >= 20),
        PackThreshold(
            "Pledges confirmed by the deadline",
            "75% of the total",
            f"{100 * sum(m.amount_pence for m in members if m.status == 'confirmed') / max(total, 1):.1f}%",
            sum(m.amount_pence for m in members if m.status == "confirmed") * 4 >= total * 3,
        ),
    )
    return PackData(
        bid_id=7,
        bid_title="Communities First: a housing consortium bid for the Community Match Fund",
        scheme="Community Match Fund 2026",
        funder_name="Department for Communities and Neighbourhoods",
        convenor_name="Northern Housing Consortium",
        case=(
            "Social landlords are rooted in the places they serve. Between them, the members of this consortium "
            "own and manage homes in every region of the UK, and they already invest in the community groups "
            "and charities around those homes.\n\n"
            "This bid brings that investment together. Each member has earmarked match funding for grants to "
            "local groups, and each has said, in its own words, what the money will do. Pooling the pledges "
            "means one bid, one set of reporting, and a scale no single landlord could reach.\n\n"
            "The consortium was convened in under two weeks of the scheme's announcement, and the pledges in "
            "this pack are backed by letters of commitment from the members' boards."
        ),
        terms=(
            "Members pledge match funding for grants to community groups and charities in the areas where they "
            "own homes. A confirmed pledge has the approval of the member's board or delegated officer."
        ),
        target_pence=target_pence,
        target_homes=1_000_000,
        deadline=deadline,
        generated_at=datetime(2026, 8, 14, 16, 2, tzinfo=UTC),
        generated_by="Priya Shah",
        version=3,
        members=tuple(members),
        thresholds=thresholds,
        timeline=tuple(timeline),
        opened_at=opened,
    )
