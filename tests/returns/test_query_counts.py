"""The dashboard, the totals and the member's page run the same number of SQL statements whatever the number of
organisations (counted, not timed: speed lives in bench/)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from app.extensions import db
from app.infra import clock
from app.services.returns.returns import save_return
from tests.factories import PASSWORD
from tests.returns.support import network, programme_for


def _world(app, n: int, prefix: str) -> dict:
    with app.app_context(), clock.frozen(datetime(2020, 7, 2, tzinfo=UTC)):
        convenor, members = network(n, prefix=prefix)
        programme = programme_for(convenor, members, lock_days=0)
        for period in programme.periods:
            for user in members:
                save_return(
                    user, programme, period, {"CALLS": 3, "FOOD": 1, "ARREARS": 2}, submit=True, expected_version=0
                )
        db.session.commit()
        return {"id": programme.id, "convenor": convenor.email, "member": members[0].email}


def _count(app, browser, url: str) -> int:
    seen: list[str] = []

    def listen(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with clock.frozen(datetime(2020, 7, 3, tzinfo=UTC)):
            assert browser.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return len(seen)


@pytest.mark.parametrize("who", ["convenor", "member"])
def test_statements_do_not_grow_with_the_organisations(app, make_browser, who):
    counts = []
    for n, prefix in ((4, "Small"), (12, "Large")):
        world = _world(app, n, prefix)
        browser = make_browser()
        browser.login(world[who], PASSWORD)
        counts.append(_count(app, browser, f"/programmes/{world['id']}"))
    assert counts[0] == counts[1], counts
