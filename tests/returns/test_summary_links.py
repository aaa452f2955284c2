"""The summary report's private links: one per organisation that submitted, opening the members' report with no
login; a tampered link is a 404, an expired or withdrawn one a 410; every link shows the same suppressed figures,
never one organisation's own."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.infra import clock
from app.models import AuditEvent, SummaryLink
from app.services.errors import NotFound, PermissionDenied, TokenInvalid
from app.services.returns import summary_links
from app.services.returns.returns import save_return
from tests.returns.support import network, programme_for

SENT = datetime(2020, 6, 1, 9, tzinfo=UTC)


@pytest.fixture
def sent(app):
    """Four organisations submitted March–April: A alone gave FOOD (a total from one, never shown), CALLS from
    all four. The convenor sends the summary: four links."""
    with app.app_context(), clock.frozen(SENT):
        convenor, members = network(5)
        programme = programme_for(convenor, members)
        for n, user in enumerate(members[:4]):
            values = {"CALLS": 10 + n, "FOOD": 777 if n == 0 else None, "ARREARS": 3}
            save_return(user, programme, programme.periods[0], values, submit=True, expected_version=0)
        made = summary_links.send_summary(convenor, programme, "2020-03..2020-04", "2020-03..2020-04")
        db.session.commit()
        return {
            "programme": programme.id,
            "convenor": convenor.email,
            "tokens": [t for _, t in made],
            "links": [link.id for link, _ in made],
        }


def _text(response) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_each_organisation_gets_a_link_that_opens_the_members_report_without_login(sent, make_browser):
    assert len(sent["tokens"]) == 4 and len(set(sent["tokens"])) == 4
    client = make_browser().client
    with clock.frozen(SENT + timedelta(days=1)):
        texts = []
        for token in sent["tokens"]:
            response = client.get(f"/s/{token}")
            assert response.status_code == 200 and response.mimetype == "application/pdf"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert "no-store" in response.headers["Cache-Control"]
            texts.append(_text(response))
    # the same report for every organisation: CALLS 10+11+12+13 = 46 shown, A's FOOD (777, from one) never
    assert len(set(texts)) == 1
    assert "46" in texts[0] and "777" not in texts[0] and "fewer than 3" in texts[0]
    assert "Landlord 0" not in texts[0]  # no organisation named (no story was shared)


def test_only_the_hash_is_stored(sent, app):
    with app.app_context():
        hashes = set(db.session.scalars(sa.select(SummaryLink.token_hash)))
    assert not hashes & set(sent["tokens"]) and len(hashes) == 4


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: t + "x",
        lambda t: "not-a-token",
        lambda t: "x" * 600,
    ],
)
def test_a_tampered_link_is_not_found(sent, make_browser, tamper):
    with clock.frozen(SENT + timedelta(days=1)):
        response = make_browser().client.get(f"/s/{tamper(sent['tokens'][0])}")
    assert response.status_code == 404 and "not valid" in response.text


def test_a_link_expires(sent, make_browser, app):
    token = sent["tokens"][0]
    with app.app_context():
        ends = db.session.get(SummaryLink, sent["links"][0]).expires_at
    client = make_browser().client
    with clock.frozen(ends - timedelta(seconds=1)):
        assert client.get(f"/s/{token}").status_code == 200
    with clock.frozen(ends):
        response = client.get(f"/s/{token}")
    assert response.status_code == 410 and "expired" in response.text
    assert ends == SENT + timedelta(days=30)


def test_a_withdrawn_link_stops_at_once_and_only_that_one(sent, make_browser, app):
    with app.app_context(), clock.frozen(SENT + timedelta(hours=1)):
        from app.models import Programme, User

        convenor = db.session.scalar(sa.select(User).where(User.email == sent["convenor"]))
        programme = db.session.get(Programme, sent["programme"])
        summary_links.revoke_link(convenor, programme, sent["links"][0])
        summary_links.revoke_link(convenor, programme, sent["links"][0])  # twice: harmless, one audit row
        db.session.commit()
        revoked = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "return.summary_link_revoked")
        ).all()
        assert len(revoked) == 1
    client = make_browser().client
    with clock.frozen(SENT + timedelta(hours=2)):
        response = client.get(f"/s/{sent['tokens'][0]}")
        assert response.status_code == 410 and "withdrawn" in response.text
        assert client.get(f"/s/{sent['tokens'][1]}").status_code == 200


def test_a_link_for_one_programme_cannot_be_revoked_through_another_or_by_a_member(sent, app):
    with app.app_context(), clock.frozen(SENT):
        from app.models import Programme, User

        convenor, members = network(3, prefix="Elsewhere")
        other = programme_for(convenor, members)
        with pytest.raises(PermissionDenied):
            summary_links.revoke_link(convenor, db.session.get(Programme, sent["programme"]), sent["links"][0])
        with pytest.raises(NotFound):
            summary_links.revoke_link(convenor, other, sent["links"][0])
        member = db.session.scalar(sa.select(User).where(User.email.like("m1.%")))
        with pytest.raises(PermissionDenied):
            summary_links.revoke_link(member, db.session.get(Programme, sent["programme"]), sent["links"][0])


def test_open_link_reasons(sent, app):
    with app.app_context(), clock.frozen(SENT):
        with pytest.raises(TokenInvalid) as exc:
            summary_links.open_link("")
        assert exc.value.reason == "tampered"
        assert summary_links.open_link(sent["tokens"][2]).id == sent["links"][2]
