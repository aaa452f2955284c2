"""Reading and filling pages in tests: the text a person sees, the messages beside fields, the forms."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.infra import clock
from app.models import AuditEvent, Bid

_ERROR = re.compile(
    r'<p class="error-message" id="(?P<id>[^"]+)-error"><span class="visually-hidden">Error:</span>\s*(?P<msg>.*?)</p>',
    re.S,
)


def text_of(response) -> str:
    """The page's HTML with entities decoded, so messages with quotes can be matched."""
    return html.unescape(response.get_data(as_text=True))


def field_errors(response) -> dict[str, list[str]]:
    """Messages shown beside each field, by field id."""
    found: dict[str, list[str]] = {}
    for match in _ERROR.finditer(response.get_data(as_text=True)):
        found.setdefault(match.group("id"), []).append(html.unescape(match.group("msg")).strip())
    return found


def flashes(response) -> list[str]:
    """The flash messages on a page."""
    return [
        html.unescape(m).strip() for m in re.findall(r'<div class="flash [^"]*"[^>]*>(.*?)</div>', response.text, re.S)
    ]


_CSRF = re.compile(r'name="(?:[\w-]+-)?csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(response) -> str:
    """A CSRF token from a page (any form's: they share the session's secret)."""
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_prefixed(browser, url: str, prefix: str, data: dict | None = None, *, page: str | None = None, **kwargs):
    """Post a form whose fields carry a prefix (``one-email``), with the CSRF token read from the page."""
    token = csrf_token(browser.get(page or url))
    payload = {f"{prefix}-csrf_token": token, **(data or {})}
    return browser.client.post(url, data=payload, **kwargs)


def report_rows(response) -> list[tuple[str, str, str, str]]:
    """The refused rows of an invitation report: (line, organisation, email, reason)."""
    body = html.unescape(response.get_data(as_text=True))
    if "Rows refused, with the reason" not in body:
        return []
    table = body.split("Rows refused, with the reason", 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr><td>(.*?)</td></tr>", table, re.S):
        cells = [c.strip() for c in row.split("</td><td>")]
        rows.append(tuple(cells))
    return rows


def london_day(days_ahead: int = 30) -> date:
    """A date some days ahead, in London."""
    return (clock.to_london(clock.now()) + timedelta(days=days_ahead)).date()


def bid_form(**overrides) -> dict:
    """The bid form as a convenor fills it in, with money typed the UK way."""
    values = {
        "title": "Community Match Fund consortium",
        "funder_name": "Department for Communities",
        "scheme": "Community Match Fund",
        "summary": "Thirty-nine landlords, one bid.",
        "target": "£6,000,000",
        "target_homes": "1,100,000",
        "min_pledge": "",
        "min_total": "",
        "min_members": "",
        "terms": "Members commit the match funding they pledge.",
        "deadline_date": london_day().isoformat(),
        "deadline_time": "17:00",
        "grace_minutes": "0",
    }
    values.update(overrides)
    return values


def fetch_bid(data, bid_id):
    """The bid as stored now, detached so it can be read after the session closes."""
    with data() as s:
        bid = s.get(Bid, bid_id)
        s.expunge(bid)
        return bid


def audit_rows(data, action, bid_id=None):
    """Audit events with this action (for one bid), oldest first, detached."""
    with data() as s:
        stmt = sa.select(AuditEvent).where(AuditEvent.action == action)
        if bid_id is not None:
            stmt = stmt.where(AuditEvent.bid_id == bid_id)
        rows = s.scalars(stmt.order_by(AuditEvent.id)).all()
        for row in rows:
            s.expunge(row)
        return rows
