"""The one seeding path: a bid's history played through the services, each step at its own moment.

The demo, the benchmarks and the tests that need a realistic history describe it (the convening body, the
bid, each member's invitation, answer and pledges) and ``Seeding`` runs it through the real services (users,
bids, invitations, pledges) under ``clock.frozen`` at each step's moment, in time order. So every row is what
the services write at that moment: revisions, audit rows with their before and after, bid events with their
``previous_*`` keys, single-use invitation links (opened from the invitation email, as an invitee does), and
emails, which are marked sent at the moment they were queued (they are history, not news, and are not sent
again). The caller commits, after ``Seeding`` has ended (or after ``settle``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.infra import clock, links
from app.models import Bid, EmailMessage, EmailStatus, Invitation, OrganisationKind, Pledge, Role, User
from app.models.organisation import shared_password_hash
from app.notifications import PENDING_EMAILS
from app.services import bids, invitations, pledges, users
from app.services.errors import require

#: A pledge step's values as a member types them (``accept_terms`` is added); None withdraws the pledge.
PledgeValues = dict[str, Any] | None


@dataclass
class Member:
    """One invited organisation's part in a bid's history. Times are aware UTC, all before the seeding's end."""

    organisation: dict[str, Any]  #: the profile the invitee fills in: name, identifier, homes_owned, regions, ...
    email: str
    person: str  #: the name of the person who answers
    invited_at: datetime
    accepted_at: datetime | None = None
    declined_at: datetime | None = None
    decline_reason: str | None = None
    #: each save of the organisation's pledge, oldest first: the first creates it, later ones amend or confirm it
    pledges: list[tuple[datetime, PledgeValues]] = field(default_factory=list)


class Seeding:
    """A seeding run: a context manager in which each step runs the services at a frozen moment.

    Every account made in the run gets ``password``; its hash is made once (or given as ``password_hash``,
    such as a cheap one for benchmark logins) and shared, rather than a slow scrypt hash per account.
    """

    def __init__(self, password: str, *, password_hash: str | None = None) -> None:
        self.password = password
        self.password_hash = password_hash or generate_password_hash(password)
        self.users: dict[str, User] = {}  #: by email, every account the run made or used
        self._tokens: dict[tuple[int, str], str] = {}  #: (bid id, email) → the link from the newest invitation email
        #: emails the caller had queued before the run (by object identity): not ours to settle
        self._queued_before: set[int] = set()
        prefix = links.path_for("invitations.respond", token="T")[:-1]  # noqa: S106  (a placeholder, not a secret)
        self._token_re = re.compile(re.escape(prefix) + r"([\w.\-]+)")

    def __enter__(self) -> Seeding:
        self._hash = shared_password_hash.set((self.password, self.password_hash))
        self._queued_before = {id(m) for m in db.session.info.get(PENDING_EMAILS, [])}
        return self

    def __exit__(self, kind, error, trace) -> None:
        shared_password_hash.reset(self._hash)
        if error is None:
            self.settle()

    # -- single steps, each at its moment -------------------------------------------------------------------

    def convening_body(self, at: datetime, profile: dict[str, Any], *, email: str, name: str) -> User:
        """A convening body and its first convenor, as the operator makes them (``flask users create``)."""
        with clock.frozen(at):
            errors: dict[str, list[str]] = {}
            clean = users.organisation_values(profile, errors)
            require(errors)
            body = users.create_organisation(clean, OrganisationKind.CONVENOR)
            user = users.create_user(
                email=email, name=name, password=self.password, role=Role.CONVENOR, organisation=body
            )
        self.users[user.email] = user
        return user

    def bid(self, convenor: User, at: datetime, values: dict[str, Any], *, opened_at: datetime | None = None) -> Bid:
        """A bid created at ``at`` as a draft, and opened at ``opened_at`` if given."""
        with clock.frozen(at):
            bid = bids.create_bid(convenor, values)
        if opened_at is not None:
            with clock.frozen(opened_at):
                bids.open_bid(convenor, bid)
        return bid

    def former_colleague(self, manager: User, at: datetime, *, email: str, name: str) -> User:
        """A colleague a manager invited at ``at``, who joined, and was removed a week later (left the organisation)."""
        from app.services import team

        with clock.frozen(at):
            path, _link = team.invite_colleague(manager, email)
            colleague = team.join(
                path.rsplit("/", 1)[-1], name=name, password=self.password, password_hash=self.password_hash
            )
        with clock.frozen(at + timedelta(days=7)):
            team.remove_colleague(manager, colleague.id)
        self.users[colleague.email] = colleague
        return colleague

    def invite(self, convenor: User, bid: Bid, members: Iterable[Member], at: datetime) -> list[Invitation]:
        """Invite members in one list (as a pasted list or CSV is), keeping each email's link."""
        members = list(members)
        last = db.session.scalar(sa.select(sa.func.max(EmailMessage.id))) or 0
        with clock.frozen(at):
            report = invitations.invite_many(
                convenor, bid, [(n, m.organisation["name"], m.email) for n, m in enumerate(members, 1)]
            )
        require({f"line {row.line}": [row.reason or "refused"] for row in report.refused})
        self._read_links(bid, last)
        return [row.invitation for row in report.accepted]

    def accept(self, bid: Bid, member: Member, at: datetime) -> User:
        """The invitee opens the link and accepts: with their account if they have one, else making it."""
        token = self._tokens.pop((bid.id, member.email))
        with clock.frozen(at):
            user = self.users.get(member.email) or db.session.scalar(sa.select(User).where(User.email == member.email))
            if user is not None:
                invitations.accept_existing_user(token, user)
            else:
                user = invitations.accept_new_user(
                    token, name=member.person, password=self.password, organisation=member.organisation
                )
        self.users[user.email] = user
        return user

    def decline(self, bid: Bid, member: Member, at: datetime) -> None:
        with clock.frozen(at):
            invitations.decline(self._tokens.pop((bid.id, member.email)), member.decline_reason)

    def pledge(self, user: User, bid: Bid, at: datetime, values: PledgeValues) -> Pledge:
        """Save (or, with None, withdraw) the user's organisation's pledge, from a form opened just before."""
        with clock.frozen(at):
            current = pledges.current_pledge(bid, user.organisation_id)
            version = current.version if current is not None else 0
            if values is None:
                return pledges.withdraw_pledge(user, bid, expected_version=version)
            return pledges.save_pledge(user, bid, {**values, "accept_terms": True}, expected_version=version)

    def after_the_bid(
        self,
        convenor: User,
        bid: Bid,
        *,
        closed: datetime,
        submitted: datetime,
        decided: datetime,
        outcome: dict[str, Any],
    ) -> None:
        """Close the bid at its deadline (as the scheduler does), mark it submitted, and record the outcome."""
        from app.services import outcomes  # the after-the-bid services, only for histories that reach them

        with clock.frozen(closed):
            bids.close_bid(None, bid, reason="deadline")
        with clock.frozen(submitted):
            outcomes.submit_bid(convenor, bid)
        with clock.frozen(decided):
            outcomes.record_outcome(convenor, bid, outcome)

    def grant(self, user: User, bid: Bid, at: datetime, values: dict[str, Any]):
        """Record one grant the user's organisation made, entered at ``at``."""
        from app.services import grants

        with clock.frozen(at):
            return grants.create_grant(user, bid, values)

    # -- a whole consortium ------------------------------------------------------------------------------------

    def consortium(self, convenor: User, bid: Bid, members: list[Member]) -> dict[str, User]:
        """Play every member's invitation, answer and pledges, all members' steps merged in time order.

        Members invited at the same moment are invited in one list. Returns the members' users by email.
        """
        order = count()
        steps: list[tuple[datetime, int, Callable[[], Any]]] = []
        by_time: dict[datetime, list[Member]] = {}
        for member in members:
            by_time.setdefault(member.invited_at, []).append(member)
        for at, group in by_time.items():
            steps.append((at, next(order), lambda at=at, group=group: self.invite(convenor, bid, group, at)))
        for member in members:
            if member.accepted_at is not None:
                steps.append((member.accepted_at, next(order), lambda m=member: self.accept(bid, m, m.accepted_at)))
            elif member.declined_at is not None:
                steps.append((member.declined_at, next(order), lambda m=member: self.decline(bid, m, m.declined_at)))
            for at, values in member.pledges:
                steps.append(
                    (at, next(order), lambda m=member, at=at, v=values: self.pledge(self.users[m.email], bid, at, v))
                )
        for _at, _n, step in sorted(steps, key=lambda s: (s[0], s[1])):
            step()
        return {m.email: self.users[m.email] for m in members if m.accepted_at is not None}

    # -- the outbox ---------------------------------------------------------------------------------------------

    def settle(self) -> None:
        """Mark the run's emails sent at the moment each was queued, and take them off the after-commit send.

        Call before committing in the middle of a run; ``Seeding`` calls it when it ends.
        """
        pending = db.session.info.get(PENDING_EMAILS, [])
        db.session.flush()  # the run's emails get their ids
        ids = [m if isinstance(m, int) else m.id for m in pending if id(m) not in self._queued_before]
        pending[:] = [m for m in pending if id(m) in self._queued_before]  # the after-commit send reads this list
        table = EmailMessage.__table__
        for start in range(0, len(ids), 500):
            db.session.execute(
                table.update()
                .where(table.c.id.in_(ids[start : start + 500]))
                .values(status=EmailStatus.SENT.value, attempts=1, sent_at=table.c.created_at)
            )

    def _read_links(self, bid: Bid, after_id: int) -> None:
        """Keep each new invitation email's link, as the invitee would find it in their inbox."""
        rows = db.session.execute(
            sa.select(EmailMessage.to_address, EmailMessage.body_text)
            .where(EmailMessage.id > after_id, EmailMessage.kind == "invitation", EmailMessage.bid_id == bid.id)
            .order_by(EmailMessage.id)
        )
        for address, body in rows:
            found = self._token_re.search(body)
            if found:
                self._tokens[(bid.id, address)] = found.group(1)
