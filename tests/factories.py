"""factory_boy factories for test data, bound to the app's session."""

from __future__ import annotations

import itertools
from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.extensions import db
from app.infra import clock
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
from app.seeding import Member, Seeding

PASSWORD = "correct-horse-battery"


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class OrganisationFactory(Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Member Housing {n}")
    name_key = factory.LazyAttribute(lambda o: Organisation.key_for(o.name))
    kind = OrganisationKind.MEMBER
    regions = factory.LazyFunction(lambda: ["NW"])
    homes_owned = 10_000


class ConvenorOrgFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Convening Body {n}")
    kind = OrganisationKind.CONVENOR


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.MEMBER
    organisation = factory.SubFactory(OrganisationFactory)
    password_hash = factory.LazyFunction(lambda: _hash())


class ConvenorFactory(UserFactory):
    role = Role.CONVENOR
    organisation = factory.SubFactory(ConvenorOrgFactory)


_HASH: list[str] = []


def _hash() -> str:
    # scrypt is slow on purpose; hash the shared test password once per run.
    if not _HASH:
        from werkzeug.security import generate_password_hash

        _HASH.append(generate_password_hash(PASSWORD))
    return _HASH[0]


class BidFactory(Base):
    class Meta:
        model = Bid

    title = factory.Sequence(lambda n: f"Consortium bid {n}")
    funder_name = "Department for Communities"
    scheme = "Community Match Fund"
    summary = "The case for the bid."
    terms = "Members commit the match funding pledged."
    target_pence = 600_000_000
    target_homes = 1_000_000
    deadline = factory.LazyFunction(lambda: clock.now() + timedelta(days=7))
    status = BidStatus.OPEN
    created_by = factory.SubFactory(ConvenorFactory)
    organisation = factory.LazyAttribute(lambda b: b.created_by.organisation)
    opened_at = factory.LazyFunction(clock.now)


class InvitationFactory(Base):
    class Meta:
        model = Invitation

    bid = factory.SubFactory(BidFactory)
    organisation_name = factory.Sequence(lambda n: f"Invited Org {n}")
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    status = InvitationStatus.SENT
    expires_at = factory.LazyFunction(lambda: clock.now() + timedelta(days=21))
    invited_by = factory.LazyAttribute(lambda i: i.bid.created_by)


class PledgeFactory(Base):
    class Meta:
        model = Pledge

    bid = factory.SubFactory(BidFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    amount_pence = 25_000_000
    homes = 12_400
    regions = factory.LazyFunction(lambda: ["NW"])
    statement = "Grants for community groups."
    status = PledgeStatus.CONFIRMED
    terms_accepted_at = factory.LazyFunction(clock.now)
    created_by = factory.LazyAttribute(lambda p: p.organisation.users[0] if p.organisation.users else None)
    updated_by = factory.LazyAttribute(lambda p: p.created_by)

    @factory.post_generation
    def revision(obj, create, extracted, **kwargs):
        db.session.add(
            PledgeRevision(
                pledge_id=obj.id,
                bid_id=obj.bid_id,
                organisation_id=obj.organisation_id,
                version=obj.version,
                action="created",
                actor_id=obj.created_by_id,
                after=obj.snapshot(),
            )
        )
        db.session.flush()


def member_of(bid: Bid, *, name: str | None = None, email: str | None = None) -> User:
    """A member user (its organisation's first, so its manager) whose organisation accepted an invitation."""
    org = OrganisationFactory(**({"name": name} if name else {}))
    user = UserFactory(organisation=org, is_manager=True, **({"email": email} if email else {}))
    InvitationFactory(
        bid=bid,
        organisation_name=org.name,
        email=user.email,
        organisation=org,
        status=InvitationStatus.ACCEPTED,
        accepted_by=user,
        responded_at=clock.now(),
    )
    return user


def pledge_for(user: User, bid: Bid, **values) -> Pledge:
    return PledgeFactory(bid=bid, organisation=user.organisation, created_by=user, updated_by=user, **values)


_SEEDED = itertools.count(1)


def seeded_bid(*, members: int = 3, pledged: int = 2, days_open: int = 7, days_left: int = 7) -> tuple[Bid, list[User]]:
    """An open bid with a realistic history, played through the services by ``app.seeding``: opened
    ``days_open`` days ago, ``members`` organisations invited that morning and accepting over the days since,
    the first ``pledged`` of them pledging (every second one amending later). Returns the bid and the members'
    users (password ``PASSWORD``), in the session, not committed."""
    now = clock.now()
    opened = now - timedelta(days=days_open)
    with Seeding(PASSWORD, password_hash=_hash()) as seeding:
        convenor = seeding.convening_body(
            opened - timedelta(days=1),
            {"name": f"Seeded Convening Body {next(_SEEDED)}"},
            email=f"convenor{next(_SEEDED)}@seeded.example.org",
            name="Cai Convenor",
        )
        bid = seeding.bid(
            convenor,
            opened - timedelta(hours=1),
            {
                "title": "Seeded consortium bid",
                "funder_name": "Department for Communities",
                "scheme": "Community Match Fund",
                "target_pence": 600_000_000,
                "target_homes": 1_000_000,
                "deadline": now + timedelta(days=days_left),
            },
            opened_at=opened,
        )
        plans = []
        for i in range(members):
            accepted = opened + (now - opened) * (i + 1) / (members + 2)
            values = {"amount_pence": 1_000_000 * (i + 1), "homes": 100 * (i + 1), "regions": ["NW"]}
            values["status"] = "confirmed"
            saves = []
            if i < pledged:
                saves.append((accepted + timedelta(hours=1), {**values, "status": "indicative"}))
                if i % 2 == 0:
                    saves.append((accepted + (now - accepted) / 2, values))
            n = next(_SEEDED)
            plans.append(
                Member(
                    organisation={"name": f"Seeded Homes {n}"},
                    email=f"seeded{n}@seeded.example.org",
                    person=f"Seeded Member {i + 1}",
                    invited_at=opened + timedelta(minutes=30),
                    accepted_at=accepted,
                    pledges=saves,
                )
            )
        users = seeding.consortium(convenor, bid, plans)
    return bid, list(users.values())
