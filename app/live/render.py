"""Turn a live snapshot into what pages and streams carry: template context, HTML fragments and JSON."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template, url_for

from app.infra import clock
from app.live import charts, patches
from app.services import snapshots
from app.services.member_table import MemberQuery

#: data-live-fragment name → partial template. Both pages include the same partials, so a fragment
#: rendered here is exactly what a reload would show.
CONVENOR_FRAGMENTS = {
    "figures": "live/_figures.html",
    "thresholds": "live/_thresholds.html",
    "responses": "live/_responses.html",
    "members": "live/_members_convenor.html",
    "waiting": "live/_waiting.html",
    "regions": "live/_regions.html",
    "charts": "live/_charts.html",
    "projection": "live/_projection.html",
    "feed": "live/_feed.html",
}
MEMBER_FRAGMENTS = {
    "figures": "live/_figures.html",
    "thresholds": "live/_thresholds.html",
    "members": "live/_members_member.html",
    "regions": "live/_regions.html",
    "charts": "live/_charts.html",
    "projection": "live/_projection.html",
    "feed": "live/_feed.html",
}
#: the row partial an update renders for the changed organisation (members' pages; a convenor's gets its page)
ROW_TEMPLATES = {True: "live/_member_row_convenor.html", False: "live/_member_row_member.html"}


def ago(moment: datetime | str, now: datetime | None = None) -> str:
    """``just now``, ``2 minutes ago``, ``3 hours ago``, ``4 days ago`` (live.js counts the same way)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    seconds = max(0, int(((now or clock.now()) - moment).total_seconds()))
    if seconds < 45:
        return "just now"
    if seconds >= 86400:
        count, unit = seconds // 86400, "day"
    elif seconds >= 3600:
        count, unit = seconds // 3600, "hour"
    else:
        count, unit = max(1, seconds // 60), "minute"
    return f"{count} {unit}{'s' if count != 1 else ''} ago"


def chart_data(snap: snapshots.Snapshot) -> dict:
    bid, aud = snap.bid, snap.audience
    start = bid.opened_at or bid.created_at
    if snap.points:
        start = min(start, snap.points[0].at)
    money = aud.sees_member_amounts
    data = {
        "cumulative": charts.cumulative(
            snap.points,
            metric="pledged_pence" if money else "members",
            target=bid.target_pence if money else bid.min_members,
            start=start,
            deadline=bid.deadline,
            now=snap.now,
            projection=snap.projection,
        ),
        "regions": charts.regions(snap.totals.regions, show_amounts=money),
    }
    data["shape"] = patches.chart_shape(data)
    return data


def context(snap: snapshots.Snapshot) -> dict:
    """The names the live partials use (``member_page``: the convenor's page of the members table)."""
    return {
        "bid": snap.bid,
        "totals": snap.totals,
        "members": snap.members,
        "member_page": snap.member_page,
        "waiting": snap.waiting,
        "feed": snap.feed,
        "now": snap.now,
        "projection": snap.projection,
        "charts": chart_data(snap),
        "show_amounts": snap.audience.sees_member_amounts,
        "last_event_id": snap.last_event_id,
    }


def fragments(snap: snapshots.Snapshot) -> dict[str, str]:
    names = CONVENOR_FRAGMENTS if snap.audience.convenor else MEMBER_FRAGMENTS
    ctx = context(snap)
    return {name: render_template(template, **ctx) for name, template in names.items()}


def update(snap: snapshots.Snapshot, change) -> dict:
    """An update message: what changed with ``change`` (a bid event), already filtered for the audience.

    The figures and the small fragments as a snapshot has them (the convenor's responses and "not pledged
    yet" only when the event can change them); the charts as data (``chart``, app.live.patches); for a
    convenor, the members table as the page's order and the rows it may lack (``table``), or the whole
    ``members`` fragment when the page is or was empty; for a member, instead of the members table, the
    changed organisation's row (``html`` None: it has no live pledge now, so a page drops the row), and the
    whole fragment only while the bid has at most one pledge (the table appears or gives way to "No pledges
    yet"); instead of the feed, the event's line."""
    data = snap.as_json()
    data.pop("series")  # drawn in the charts; a page needs no figures for it
    members = data.pop("members")
    data.pop("feed")
    names = CONVENOR_FRAGMENTS if snap.audience.convenor else MEMBER_FRAGMENTS
    ctx = context(snap)
    convenor = snap.audience.convenor
    table = patches.table(snap, ctx, change) if convenor else None
    skip = {"feed", "charts"}
    if (convenor and table is not None) or (not convenor and snap.totals.members_pledged > 1):
        skip.add("members")
    skip |= set() if snapshots.moves_responses(change) else {"responses", "waiting"}
    data["fragments"] = {name: render_template(template, **ctx) for name, template in names.items() if name not in skip}
    data["chart"] = patches.chart(ctx["charts"])
    data["table"] = table
    template = ROW_TEMPLATES[convenor]
    rows = [(m, j) for m, j in zip(snap.members, members, strict=True) if m.organisation_id == change.organisation_id]
    data["rows"] = (
        [
            {"organisation_id": change.organisation_id, "member": j, "html": render_template(template, m=m, **ctx)}
            for m, j in rows
        ]
        or [{"organisation_id": change.organisation_id, "member": None, "html": None}]
        if change.organisation_id is not None and not convenor
        else []
    )
    data["feed_item"] = render_template("live/_feed.html", **ctx) if snap.feed else None
    data["feed_length"] = snapshots.FEED_LENGTH
    return data


def payload(snap: snapshots.Snapshot) -> dict:
    """The snapshot message: figures as JSON plus the fragments, both already filtered for the audience."""
    data = snap.as_json()
    data["fragments"] = fragments(snap)
    return data


def page_context(user, bid, members: MemberQuery | None = None) -> dict:
    """What the bid pages need to render the live panel on first load (template global ``live_context``);
    ``members``: the page of the convenor's members table shown."""
    audience = snapshots.audience_for(user, bid)
    snap = snapshots.snapshot(
        bid, audience, projection_hours=current_app.config["LIVE_PROJECTION_HOURS"], members=members
    )
    ctx = context(snap)
    ctx.update(
        stream_url=url_for("live.events", bid_id=bid.id),
        poll_url=url_for("live.poll", bid_id=bid.id),
        poll_seconds=current_app.config["LIVE_POLL_SECONDS"],
    )
    return ctx
