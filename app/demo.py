"""A realistic demo: a convening body, an open bid of 39 members (1.1 million homes, £6.25 million), a draft."""

from __future__ import annotations

import random
import unicodedata
from datetime import timedelta

from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import (
    Bid,
    BidStatus,
    Invitation,
    InvitationStatus,
    Organisation,
    OrganisationKind,
    Pledge,
    PledgeRevision,
    PledgeStatus,
    Role,
    User,
)
from app.regions import REGIONS
from app.services import audit, clock, tokens

DEMO_PASSWORD = "demo-pledge-2026"  # noqa: S105  (printed by make run; demo data only)
CONVENOR_EMAIL = "convenor@example.org"
MEMBER_EMAIL = "member@example.org"

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


def _spread(total: int, parts: int, rng: random.Random, *, unit: int) -> list[int]:
    """``parts`` positive multiples of ``unit`` that add up to ``total`` exactly, unevenly like real pledges."""
    weights = [rng.paretovariate(1.6) for _ in range(parts)]
    scale = sum(weights)
    values = [max(unit, int(total * w / scale) // unit * unit) for w in weights]
    values[0] += total - sum(values)
    return values


def _email_slug(name: str) -> str:
    """ASCII letters and digits of a name, accents folded (Grŵp Cynefin → grwpcynefin), for demo addresses."""
    folded = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded if ch.isalnum())[:20]


def seed_demo() -> list[str]:
    """Create the demo data in the session (the caller commits) and say what was made."""
    rng = random.Random(20)
    now = clock.now()
    password_hash = generate_password_hash(DEMO_PASSWORD)  # one slow scrypt hash, shared by every demo login
    convening = Organisation(
        name="Community Housing Alliance",
        name_key=Organisation.key_for("Community Housing Alliance"),
        kind=OrganisationKind.CONVENOR,
        regions=list(REGIONS),
        website="https://example.org",
    )
    db.session.add(convening)
    db.session.flush()
    convenor = User(
        email=CONVENOR_EMAIL, name="Sam Convenor", role=Role.CONVENOR, organisation_id=convening.id, is_manager=True
    )
    convenor.password_hash = password_hash
    db.session.add(convenor)
    db.session.flush()

    opened = now - timedelta(days=10)
    bid = Bid(
        organisation_id=convening.id,
        created_by_id=convenor.id,
        status=BidStatus.OPEN,
        title="Community Match Fund consortium bid",
        funder_name="Department for Communities",
        scheme="Community Match Fund 2026",
        summary="Thirty-nine social landlords, housing over a million households between them, commit match funding "
        "for grants to local community groups and charities.\n\nEvery pound pledged here is matched by the "
        "scheme and spent in the neighbourhoods our members serve.",
        terms="Pledges are match funding for grants to community groups and charities in the member's areas, "
        "payable within 12 months of the award. Indicative pledges must be confirmed by the member's board "
        "before the deadline.",
        target_pence=600_000_000,
        target_homes=1_000_000,
        min_pledge_pence=2_500_000,
        min_total_pence=500_000_000,
        min_members=25,
        deadline=now + timedelta(days=4, hours=5),
        opened_at=opened,
        show_amounts=False,
    )
    draft = Bid(
        organisation_id=convening.id,
        created_by_id=convenor.id,
        status=BidStatus.DRAFT,
        title="Warm Homes community fund",
        funder_name="The Community Energy Trust",
        scheme="Warm Homes 2027",
        summary="A draft for next year's scheme.",
        terms="To be agreed.",
        target_pence=250_000_000,
        target_homes=400_000,
        deadline=now + timedelta(days=60),
    )
    db.session.add_all([bid, draft])
    db.session.flush()

    amounts = _spread(625_000_000, len(MEMBERS), rng, unit=500_000)
    homes = _spread(1_104_000, len(MEMBERS), rng, unit=100)
    codes = list(REGIONS)
    member_user = None
    for index, ((name, region), amount, home_count) in enumerate(zip(MEMBERS, amounts, homes, strict=True)):
        org = Organisation(
            name=name,
            name_key=Organisation.key_for(name),
            kind=OrganisationKind.MEMBER,
            identifier=f"GB-SHPE-L{4100 + index:04d}",
            homes_owned=home_count + rng.randint(0, 3000),
            regions=[region],
        )
        db.session.add(org)
        db.session.flush()
        slug = _email_slug(name)
        email = MEMBER_EMAIL if index == 0 else f"pledges@{slug}.example.org"
        user = User(
            email=email,
            name="Alex Member" if index == 0 else f"{name} pledge lead",
            role=Role.MEMBER,
            organisation_id=org.id,
            is_manager=True,  # each demo organisation's only (so first) user manages it
        )
        user.password_hash = password_hash
        db.session.add(user)
        db.session.flush()
        member_user = member_user or user
        joined = opened + timedelta(hours=4 + index * 5)
        db.session.add(
            Invitation(
                bid_id=bid.id,
                organisation_name=name,
                email=email,
                organisation_id=org.id,
                status=InvitationStatus.ACCEPTED,
                invited_by_id=convenor.id,
                created_at=opened,
                sent_at=opened,
                expires_at=opened + timedelta(days=21),
                responded_at=joined,
                accepted_by_id=user.id,
            )
        )
        regions = sorted({region, *([codes[(index * 7) % 12]] if index % 4 == 0 else [])}, key=codes.index)
        status = PledgeStatus.CONFIRMED if index % 3 else PledgeStatus.INDICATIVE
        at = joined + timedelta(hours=2 + rng.randint(0, 30))
        pledge = Pledge(
            bid_id=bid.id,
            organisation_id=org.id,
            amount_pence=amount,
            homes=home_count,
            regions=regions,
            statement=STATEMENTS[index % len(STATEMENTS)],
            status=status,
            terms_accepted_at=at,
            created_at=at,
            updated_at=at,
            created_by_id=user.id,
            updated_by_id=user.id,
        )
        db.session.add(pledge)
        db.session.flush()
        db.session.add(
            PledgeRevision(
                pledge_id=pledge.id,
                bid_id=bid.id,
                organisation_id=org.id,
                version=1,
                action="created",
                actor_id=user.id,
                before=None,
                after=pledge.snapshot(),
                created_at=at,
            )
        )
        audit.record("pledge.created", actor=user, bid=bid, subject=pledge, after=pledge.snapshot()).created_at = at
        audit.emit(
            bid,
            "pledge.created",
            {"organisation": name, "amount_pence": amount, "homes": home_count, "status": str(status)},
            organisation_id=org.id,
        ).created_at = at
    for name in [*NOT_ANSWERED, DECLINED]:
        slug = _email_slug(name)
        invitation = Invitation(
            bid_id=bid.id,
            organisation_name=name,
            email=f"contact@{slug}.example.org",
            invited_by_id=convenor.id,
            created_at=opened,
            sent_at=opened,
            expires_at=now + timedelta(days=11),
        )
        if name == DECLINED:
            invitation.status = InvitationStatus.DECLINED
            invitation.responded_at = opened + timedelta(days=2)
            invitation.decline_reason = "Our board has committed this year's community budget already."
        db.session.add(invitation)
        db.session.flush()
        if name != DECLINED:
            _token, invitation.token_hash = tokens.make("invitation", invitation.id)
    audit.record("bid.created", actor=convenor, bid=bid, subject=bid).created_at = opened
    total = sum(amounts)
    return [
        f"Demo loaded: {convening.name} with an open bid of {len(MEMBERS)} members, "
        f"{sum(homes):,} homes and £{total // 100:,} pledged, plus a draft bid.",
        f"  Convenor login: {CONVENOR_EMAIL} / {DEMO_PASSWORD}",
        f"  Member login:   {MEMBER_EMAIL} / {DEMO_PASSWORD}  ({MEMBERS[0][0]})",
    ]
