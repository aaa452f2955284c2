"""Who may open what in impact returns: every route of the ``returns.`` blueprint × five kinds of visitor.

The table must name every endpoint of the blueprint (checked against ``app.url_map``). Another organisation's
return and another body's programme are 404s; members are refused convenor actions; what members can reach
never shows a figure from fewer than 3 organisations.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.infra import clock
from app.models import AuditEvent
from app.services.returns.returns import save_return
from tests.factories import PASSWORD
from tests.returns.support import network, programme_for
from tests.web.pages import csrf_token

ROLES = ("anonymous", "convenor", "other_convenor", "member_a", "member_c")
OK, DONE, LOGIN = 200, "done", "login"
FAST_HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")


def roles(anonymous=LOGIN, convenor=404, other_convenor=404, member_a=404, member_c=404) -> dict:
    return dict(
        anonymous=anonymous, convenor=convenor, other_convenor=other_convenor, member_a=member_a, member_c=member_c
    )


CONVENOR_PAGE = roles(convenor=OK, member_a=403)
CONVENOR_ACTION = roles(convenor=DONE, member_a=403)
P1 = "2020-03..2020-04"

MATRIX: dict[str, list[tuple]] = {
    "returns.index": [("GET", "/programmes", None, roles(**dict.fromkeys(ROLES[1:], OK)))],
    "returns.new": [
        ("GET", "/programmes/new", None, roles(convenor=OK, other_convenor=OK, member_a=403, member_c=403)),
        (
            "POST",
            "/programmes/new",
            {
                "title": "T",
                "first_period": "2020-03",
                "m-0-code": "A",
                "m-0-label": "A",
                "m-0-unit": "count",
                "m-0-kind": "flow",
                "organisation_ids": "{org_a}",
                "due_days": "15",
                "lock_days": "0",
            },
            roles(convenor=DONE, other_convenor=422, member_a=403, member_c=403),
        ),
    ],
    "returns.show": [("GET", "/programmes/{programme}", None, roles(convenor=OK, member_a=OK))],
    "returns.edit_return": [
        ("GET", f"/programmes/{{programme}}/periods/{P1}/return", None, roles(convenor=403, member_a=OK)),
        (
            "POST",
            f"/programmes/{{programme}}/periods/{P1}/return",
            {"action": "submit", "version": "{version_a}", "v-CALLS": "7", "v-FOOD": "1", "v-ARREARS": "1"},
            roles(convenor=403, member_a=DONE),
        ),
        ("GET", "/programmes/{programme}/periods/2031-01/return", None, roles(convenor=403, member_a=404)),
    ],
    # (no file: a participant gets the form back with a message, 422; no one else reaches it)
    "returns.upload_return": [
        ("POST", "/programmes/{programme}/periods/2020-05/return/upload", {}, roles(convenor=403, member_a=422)),
    ],
    "returns.copy_previous": [
        ("POST", "/programmes/{programme}/periods/2020-05/return/copy", {}, roles(convenor=403, member_a=DONE)),
    ],
    "returns.review_return": [
        ("GET", f"/programmes/{{programme}}/periods/{P1}/returns/{{return_a}}", None, CONVENOR_PAGE),
        # a return of another programme, asked for under this one
        (
            "GET",
            f"/programmes/{{programme}}/periods/{P1}/returns/{{foreign_return}}",
            None,
            roles(convenor=404, member_a=403),
        ),
    ],
    "returns.accept": [
        ("POST", f"/programmes/{{programme}}/periods/{P1}/returns/{{return_a}}/accept", {}, CONVENOR_ACTION),
    ],
    "returns.query": [
        (
            "POST",
            f"/programmes/{{programme}}/periods/{P1}/returns/{{return_a}}/query",
            {"note": "Check calls"},
            CONVENOR_ACTION,
        ),
    ],
    "returns.remind_missing": [("POST", f"/programmes/{{programme}}/periods/{P1}/remind", {}, CONVENOR_ACTION)],
    "returns.summary_pdf": [("GET", "/programmes/{programme}/summary.pdf", None, roles(convenor=OK, member_a=OK))],
    "returns.send_summary": [
        ("POST", "/programmes/{programme}/summary/send", {"from_period": P1, "to_period": P1}, CONVENOR_ACTION),
    ],
    "returns.summary_links_page": [("GET", "/programmes/{programme}/summary/links", None, CONVENOR_PAGE)],
    "returns.revoke_summary_link": [
        ("POST", "/programmes/{programme}/summary/links/{summary_link}/revoke", {}, CONVENOR_ACTION),
        # another programme's link, asked for under this one
        ("POST", "/programmes/{programme}/summary/links/{foreign_link}/revoke", {}, roles(convenor=404, member_a=403)),
    ],
    # a private link: anyone holding it reads the members' report (no login); a tampered one is a 404 for all
    "returns.shared_summary": [
        ("GET", "/s/{summary_token}", None, dict.fromkeys(ROLES, OK)),
        ("GET", "/s/{summary_token}x", None, dict.fromkeys(ROLES, 404)),
    ],
    "returns.participants_page": [("GET", "/programmes/{programme}/participants", None, CONVENOR_PAGE)],
    "returns.add_participants": [
        ("POST", "/programmes/{programme}/participants", {"organisation_ids": "{org_c}"}, CONVENOR_ACTION),
    ],
    "returns.remove_participant": [
        ("POST", "/programmes/{programme}/participants/{org_d}/remove", {}, CONVENOR_ACTION),
        # an organisation of another body's programme: not taking part here
        ("POST", "/programmes/{programme}/participants/{foreign_org}/remove", {}, roles(member_a=403)),
    ],
    "returns.summary_xlsx": [
        ("GET", "/programmes/{programme}/summary.xlsx", None, CONVENOR_PAGE),
        (
            "GET",
            "/programmes/{programme}/summary.xlsx?from=2020-05&to=2020-03..2020-04",
            None,
            roles(convenor=422, member_a=403),
        ),
    ],
    "returns.attach_evidence": [
        (
            "POST",
            "/programmes/{programme}/evidence",
            {"bid_id": "{bid}", "from_period": P1, "to_period": P1},
            CONVENOR_ACTION,
        ),
    ],
    "returns.lock_exception": [
        ("GET", f"/programmes/{{programme}}/periods/{P1}/exceptions", None, CONVENOR_PAGE),
        (
            "POST",
            f"/programmes/{{programme}}/periods/{P1}/exceptions",
            {"organisation_id": "{org_a}", "reason": "Late figures", "end_date": "2099-01-31"},
            CONVENOR_ACTION,
        ),
    ],
}


def _cases():
    for endpoint, cases in MATRIX.items():
        for method, path, form, expected in cases:
            for role in ROLES:
                yield pytest.param(method, path, form, role, expected[role], id=f"{endpoint}-{method}-{path}-{role}")


def test_every_route_of_the_blueprint_is_in_the_matrix(app):
    in_app = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("returns.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    in_matrix = {(endpoint, case[0]) for endpoint, cases in MATRIX.items() for case in cases}
    assert not sorted(in_app - in_matrix), f"routes with no permission entry: {sorted(in_app - in_matrix)}"
    assert not set(MATRIX) - {r.endpoint for r in app.url_map.iter_rules()}


@pytest.fixture
def world(data):
    """Body X runs a programme with organisations A, B, C2 and D taking part (A, B and D have returned the
    first period; only A and B gave FOOD); C was invited to X's bid but does not take part. Body Y has its own
    programme, with a return of its own."""
    with data() as s, clock.frozen(datetime(2020, 6, 2, tzinfo=UTC)):
        convenor, members = network(5)
        taking_part = [members[0], members[1], members[3], members[4]]
        programme = programme_for(convenor, taking_part, lock_days=0)
        p1 = programme.periods[0]
        rets = [
            save_return(
                u,
                programme,
                p1,
                {"CALLS": 10, "FOOD": 4 if n < 2 else None, "ARREARS": 1},
                submit=True,
                expected_version=0,
            )
            for n, u in enumerate(taking_part[:3])
        ]
        other_convenor, other_members = network(3, prefix="Elsewhere")
        other = programme_for(other_convenor, other_members, lock_days=0)
        foreign = save_return(
            other_members[0],
            other,
            other.periods[0],
            {"CALLS": 1, "FOOD": 1, "ARREARS": 1},
            submit=True,
            expected_version=0,
        )
        for user in (convenor, other_convenor, *members):
            user.password_hash = FAST_HASH
        s.flush()
        from app.services.returns import summary_links

        link, token = summary_links.send_summary(convenor, programme, P1, P1)[0]
        link.expires_at = datetime(2099, 1, 1, tzinfo=UTC)  # the matrix runs at today's time, not the frozen one
        foreign_link, _ = summary_links.send_summary(other_convenor, other, other.periods[0].key, other.periods[0].key)[
            0
        ]
        from app.models import Bid

        return {
            "bid": s.scalar(sa.select(Bid.id).where(Bid.organisation_id == convenor.organisation_id)),
            "programme": programme.id,
            "org_a": members[0].organisation_id,
            "org_c": members[2].organisation_id,
            "org_d": members[4].organisation_id,
            "foreign_org": other_members[0].organisation_id,
            "summary_link": link.id,
            "summary_token": token,
            "foreign_link": foreign_link.id,
            "return_a": rets[0].id,
            "version_a": rets[0].version,
            "foreign_return": foreign.id,
            "emails": {
                "convenor": convenor.email,
                "other_convenor": other_convenor.email,
                "member_a": members[0].email,
                "member_c": members[2].email,
            },
        }


def _changes(data) -> int:
    with data() as s:
        return s.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.not_in(["auth.login", "auth.login_failed", "access.refused"]))
        )


@pytest.mark.parametrize(("method", "path", "form", "role", "expected"), list(_cases()))
def test_permission(world, login, make_browser, data, method, path, form, role, expected):
    browser = make_browser() if role == "anonymous" else login(world["emails"][role])
    url = path.format(**world)
    before = _changes(data)
    if method == "GET":
        response = browser.get(url)
    else:
        token = csrf_token(browser.get("/login" if role == "anonymous" else "/account"))
        payload = {k: v.format(**world) for k, v in form.items()}
        response = browser.client.post(url, data={"csrf_token": token, **payload})
    changed = _changes(data) - before
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        assert response.status_code == 302 and location.startswith("/login")
    elif expected == DONE:
        assert response.status_code == 302, (response.status_code, response.text[:500])
        assert changed > 0
    else:
        assert response.status_code == expected, (response.status_code, response.text[:300])
        if expected != OK or method == "GET":
            assert changed == 0
    if expected == 404 and role != "member_a":  # (member A's own name is in its page header)
        assert "Landlord 01" not in response.text


def test_a_members_page_never_shows_a_figure_from_fewer_than_three(world, login):
    page = login(world["emails"]["member_a"]).get(f"/programmes/{world['programme']}")
    text = " ".join(page.text.split())
    # FOOD came from two organisations (A's own 4 is shown as "yours", never the total 8)
    assert "fewer than 3 organisations" in text
    assert "£" not in text and ">8<" not in text
    assert "<td>30</td>" in text  # CALLS from three: shown


def test_members_never_see_the_homes_of_one_or_two_organisations(world, login, data):
    from app.services.returns import totals

    with data() as s:
        from app.models import Programme

        rows = totals.for_members(totals.series(s.get(Programme, world["programme"])))
    # the first period has three returns; the second (2020-05) none
    assert rows[0]["homes_covered"] is not None and rows[1]["homes_covered"] is None
