"""Hidden amounts cannot be worked out: a member's open stream, its live.json polls and the API's totals are
replayed against a sequence of pledges by six other organisations, and nothing the member receives gives
away another organisation's amount or homes (docs/live.md, "Hidden amounts")."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Bid, User
from app.services import pledges
from app.services import snapshots as live
from tests.api.conftest import token_for
from tests.factories import PASSWORD, BidFactory, member_of
from tests.live.helpers import Reader

OTHERS = ("Alder", "Birch", "Cedar", "Damson", "Elder", "Fir")
OWN = "Mine"
#: (organisation, action, values): creations, amendments, confirmations, a homes-only change, a withdrawal,
#: a change made and undone, and the member's own changes.
STEPS = [
    ("Alder", "save", dict(amount_pence=111_111_00, homes=1_234, status="indicative", regions=["NW"])),
    (OWN, "save", dict(amount_pence=50_000_00, homes=500, status="confirmed", regions=["NW"])),
    ("Birch", "save", dict(amount_pence=222_222_00, homes=2_345, status="indicative", regions=["NW", "NE"])),
    ("Cedar", "save", dict(amount_pence=333_333_00, homes=3_456, status="confirmed", regions=["WAL"])),
    ("Damson", "save", dict(amount_pence=444_444_00, homes=4_567, status="confirmed", regions=["SCO"])),
    ("Elder", "save", dict(amount_pence=555_555_00, homes=5_678, status="confirmed", regions=["NI"])),
    ("Fir", "save", dict(amount_pence=666_666_00, homes=6_789, status="indicative", regions=["LON"])),
    ("Alder", "save", dict(amount_pence=111_999_00)),
    ("Alder", "save", dict(status="confirmed")),
    ("Birch", "save", dict(homes=2_999)),
    ("Cedar", "withdraw", {}),
    ("Damson", "save", dict(amount_pence=400_001_00)),
    ("Elder", "save", dict(homes=5_999)),
    ("Fir", "save", dict(status="confirmed")),
    ("Birch", "save", dict(status="confirmed")),
    ("Damson", "save", dict(amount_pence=444_444_00)),
    ("Damson", "save", dict(amount_pence=400_001_00)),
    (OWN, "save", dict(amount_pence=60_000_00, homes=600)),
]


def figures(values: dict | None) -> tuple[int, int, int]:
    """(confirmed, indicative, homes) of one organisation's pledge."""
    if not values or values["status"] not in ("confirmed", "indicative"):
        return (0, 0, 0)
    money = values["amount_pence"]
    return (money, 0, values["homes"]) if values["status"] == "confirmed" else (0, money, values["homes"])


def act(app, bid_id: int, email: str, action: str, change: dict, state: dict) -> None:
    with app.app_context(), app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        bid = db.session.get(Bid, bid_id)
        current = pledges.current_pledge(bid, user.organisation_id)
        version = current.version if current is not None else None
        if action == "withdraw":
            pledges.withdraw_pledge(user, bid, expected_version=version)
            state["status"] = "withdrawn"
        else:
            state.update(change)
            values = {k: state[k] for k in ("amount_pence", "homes", "status", "regions")}
            pledges.save_pledge(user, bid, {**values, "statement": "", "accept_terms": True}, expected_version=version)
        db.session.commit()
        latest = live.latest_event_id(bid_id)
        db.session.remove()
    return latest


def numbers(value) -> set[int]:
    """Every number in a JSON value."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, dict):
        return set().union(*(numbers(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(numbers(v) for v in value)) if value else set()
    return set()


def view_of(totals: dict) -> tuple[int, int, int]:
    return (totals["confirmed_pence"], totals["indicative_pence"], totals["homes"])


def test_a_members_stream_polls_and_api_reveal_no_other_organisations_amount_or_homes(app, make_browser, monkeypatch):
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 120)  # one stream for the whole sequence
    with app.app_context():
        bid = BidFactory(show_amounts=False, target_pence=5_000_000_00, min_total_pence=1_000_000_00)
        people = {name: member_of(bid, name=f"{name} Housing").email for name in (*OTHERS, OWN)}
        bid_id = bid.id
        token = token_for(db.session.scalar(sa.select(User).where(User.email == people[OWN])))
        db.session.commit()
        db.session.remove()
    browser = make_browser()
    browser.login(people[OWN], PASSWORD)
    client = browser.client
    api = app.test_client()
    stream = Reader(client.get(f"/bids/{bid_id}/events"))
    stream.until(lambda m: m.get("event") == "snapshot")

    state: dict[str, dict] = {name: {} for name in people}
    truth: dict[str, tuple[int, int, int]] = {}
    secrets: set[int] = set()  # every figure of another organisation: its amounts, homes and their changes
    money_secrets: set[int] = set()
    homes_secrets: set[int] = set()
    observations = []  # (truth after the step, what the member saw, organisations named in the step)
    try:
        for name, action, change in STEPS:
            before = truth.get(name, (0, 0, 0))
            latest = act(app, bid_id, people[name], action, change, state[name])
            truth[name] = figures(state[name])
            if name != OWN:
                for k, (a, b) in enumerate(zip(truth[name], before, strict=True)):
                    found = {v for v in (a, abs(a - b)) if v and a != b}
                    secrets |= found
                    (homes_secrets if k == 2 else money_secrets).update(found)
            seen = stream.until(lambda m, latest=latest: m.get("event") == "update" and int(m["id"]) >= latest)
            snapshot = seen[-1]["data"]
            named = {m["data"]["payload"].get("organisation") for m in seen if m.get("event") == "activity"}
            poll = client.get(f"/bids/{bid_id}/live.json?after=0").get_json()
            by_api = api.get(f"/api/v1/bids/{bid_id}/totals", headers={"Authorization": f"Bearer {token}"}).get_json()
            # One rule everywhere: the stream, the polling fallback and the API show the same figures.
            assert view_of(snapshot["totals"]) == view_of(poll["snapshot"]["totals"]) == view_of(by_api)
            # No figures by region: a region's money or homes moves by one member's change.
            assert all(set(r) == {"code", "name", "members"} for r in snapshot["totals"]["regions"])
            assert all(set(r) == {"code", "name", "members"} for r in by_api["by_region"])
            # The update draws the charts from data: counts only, no money or homes by region.
            assert set(snapshot["chart"]["bars"]) == {"members"} and "homes" not in snapshot["chart"]["shape"]
            assert snapshot["table"] is None and "charts" not in snapshot["fragments"]
            # The bid list shows the same figures.
            pledged = snapshot["totals"]["pledged_pence"]
            with app.app_context():  # its own context: the suspended stream's stays pushed in this thread
                assert f"£{pledged // 100:,}" in client.get("/").text, name
            observations.append((dict(truth), view_of(snapshot["totals"]), named, snapshot, poll, by_api))
    finally:
        stream.close()

    own = OWN
    moves = 0
    last = {}  # the other organisations' figures when the member's view of them last moved
    previous = (0, 0, 0)
    for step, (now, seen, named, snapshot, poll, by_api) in enumerate(observations):
        mine = now.get(own, (0, 0, 0))
        others_seen = tuple(s - m for s, m in zip(seen, mine, strict=True))
        others_now = tuple(sum(v[k] for o, v in now.items() if o != own) for k in range(3))
        # Nothing the member can see is another organisation's figure or change (a sum of three or more is not).
        assert not (numbers(snapshot) | numbers(poll) | numbers(by_api)) & secrets, f"step {step}"
        chart = snapshot["chart"]
        words = [chart["desc"], chart["caption"], *(t[1] for t in chart["ticks_y"])]
        words += [d[1] for d in chart["table_tail"]]
        words += [b[1] for panel in chart["bars"].values() for b in panel["bars"]]
        html = " ".join([*snapshot["fragments"].values(), snapshot["feed_item"] or ""])
        html += "".join(f">{word}<" for word in words)  # each chart word as a page shows it, between tags
        html += " ".join(row["html"] or "" for row in snapshot["rows"])
        for secret in money_secrets:
            assert not re.search(rf"£{secret // 100:,}(?![\d,])", html), (step, secret)
        for secret in homes_secrets:
            assert f">{secret:,}<" not in html and f" {secret:,} homes" not in html, (step, secret)
        if others_seen == previous:
            continue
        moves += 1
        # A move shows the others' figures exactly as they are (never a mix), and each figure that moved
        # combines the changes of at least three other organisations since the previous move.
        assert others_seen == others_now, f"step {step}"
        for k in range(3):
            changed = {
                o for o in set(now) | set(last) if o != own and now.get(o, (0,) * 3)[k] != last.get(o, (0,) * 3)[k]
            }
            assert not changed or len(changed) >= 3, (step, k, changed)
        # The feed's pairing: the step never equals the change of an organisation named beside it.
        delta = (others_seen[0] + others_seen[1] - previous[0] - previous[1], others_seen[2] - previous[2])
        beside = (
            set(named)
            | set(observations[step - 1][2] if step else ())
            | set(observations[step + 1][2] if step + 1 < len(observations) else ())
        )
        for org in (o.removesuffix(" Housing") for o in beside if o):
            if org == own:
                continue
            for earlier in range(step + 1):
                was = observations[earlier - 1][0].get(org, (0, 0, 0)) if earlier else (0, 0, 0)
                then = observations[earlier][0].get(org, (0, 0, 0))
                change = (then[0] + then[1] - was[0] - was[1], then[2] - was[2])
                assert delta[0] == 0 or delta[0] != change[0], (step, org)
                assert delta[1] == 0 or delta[1] != change[1], (step, org)
        last, previous = dict(now), others_seen
    assert moves == 2  # after Fir's pledge and after Birch's confirmation; not vacuous

    # The page shows the same figures and says why they wait; its region table has no money or homes.
    page = client.get(f"/bids/{bid_id}").text
    assert "at least three of them" in page
    regions = re.search(r"<caption>Pledges by region.*?</table>", page, re.S).group(0)
    assert "Homes" not in regions and "£" not in regions
    final = observations[-1][1]
    assert f"£{(final[0] + final[1]) // 100:,}" in page
    assert json.dumps(observations[-1][3]["totals"]["released_at"]) != "null"
