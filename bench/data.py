"""Benchmark data: a convenor, member organisations each with a user, open bids they joined, pledges.

``populate`` plays a realistic history through the services (``app.seeding``): each bid opened a week ago,
its invitations sent and accepted over the week, pledges made and some amended or confirmed, with the
revisions, audit rows, live events and (already sent) emails the services write. ``populate_bulk`` is the old
bulk-INSERT path, kept for comparing the two set-up times. Set-up is never timed by the benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from bench.common import PASSWORD

REGION_CODES = ["NE", "NW", "YH", "EM", "WM", "EE", "LON", "SE", "SW", "WAL", "SCO", "NI"]


@dataclass
class Dataset:
    convenor_email: str
    member_emails: list[str]  #: index i is organisation i's member
    organisation_ids: list[int]
    bid_ids: list[int]


def populate(app, *, organisations: int, bids: list[int], pledge_share: float = 0.0, unanswered: int = 0) -> Dataset:
    """Build the data set through the services; the arguments are as for ``populate_bulk``.

    Organisation i's member accepts each bid's invitation (the first bid making its account and profile) at
    a moment through the bid's first week; a third of the pledged organisations amended their pledge once.
    """
    from app.extensions import db
    from app.models import User
    from app.seeding import Member, Seeding
    from app.services import clock

    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")  # see populate_bulk
    names = [f"Bench Housing Association {i:05d}" for i in range(organisations)]
    emails = [f"member{i:05d}@bench.example" for i in range(organisations)]
    with app.app_context():
        now = clock.now()
        opened = now - timedelta(days=7)
        bid_ids = []
        with Seeding(PASSWORD, password_hash=password_hash) as seeding:
            convenor = seeding.convening_body(
                opened - timedelta(days=1),
                {"name": "Bench Convening Body"},
                email="convenor@bench.example",
                name="Bench Convenor",
            )
            for number, size in enumerate(bids):
                bid = seeding.bid(
                    convenor,
                    opened - timedelta(hours=1),
                    {
                        "title": f"Bench consortium bid {number + 1} ({size} members)",
                        "funder_name": "Department for Communities",
                        "scheme": "Community Match Fund",
                        "summary": "The case for the bid.\n\nA second paragraph.",
                        "terms": "Members commit the match funding pledged.",
                        "target_pence": 6_250_000_00 * max(1, size // 39),
                        "target_homes": 1_100_000,
                        "deadline": now + timedelta(days=7),
                        "show_amounts": True,
                    },
                    opened_at=opened,
                )
                bid_ids.append(bid.id)
                week = now - opened - timedelta(hours=2)
                members = []
                for i in range(size):
                    accepted = opened + timedelta(minutes=10) + week * (i + 1) / (size + 1) * 0.6
                    saves = []
                    if pledge_share and (i % 100) < pledge_share * 100:
                        final = _pledge_values(i)
                        at = accepted + (now - accepted) * 0.3
                        if i % 3 == 1:
                            saves.append((at, {**final, "amount_pence": final["amount_pence"] // 2}))
                            at = accepted + (now - accepted) * 0.8
                        saves.append((at, final))
                    members.append(
                        Member(
                            organisation={
                                "name": names[i],
                                "homes_owned": 5_000 + i,
                                "regions": [REGION_CODES[i % 12]],
                            },
                            email=emails[i],
                            person=f"Member {i:05d}",
                            invited_at=opened + timedelta(minutes=5),
                            accepted_at=accepted,
                            pledges=saves,
                        )
                    )
                members += [
                    Member(
                        organisation={"name": f"Not Yet Answered {number}-{j}"},
                        email=f"waiting{number}-{j}@bench.example",
                        person="",
                        invited_at=opened + timedelta(minutes=5),
                    )
                    for j in range(unanswered)
                ]
                seeding.consortium(convenor, bid, members)
                seeding.settle()
                db.session.commit()
        convenor_email = convenor.email
        by_email = dict(db.session.execute(sa.select(User.email, User.organisation_id)).all())
        db.session.remove()
    return Dataset(convenor_email, emails, [by_email[e] for e in emails], bid_ids)


def _pledge_values(i: int) -> dict:
    return {
        "amount_pence": 5_000_00 * (1 + i % 97),
        "homes": 1_000 + 13 * i,
        "regions": REGION_CODES[i % 12 : i % 12 + 1 + i % 3],
        "statement": f"Grants for tenants' groups and local charities, round {i}.",
        "status": "confirmed" if i % 3 else "indicative",
    }


def populate_bulk(
    app, *, organisations: int, bids: list[int], pledge_share: float = 0.0, unanswered: int = 0
) -> Dataset:
    """Build the data set.

    ``bids`` lists, per bid, how many of the organisations (the first n) have accepted its invitation;
    ``pledge_share`` of those already have a pledge (with its first revision); ``unanswered`` more
    invitations per bid are still waiting for an answer.
    """
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
    from app.services import clock

    now = clock.now()
    # Logging 500 members in is set-up, not the measurement: a cheap (still genuine) hash keeps it quick.
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with app.app_context():
        session = db.session
        convenor_org = Organisation(
            name="Bench Convening Body", name_key="bench convening body", kind=OrganisationKind.CONVENOR
        )
        session.add(convenor_org)
        session.flush()
        convenor = User(
            email="convenor@bench.example",
            name="Bench Convenor",
            password_hash=password_hash,
            role=Role.CONVENOR,
            organisation_id=convenor_org.id,
        )
        session.add(convenor)
        session.flush()

        names = [f"Bench Housing Association {i:05d}" for i in range(organisations)]
        _bulk(
            session,
            Organisation,
            [
                {
                    "name": name,
                    "name_key": Organisation.key_for(name),
                    "kind": OrganisationKind.MEMBER,
                    "homes_owned": 5_000 + i,
                    "regions": [REGION_CODES[i % 12]],
                }
                for i, name in enumerate(names)
            ],
        )
        ids_by_name = dict(
            session.execute(sa.select(Organisation.name, Organisation.id).where(Organisation.name.in_(names)))
            .tuples()
            .all()
        )
        org_ids = [ids_by_name[name] for name in names]
        emails = [f"member{i:05d}@bench.example" for i in range(organisations)]
        _bulk(
            session,
            User,
            [
                {
                    "email": email,
                    "name": f"Member {i:05d}",
                    "password_hash": password_hash,
                    "role": Role.MEMBER,
                    "organisation_id": org_ids[i],
                }
                for i, email in enumerate(emails)
            ],
        )
        user_ids = dict(session.execute(sa.select(User.organisation_id, User.id).where(User.email.in_(emails))).all())

        bid_ids = []
        for number, size in enumerate(bids):
            bid = Bid(
                organisation_id=convenor_org.id,
                created_by_id=convenor.id,
                title=f"Bench consortium bid {number + 1} ({size} members)",
                funder_name="Department for Communities",
                scheme="Community Match Fund",
                summary="The case for the bid.\n\nA second paragraph.",
                terms="Members commit the match funding pledged.",
                target_pence=6_250_000_00 * max(1, size // 39),
                target_homes=1_100_000,
                deadline=now + timedelta(days=7),
                status=BidStatus.OPEN,
                opened_at=now,
                show_amounts=True,
            )
            session.add(bid)
            session.flush()
            bid_ids.append(bid.id)
            invitations = [
                {
                    "bid_id": bid.id,
                    "organisation_name": names[i],
                    "email": emails[i],
                    "organisation_id": org_ids[i],
                    "status": InvitationStatus.ACCEPTED,
                    "expires_at": now + timedelta(days=21),
                    "invited_by_id": convenor.id,
                    "responded_at": now,
                    "accepted_by_id": user_ids[org_ids[i]],
                }
                for i in range(size)
            ] + [
                {
                    "bid_id": bid.id,
                    "organisation_name": f"Not Yet Answered {number}-{j}",
                    "email": f"waiting{number}-{j}@bench.example",
                    "status": InvitationStatus.SENT,
                    "expires_at": now + timedelta(days=21),
                    "invited_by_id": convenor.id,
                }
                for j in range(unanswered)
            ]
            _bulk(session, Invitation, invitations)
            pledged = [i for i in range(size) if pledge_share and (i % 100) < pledge_share * 100]
            if pledged:
                _pledges(session, Pledge, PledgeRevision, PledgeStatus, bid.id, pledged, org_ids, user_ids, now)
        convenor_email = convenor.email
        session.commit()
        session.remove()
    return Dataset(convenor_email, emails, org_ids, bid_ids)


def _pledges(session, Pledge, PledgeRevision, PledgeStatus, bid_id, indexes, org_ids, user_ids, now) -> None:
    rows = []
    for i in indexes:
        user_id = user_ids[org_ids[i]]
        rows.append(
            {
                "bid_id": bid_id,
                "organisation_id": org_ids[i],
                "amount_pence": 5_000_00 * (1 + i % 97),
                "homes": 1_000 + 13 * i,
                "regions": REGION_CODES[i % 12 : i % 12 + 1 + i % 3],
                "statement": f"Grants for tenants' groups and local charities, round {i}.",
                "status": PledgeStatus.CONFIRMED if i % 3 else PledgeStatus.INDICATIVE,
                "terms_accepted_at": now,
                "in_grace": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "created_by_id": user_id,
                "updated_by_id": user_id,
            }
        )
    _bulk(session, Pledge, rows)
    saved = session.execute(sa.select(Pledge).where(Pledge.bid_id == bid_id)).scalars().all()
    _bulk(
        session,
        PledgeRevision,
        [
            {
                "pledge_id": p.id,
                "bid_id": bid_id,
                "organisation_id": p.organisation_id,
                "version": 1,
                "action": "created",
                "actor_id": p.created_by_id,
                "created_at": now,
                "before": None,
                "after": p.snapshot(),
            }
            for p in saved
        ],
    )


def _bulk(session, model, rows: list[dict], chunk: int = 500) -> None:
    for start in range(0, len(rows), chunk):
        session.execute(sa.insert(model), rows[start : start + chunk])
