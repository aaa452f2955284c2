"""The live area's snapshot and event service: what a live dashboard shows each viewer (its audience), the
event log filtered by visibility, the feed, the snapshot, the pledged-over-time series and the projection.
The stream views (app.live) send it; the broker (app.infra.broker) says when there is news. Raises nothing:
callers check access first (``access.can_view_bid``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import ApiToken, Bid, BidEvent, BidStatus, User
from app.money import format_pence
from app.services import access, disclosure, event_kinds, member_table, series, totals
from app.services.event_kinds import describe as describe  # the feed's sentences, declared per kind there
from app.services.series import Point as Point  # the series' points (charts and disclosure use them from here)

#: Payload keys that carry one organisation's figures: never sent to other members when amounts are hidden.
PRIVATE_KEYS = frozenset({"amount_pence", "previous_amount_pence", "homes", "previous_homes"})
FEED_LENGTH = 20


@dataclass(frozen=True)
class Audience:
    """Who is watching, reduced to what decides what they may see."""

    convenor: bool
    organisation_id: int | None
    show_amounts: bool

    @property
    def key(self) -> str:
        """Viewers with the same key see exactly the same snapshot."""
        if self.convenor:
            return "convenor"
        return "members" if self.show_amounts else f"org-{self.organisation_id}"

    def sees_amounts_of(self, organisation_id: int | None) -> bool:
        return self.convenor or self.show_amounts or organisation_id is None or organisation_id == self.organisation_id

    @property
    def sees_member_amounts(self) -> bool:
        return self.convenor or self.show_amounts


def audience_for(user: User, bid: Bid) -> Audience:
    return Audience(access.is_bid_convenor(user, bid), user.organisation_id, bool(bid.show_amounts))


@dataclass(frozen=True)
class Viewer:
    """Who opened a stream, as plain values, so that the stream can ask again what they may see now."""

    user_id: int
    #: a page's stream: the session's version when it opened (a logout, password change or disabling bumps it)
    session_version: int | None = None
    #: an API stream: the token it opened with (revoking it ends the stream)
    token_id: int | None = None
    #: a page's stream: when the session times out (idle or absolute limit)
    expires_at: datetime | None = None


def audience_now(viewer: Viewer, bid_id: int) -> Audience | None:
    """The viewer's audience as their permissions stand now, or None when they may no longer see the bid: user
    disabled or gone, session ended or timed out, token revoked, bid gone, organisation no longer joined.

    One query for the user, the bid and the token together, and the same ``access.can_view_bid`` the pages
    use (one more indexed query for a member). Streams call it once per delivered batch and per heartbeat.
    """
    if viewer.expires_at is not None and clock.now() >= viewer.expires_at:
        return None
    stmt = sa.select(User, Bid).join(Bid, Bid.id == bid_id).where(User.id == viewer.user_id)
    if viewer.token_id is not None:
        token = sa.select(ApiToken.id).where(
            ApiToken.id == viewer.token_id, ApiToken.user_id == User.id, ApiToken.revoked_at.is_(None)
        )
        stmt = stmt.where(token.exists())
    row = db.session.execute(stmt).first()
    if row is None:
        return None
    user, bid = row
    if not user.is_enabled or viewer.session_version not in (None, user.session_version):
        return None
    return audience_for(user, bid) if access.can_view_bid(user, bid) else None


def viewer_key(viewer: Viewer) -> tuple:
    """What decides a viewer's access apart from the clock: streams of one session share it."""
    return (viewer.user_id, viewer.session_version, viewer.token_id)


def audiences_now(viewers: list[Viewer], bid_id: int) -> dict[tuple, Audience | None]:
    """``audience_now`` for many viewers of one bid at once, by ``viewer_key``, in at most four queries
    whatever their number: the bid, the users, their tokens, and which of their organisations joined. Each
    stream's own timeout (``Viewer.expires_at``) is not looked at: the caller checks it, per stream."""
    out: dict[tuple, Audience | None] = {}
    live = list(viewers)
    bid = db.session.get(Bid, bid_id)
    if bid is None or not live:
        return out | {viewer_key(v): None for v in live}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({v.user_id for v in live})))}
    asked = {v.token_id for v in live if v.token_id is not None}
    tokens = (
        set(
            db.session.execute(
                sa.select(ApiToken.id, ApiToken.user_id).where(ApiToken.id.in_(asked), ApiToken.revoked_at.is_(None))
            ).tuples()
        )
        if asked
        else set()
    )
    members = {u.organisation_id for u in users.values() if not u.is_convenor and u.organisation_id is not None}
    joined = access.joined_organisations(bid_id, members) if bid.status != BidStatus.DRAFT else set()
    for v in live:
        user = users.get(v.user_id)
        ok = (
            user is not None
            and user.is_enabled
            and v.session_version in (None, user.session_version)
            and (v.token_id is None or (v.token_id, user.id) in tokens)
            and access.can_view_bid(user, bid, joined=joined)
        )
        out[viewer_key(v)] = audience_for(user, bid) if ok else None
    return out


# --- the event log ---------------------------------------------------------------------------------


def latest_event_id(bid_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.max(BidEvent.id)).where(BidEvent.bid_id == bid_id)) or 0


def events_after(bid_id: int, after_id: int, *, limit: int = 500) -> list[BidEvent]:
    """The bid's events with id greater than ``after_id``, oldest first (one indexed query)."""
    return list(
        db.session.scalars(
            sa.select(BidEvent)
            .where(BidEvent.bid_id == bid_id, BidEvent.id > after_id)
            .order_by(BidEvent.id)
            .limit(limit)
        )
    )


def recent_events(bid_id: int, audience: Audience, *, limit: int = FEED_LENGTH) -> list[dict]:
    """The newest events the audience may see, newest first, as feed items."""
    stmt = sa.select(BidEvent).where(BidEvent.bid_id == bid_id)
    if not audience.convenor:
        stmt = stmt.where(BidEvent.kind.not_in(event_kinds.convenor_only_kinds()))
    rows = db.session.scalars(stmt.order_by(BidEvent.created_at.desc(), BidEvent.id.desc()).limit(limit))
    return [item for item in (visible_event(row, audience) for row in rows) if item is not None]


def visible_event(event: BidEvent, audience: Audience) -> dict | None:
    """The event as this audience may see it, or None when they may not see it at all."""
    if not audience.convenor and event.kind in event_kinds.convenor_only_kinds():
        return None
    payload = dict(event.payload or {})
    amounts = audience.sees_amounts_of(event.organisation_id)
    if not amounts:
        payload = {k: v for k, v in payload.items() if k not in PRIVATE_KEYS}
    return {
        "id": event.id,
        "kind": event.kind,
        "created_at": event.created_at.isoformat(),
        "text": event_kinds.describe(event.kind, payload),
        "payload": payload,
    }


# --- pledged over time and the projection ------------------------------------------------------------


def pledged_series(bid: Bid) -> list[Point]:
    """The live total after each pledge change, oldest first, as SQL aggregates (``app.services.series``)."""
    return series.pledged_series(bid)


def value_at(points: list[Point], moment: datetime) -> int:
    value = 0
    for point in points:
        if point.at > moment:
            break
        value = point.pledged_pence
    return value


@dataclass
class Projection:
    window_hours: float
    rate_per_day_pence: int
    projected_pence: int
    target_pence: int
    deadline: datetime
    text: str

    @property
    def percent(self) -> int:
        return round(100 * self.projected_pence / self.target_pence) if self.target_pence else 0


def project(
    bid: Bid,
    points: list[Point],
    pledged_now: int,
    now: datetime,
    *,
    hours: int = 72,
    total_at: Callable[[datetime], int] | None = None,
) -> Projection | None:
    """Where the total is heading by the deadline at the rate of the last ``hours`` (None once closed).

    ``total_at`` gives the total at the window's start when ``points`` may be bucketed (``series.pledged_at``);
    without it the figure is read from ``points``."""
    if not bid.is_before_deadline(now):
        return None
    start = now - timedelta(hours=hours)
    opened = bid.opened_at or (points[0].at if points else now)
    start = max(start, opened)
    span = (now - start).total_seconds()
    if span < 3600:  # under an hour of history says nothing about a rate
        return None
    # A bid younger than the window: everything since it opened counts (no pledge predates the opening).
    baseline = 0 if start == opened else (total_at(start) if total_at else value_at(points, start))
    gained = pledged_now - baseline
    per_second = max(gained, 0) / span
    left = (bid.deadline - now).total_seconds()
    # To the nearest £1,000: a projection quoted to the penny would claim a precision it does not have.
    projected = round((pledged_now + per_second * left) / 100_000) * 100_000
    rate_per_day = round(per_second * 86400 / 100_000) * 100_000
    window = "72 hours" if hours == 72 and span >= hours * 3600 else _span_words(span)
    if gained <= 0:
        text = (
            f"No new money has been pledged in the last {window}. At that rate the total stays at "
            f"{format_pence(pledged_now)} by the deadline."
        )
    else:
        share = f", {round(100 * projected / bid.target_pence)}% of the {format_pence(bid.target_pence)} target"
        text = (
            f"If pledges keep arriving at the rate of the last {window} (about {format_pence(rate_per_day)} a day), "
            f"the total would reach about {format_pence(projected)} by the deadline{share}. This is a straight-line "
            "estimate that assumes the rate stays the same; it is not a promise."
        )
    return Projection(span / 3600, rate_per_day, projected, bid.target_pence, bid.deadline, text)


def _span_words(seconds: float) -> str:
    hours = round(seconds / 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours < 48 else f"{round(hours / 24)} days"


# --- the snapshot -----------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """Everything a live page shows, already reduced to what the audience may see."""

    bid: Bid
    audience: Audience
    now: datetime
    last_event_id: int
    totals: totals.Totals
    #: the convenor's: the page of the members table asked for (``member_page``); a member's: every live pledge
    members: list[totals.MemberRow]
    waiting: totals.Waiting = field(default_factory=lambda: totals.Waiting([], 0))
    feed: list[dict] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    projection: Projection | None = None
    member_page: member_table.MemberPage | None = None

    def as_json(self) -> dict:
        """The snapshot as JSON-able data (no fragment HTML)."""
        aud, t = self.audience, self.totals
        figures = {
            "pledged_pence": t.pledged_pence,
            "confirmed_pence": t.confirmed_pence,
            "indicative_pence": t.indicative_pence,
            "homes": t.homes,
            "members_pledged": t.members_pledged,
            "confirmed_members": t.confirmed_members,
            "target_pence": t.target_pence,
            "target_homes": t.target_homes,
            "percent": t.percent,
            "thresholds": [vars(x) for x in t.thresholds],
            # Without amounts, a region's money or homes would move by one member's change: counts only.
            "regions": [
                {"code": r.code, "name": r.name, "members": r.members}
                | ({"amount_pence": r.amount_pence, "homes": r.homes} if aud.sees_member_amounts else {})
                for r in t.regions
            ],
        }
        if t.withheld:
            figures["released_at"] = t.released_at.isoformat() if t.released_at else None
        if aud.convenor:
            figures |= {k: getattr(t, k) for k in ("invited", "accepted", "declined", "not_responded", "expired")}
        members = []
        for m in self.members:
            row = {"organisation": m.organisation_name, "regions": m.regions, "status": m.status}
            if aud.sees_amounts_of(m.organisation_id) and aud.sees_member_amounts:
                row |= {"amount_pence": m.amount_pence, "homes": m.homes}
            members.append(row)
        line = [[p.at.isoformat(), p.pledged_pence if aud.sees_member_amounts else p.members] for p in self.points]
        return {
            "server_now": self.now.isoformat(),
            "last_event_id": self.last_event_id,
            "bid": {
                "id": self.bid.id,
                "status": str(self.bid.status),
                "deadline": self.bid.deadline.isoformat(),
                "grace_ends": self.bid.grace_ends.isoformat(),
                "show_amounts": bool(self.bid.show_amounts),
            },
            "totals": figures,
            "members": members,
            "series": {"metric": "pledged_pence" if aud.sees_member_amounts else "members", "points": line},
            "projection": None
            if self.projection is None
            else {
                "projected_pence": self.projection.projected_pence,
                "rate_per_day_pence": self.projection.rate_per_day_pence,
                "window_hours": round(self.projection.window_hours, 1),
                "text": self.projection.text,
            },
            "feed": self.feed,
        } | ({"members_page": self._page_json()} if self.member_page else {})

    def _page_json(self) -> dict:
        page = self.member_page
        return {
            "page": page.page,
            "pages": page.pages,
            "per_page": page.per_page,
            "matching": page.matching,
            "members": page.members,
            "sort": page.query.sort,
            "dir": "desc" if page.query.descending else "asc",
            "q": page.query.q,
        }


#: besides invitations' events, the events that change the convenor's responses and "not pledged yet"
RESPONSE_KINDS = frozenset({"pledge.created", "pledge.withdrawn", "pledge.reinstated"})


def moves_responses(change) -> bool:
    """Whether the event can change the convenor's responses and "not pledged yet" lists."""
    return change.kind in RESPONSE_KINDS or change.kind.startswith("invitation.")


def snapshot(
    bid: Bid,
    audience: Audience,
    *,
    projection_hours: int = 72,
    members: member_table.MemberQuery | None = None,
    change: BidEvent | None = None,
) -> Snapshot:
    """The bid as the audience may see it now, in a fixed number of queries. A convenor's carries one page of
    the members table (``members``: which; the first by amount without it), a member's every live pledge.

    With ``change`` (an event), what changed with it rather than everything: a member's ``members`` holds
    only the organisation's row (none when it has no live pledge, or the event names no organisation; every
    row while the bid has at most one, so a page can leave or enter its empty state), a convenor's still the
    page, and ``feed`` only the event as the audience may see it (empty when they may not see it)."""
    now = clock.now()
    last = latest_event_id(bid.id)
    figures = totals.compute(bid)
    page = member_table.member_page(bid, members) if audience.convenor else None
    feed = None
    if change is not None:
        seen = visible_event(change, audience)
        feed = [seen] if seen is not None else []
    if page is not None:
        rows = page.rows
    elif change is None or figures.members_pledged <= 1:
        rows = totals.member_rows(bid)
    elif change.organisation_id is not None:
        rows = totals.member_rows(bid, organisation_id=change.organisation_id)
    else:
        rows = []
    total_at = None
    if audience.sees_member_amounts:
        points = pledged_series(bid)
        total_at = functools.partial(series.pledged_at, bid)  # the series may be bucketed: read the start exactly
    else:  # the money and the series as this organisation may see them (docs/live.md, "Hidden amounts")
        shown = disclosure.released(bid.id, audience.organisation_id)
        figures, points = disclosure.as_released(bid, figures, shown), shown.points
    return Snapshot(
        bid=bid,
        audience=audience,
        now=now,
        last_event_id=last,
        totals=figures,
        members=rows,
        waiting=(
            totals.not_yet_pledged(bid)
            if audience.convenor and (change is None or moves_responses(change))
            else totals.Waiting([], 0)
        ),
        feed=recent_events(bid.id, audience) if feed is None else feed,
        points=points,
        projection=project(bid, points, figures.pledged_pence, now, hours=projection_hours, total_at=total_at),
        member_page=page,
    )
