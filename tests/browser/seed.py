"""Data for the journeys, written straight into the live server's database through the services.

Set-up that is not the subject of a journey (a bid to pledge to, a member who already has an account) is made
here rather than clicked through, so that each journey is independent and quick. Every write commits at once
and ends its transaction: the server shares the SQLite file and must never wait on a lock held here.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.infra import clock
from app.models import Bid, BidStatus, FunderLink, Invitation, Organisation, User
from app.services import audit, bids, funder, invitation_links, invitations, packs, pledges
from config import TestConfig

CONVENOR_EMAIL = "convenor@browser.example.org"
CONVENOR_PASSWORD = "browser-journeys-2026"
MEMBER_PASSWORD = "member-journeys-2026"


class Seeder:
    """Writes test data with the app's own services, sharing the live server's database and outbox."""

    _numbers = itertools.count(1)

    def __init__(self, server):
        """``server`` is the live server: its database, outbox, address, instance folder and secret key."""
        self.app = create_app(
            TestConfig,
            SECRET_KEY=server.secret_key,  # so that signed links made here open on the server
            SQLALCHEMY_DATABASE_URI=server.database_url,
            MAIL_BACKEND="file",
            MAIL_FILE_PATH=str(server.outbox),
            MAIL_SEND_ASYNC=False,
            BASE_URL=server.url,
            UPLOAD_DIR=str(server.instance / "uploads"),
            PACK_DIR=str(server.instance / "packs"),
        )

    @contextmanager
    def session(self):
        """An app and request context whose transaction is committed (or rolled back) and closed on exit."""
        with self.app.test_request_context(base_url=self.app.config["BASE_URL"]):
            try:
                yield db.session
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    def unique(self, stem: str) -> str:
        return f"{stem} {next(self._numbers)}"

    def convenor(self) -> User:
        return db.session.scalar(sa.select(User).where(User.email == CONVENOR_EMAIL))

    def open_bid(self, title: str, *, deadline: datetime | None = None, **values) -> int:
        """An open bid by the session's convenor; returns its id."""
        with self.session():
            bid = bids.create_bid(
                self.convenor(),
                {
                    "title": title,
                    "funder_name": "Department for Communities",
                    "scheme": "Community Match Fund 2026",
                    "summary": "Social landlords commit match funding for grants to local community groups.",
                    "terms": "Pledges are match funding payable within 12 months of the award.",
                    "target_pence": 600_000_000,
                    "target_homes": 1_000_000,
                    "deadline": deadline or clock.now() + timedelta(days=7),
                    **values,
                },
                open_now=True,
            )
            return bid.id

    def invite(self, bid_id: int, organisation_name: str, address: str) -> None:
        """Invite an organisation: the invitation email is written to the outbox folder."""
        with self.session():
            invitations.invite(self.convenor(), db.session.get(Bid, bid_id), organisation_name, address)

    def member(self, bid_id: int, organisation_name: str, address: str, *, name: str = "Jo Member") -> int:
        """A member who has accepted an invitation to the bid and has an account; returns the user's id."""
        with self.session():
            bid = db.session.get(Bid, bid_id)
            invitation = invitations.invite(self.convenor(), bid, organisation_name, address)
            # The link's token is only in the email; take a fresh one as the service would for a resend.
            token = invitation_links.reissue_link(invitation).rsplit("/", 1)[1]
            user = invitations.accept_new_user(
                token,
                name=name,
                password=MEMBER_PASSWORD,
                organisation={"name": organisation_name, "regions": ["NW"]},
            )
            return user.id

    def pledge(self, user_id: int, bid_id: int, amount_pence: int, homes: int = 5_000) -> None:
        with self.session():
            user, bid = db.session.get(User, user_id), db.session.get(Bid, bid_id)
            current = pledges.current_pledge(bid, user.organisation_id)
            pledges.save_pledge(
                user,
                bid,
                {
                    "amount_pence": amount_pence,
                    "homes": homes,
                    "regions": ["NW"],
                    "statement": "Grants for tenant-led groups.",
                    "status": "confirmed",
                    "accept_terms": True,
                },
                expected_version=current.version if current else 0,
            )

    def move_deadline(self, bid_id: int, deadline: datetime) -> None:
        """Put the deadline where a test needs it (for example, just passed): as if the clock had moved on."""
        with self.session():
            bid = db.session.get(Bid, bid_id)
            previous = bid.deadline
            bid.deadline, bid.grace_minutes = deadline, 0
            # As the app does for a deadline change: an event, so that pages loaded from now on never take the
            # server's cached live snapshot (up to a second old, with the old deadline) and reload themselves.
            audit.emit(bid, "bid.extended", {"deadline": deadline.isoformat(), "previous": previous.isoformat()})

    def submit_with_pack(self, bid_id: int) -> None:
        """Close the bid, generate version 1 of its pack and mark it submitted, as the convenor would."""
        with self.session():
            bid = db.session.get(Bid, bid_id)
            bids.close_bid(self.convenor(), bid)
            packs.generate_pack(self.convenor(), bid)
            bids.mark_submitted(self.convenor(), bid)

    def funder_link(self, bid_id: int, name: str, address: str) -> int:
        """A funder link to the latest pack: the email with the link is written to the outbox folder."""
        with self.session():
            link, _token = funder.create_link(self.convenor(), db.session.get(Bid, bid_id), name=name, email=address)
            return link.id

    def expire_link(self, link_id: int) -> None:
        """As if the link's 30 days had run out."""
        with self.session():
            db.session.execute(
                sa.update(FunderLink)
                .where(FunderLink.id == link_id)
                .values(expires_at=clock.now() - timedelta(minutes=1))
            )

    _demo_bid: int | None = None

    def demo(self) -> int:
        """The demo data (app.demo: a bid of 39 members, 1.1 million homes, £6.25 million), loaded once per server;
        returns the open bid's id. Its people log in with app.demo.DEMO_PASSWORD."""
        if Seeder._demo_bid is None:
            from app.demo import seed_demo

            with self.session():
                seed_demo()
            Seeder._demo_bid = self.bid_id("Community Match Fund consortium bid")
        return Seeder._demo_bid

    def demo_funder_link(self, name: str, address: str) -> int:
        """Close the demo bid, generate its pack and mark it submitted (once), as the demo's convenor would, then
        give a funder a link to the pack; returns the link's id. After this the demo bid is no longer open: the
        journeys that need it open come first in ``test_edges.py``."""
        from app.demo import CONVENOR_EMAIL as DEMO_CONVENOR

        bid_id = self.demo()
        with self.session():
            convenor = db.session.scalar(sa.select(User).where(User.email == DEMO_CONVENOR))
            bid = db.session.get(Bid, bid_id)
            if bid.status == BidStatus.OPEN:
                bids.close_bid(convenor, bid)
                packs.generate_pack(convenor, bid)
                bids.mark_submitted(convenor, bid)
            link, _token = funder.create_link(convenor, bid, name=name, email=address)
            return link.id

    def bid_id(self, title: str) -> int:
        with self.session():
            return db.session.scalar(sa.select(Bid.id).where(Bid.title == title))

    def invitation_count(self, bid_id: int) -> int:
        with self.session():
            query = sa.select(sa.func.count()).select_from(Invitation).where(Invitation.bid_id == bid_id)
            return db.session.scalar(query)

    def organisation_exists(self, name: str) -> bool:
        with self.session():
            return db.session.scalar(sa.select(Organisation.id).where(Organisation.name == name)) is not None


def error_app(server):
    """A second copy of the app on the same database, for error pages a live server will not show on demand:
    a fault (500) from a view that raises, and the login rate limit (429) set low. The HTML it renders is
    served to the browser at the live server's address, so the page's CSS, script and CSP are the real ones."""
    app = create_app(
        TestConfig,
        SECRET_KEY=server.secret_key,
        SQLALCHEMY_DATABASE_URI=server.database_url,
        LOGIN_RATE_LIMIT="3 per minute",
        BASE_URL=server.url,
        UPLOAD_DIR=str(server.instance / "uploads"),
        PACK_DIR=str(server.instance / "packs"),
    )

    @app.get("/fault-for-the-error-page-test")
    def fault():
        raise RuntimeError("a fault raised on purpose by tests/browser/test_error_pages.py")

    return app
