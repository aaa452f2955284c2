"""Every state-changing page route refuses a missing or wrong CSRF token (the API uses bearer tokens instead)."""

import pytest
from werkzeug.routing import Rule

from tests.factories import BidFactory, member_of

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _state_changing_rules(app) -> list[Rule]:
    return [
        r
        for r in app.url_map.iter_rules()
        if (r.methods or set()) & UNSAFE and not r.rule.startswith("/api/") and r.endpoint != "static"
    ]


def _url(rule: Rule, ids: dict[str, int]) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if type(converter).__name__ == "IntegerConverter":
            values[name] = ids.get(name, 1)
        elif type(converter).__name__ == "AnyConverter":
            values[name] = next(iter(converter.items))  # type: ignore[attr-defined]
        else:
            values[name] = "x"
    return rule.build(values)[1]


def test_there_are_state_changing_routes_to_check(app):
    assert len(_state_changing_rules(app)) >= 8


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_every_state_changing_route_refuses_a_bad_csrf_token(app, browser, token):
    with app.app_context():
        bid = BidFactory()
        member = member_of(bid)
        convenor_email, member_email, bid_id = bid.created_by.email, member.email, bid.id
        from app.extensions import db

        db.session.commit()
    failures = []
    for who in (None, convenor_email, member_email):
        client = app.test_client()
        if who:
            from tests.conftest import Browser

            Browser(client).login(who)
        for rule in _state_changing_rules(app):
            url = _url(rule, {"bid_id": bid_id})
            for method in sorted((rule.methods or set()) & UNSAFE):
                data = {} if token is None else {"csrf_token": token}
                response = client.open(url, method=method, data=data)
                if response.status_code != 400 or "This form has expired" not in response.text:
                    failures.append(f"{who or 'anonymous'} {method} {url} → {response.status_code}")
    assert not failures, "\n".join(failures)
