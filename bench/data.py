"""Benchmark data: a convenor, member organisations each with a user, open bids they joined, pledges.

``populate`` plays a realistic history through the services (``app.seeding``): each bid opened a week ago,
its invitations sent and accepted over the week, pledges made and some amended or confirmed, with the
revisions, audit rows, live events and (already sent) emails the services write. Set-up is never timed by the
benchmarks. (As bulk INSERTs this took 0.4 s for the dashboard's data set against 25 s through the services on
SQLite, 1.6 s against 76 s on PostgreSQL; the history's rows are what the dashboard's feed and audit log show.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from bench.common import PASSWORD, gather_statistics

REGION_CODES = ["NE", "NW", "YH", "EM", "WM", "EE", "LON", "SE", "SW", "WAL", "SCO", "NI"]


@dataclass
class Dataset:
    convenor_email: str
    member_emails: list[str]  #: index i is organisation i's member
    organisation_ids: list[int]
    bid_ids: list[int]


def populate(app, *, organisations: int, bids: list[int], pledge_share: float = 0.0, unanswered: int = 0) -> Dataset:
    """Build the data set through the services.

    ``bids`` lists, per bid, how many of the organisations (the first n) have accepted its invitation;
    ``pledge_share`` of those have pledged; ``unanswered`` more invitations per bid are still waiting for an
    answer.

    Organisation i's member accepts each bid's invitation (the first bid making its account and profile) at
    a moment through the bid's first week; a third of the pledged organisations amended their pledge once.
    """
    from app.extensions import db
    from app.infra import clock
    from app.models import User
    from app.seeding import Member, Seeding

    # Logging 500 members in is set-up, not the measurement: a cheap (still genuine) hash keeps it quick.
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
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
        gather_statistics(db.engine)
    return Dataset(convenor_email, emails, [by_email[e] for e in emails], bid_ids)


def _pledge_values(i: int) -> dict:
    from app.demo import STATEMENTS

    return {
        "amount_pence": 5_000_00 * (1 + i % 97),
        "homes": 1_000 + 13 * i,
        "regions": REGION_CODES[i % 12 : i % 12 + 1 + i % 3],
        "statement": STATEMENTS[i % len(STATEMENTS)],
        "status": "confirmed" if i % 3 else "indicative",
    }
