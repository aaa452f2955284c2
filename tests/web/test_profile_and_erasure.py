"""A member organisation's profile page, the personal data download, and erasure of a person who has left."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.models import AuditEvent, Organisation, Pledge, User
from app.services import packs
from tests.factories import PASSWORD, BidFactory, UserFactory, member_of
from tests.pdfs import clean_storage
from tests.web.pages import field_errors, flashes

PLEDGE_FORM = {
    "amount": "£300,000",
    "homes": "120",
    "regions": ["NW"],
    "statement": "Grants for local groups.",
    "status": "confirmed",
    "accept_terms": "y",
}


@pytest.fixture
def org(data):
    """An open bid joined by Riverside Homes, whose manager is Bea and whose colleague is Zed Zephyrine."""
    with data():
        bid = BidFactory(title="Bid X")
        boss = member_of(bid, name="Riverside Homes", email="boss@riverside.example")
        zed = UserFactory(email="zed.zephyrine@riverside.example", name="Zed Zephyrine", organisation=boss.organisation)
        return {
            "bid": bid.id,
            "convenor": bid.created_by.email,
            "boss": boss.email,
            "zed": zed.email,
            "zed_id": zed.id,
            "org": boss.organisation_id,
        }


def test_a_manager_edits_the_profile_and_www_gets_https(org, login, data):
    boss = login(org["boss"])
    form = {
        "name": "Riverside Housing Group",
        "identifier": "gb-shpe-l0026",
        "homes_owned": "12,400",
        "regions": ["NW", "YH"],
        "website": "www.riverside.example.org",
    }
    assert boss.post_form("/organisation/profile", form).status_code == 302
    with data() as s:
        saved = s.get(Organisation, org["org"])
        assert (saved.name, saved.identifier, saved.homes_owned, saved.regions, saved.website) == (
            "Riverside Housing Group",
            "GB-SHPE-L0026",
            12_400,
            ["NW", "YH"],
            "https://www.riverside.example.org",
        )
        assert s.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "organisation.profile_updated")) == 1
    assert "https://www.riverside.example.org" in boss.get("/organisation/profile").text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the organisation's name."),
        ({"name": "x" * 201}, "name", "Use at most 200 characters."),
        ({"name": "@SUM(A1)"}, "name", "cannot start with =, +, - or @"),
        ({"name": "Other Homes"}, "name", "An organisation with that name already exists."),
        ({"identifier": "GB-COH-12"}, "identifier", "That does not look like a company"),
        ({"homes_owned": "many"}, "homes_owned", "Enter the number of homes owned as a whole number"),
        ({"homes_owned": "-5"}, "homes_owned", "0 or more"),
        ({"regions": ["NW", "XX"]}, "regions", "Choose"),
        ({"website": "not a site"}, "website", "A website address cannot contain spaces."),
        ({"website": "javascript:alert(1)"}, "website", "Enter a website address like www.example.org."),
    ],
)
def test_bad_profile_input_is_refused_and_nothing_is_saved(org, login, data, changes, field, message):
    with data():
        UserFactory(organisation__name="Other Homes")
    form = {"name": "Riverside Homes", "homes_owned": "10000", "regions": ["NW"], "website": "www.ok.example.org"}
    response = login(org["boss"]).post_form("/organisation/profile", {**form, **changes})
    assert response.status_code == 422
    assert message in " ".join(field_errors(response)[field])
    with data() as s:
        saved = s.get(Organisation, org["org"])
        assert (saved.name, saved.website) == ("Riverside Homes", None)


def test_a_colleague_who_is_not_a_manager_cannot_edit_the_profile(org, login):
    assert login(org["zed"]).get("/organisation/profile").status_code == 403


def test_the_personal_data_download(org, login, outbox):
    zed = login(org["zed"])
    zed.post_form("/password-reset", {"email": org["zed"]})  # an email with a link in it, held for them
    response = zed.get("/account/personal-data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["profile"]["email"] == org["zed"] and data["profile"]["name"] == "Zed Zephyrine"
    assert data["memberships"] == [
        {"organisation_id": org["org"], "organisation": "Riverside Homes", "kind": "member", "manager": False}
    ]
    assert "auth.login" in [e["action"] for e in data["audit_log"]]
    [email] = data["emails"]
    assert email["subject"] == "Reset your password"
    assert "[link removed]" in email["text"] and "/password-reset/" not in email["text"]


@pytest.mark.usefixtures(clean_storage.__name__)
def test_erasure_leaves_the_pledge_and_removes_the_name_everywhere(org, login, make_browser, data, runner, app):
    zed = login(org["zed"])
    assert zed.post_form(f"/bids/{org['bid']}/pledge", {**PLEDGE_FORM, "version": ""}).status_code == 302
    with data() as s:
        before = s.execute(sa.select(Pledge.amount_pence, Pledge.homes, Pledge.status)).all()
    boss = login(org["boss"])
    erase = f"/team/{org['zed_id']}/erase"
    assert boss.post_form(erase, {"confirm": "yes"}, page=erase).status_code == 302
    pseudonym = f"Former user {org['zed_id']}"
    assert pseudonym in " ".join(flashes(boss.get("/team")))
    # Their session ended.
    assert zed.get("/account").status_code == 302
    # The pledge and the totals are unchanged.
    with data() as s:
        assert s.execute(sa.select(Pledge.amount_pence, Pledge.homes, Pledge.status)).all() == before
        assert s.get(User, org["zed_id"]).name == pseudonym
    # Their name is nowhere: pages, the audit log and its CSV, a pack made after the erasure.
    convenor = login(org["convenor"])
    with data() as s:
        pledge_id = s.scalar(sa.select(Pledge.id))
    pages = [
        convenor.get(f"/bids/{org['bid']}/audit").text,
        convenor.get(f"/bids/{org['bid']}/audit.csv").data.decode("utf-8-sig"),
        convenor.get(f"/bids/{org['bid']}/pledges/{pledge_id}/history").text,
        boss.get(f"/bids/{org['bid']}/pledges/{pledge_id}/history").text,
        boss.get("/team").text,
    ]
    with data() as s:
        from app.models import Bid

        bid = s.get(Bid, org["bid"])
        pack = packs.generate_pack(bid.created_by, bid)
        s.flush()
        pdf = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(packs.read_file(pack, "pdf"))).pages)
        pages += [pdf, packs.read_file(pack, "csv").decode("utf-8-sig")]
        audit_json = json.dumps(
            [[e.before, e.after] for e in s.scalars(sa.select(AuditEvent))], ensure_ascii=False
        ).lower()
    assert pseudonym in pages[2]  # the history shows who made the pledge, under the pseudonym
    for text in pages:
        assert "Zephyrine" not in text and "zed.zephyrine" not in text.lower()
    assert "zephyrine" not in audit_json
    # They cannot log in (the failed attempt records the address typed, as for any unknown address).
    assert make_browser().post_form("/login", {"email": org["zed"], "password": PASSWORD}).status_code == 422
    # The operator's command refuses to erase twice, and erases by address.
    again = runner.invoke(args=["users", "erase", "--yes", f"former-user-{org['zed_id']}@erased.invalid"])
    assert again.exit_code == 1 and "already been erased" in again.output


def test_the_last_manager_of_a_convening_body_cannot_be_erased(runner, data):
    with data():
        from tests.factories import ConvenorFactory

        ConvenorFactory(email="only@body.example", is_manager=True)
    result = runner.invoke(args=["users", "erase", "--yes", "only@body.example"])
    assert result.exit_code == 1 and "The last manager cannot be erased" in result.output
    with data() as s:
        assert s.scalar(sa.select(User.name).where(User.email == "only@body.example"))


def test_the_operator_erases_by_address(runner, org, data):
    result = runner.invoke(args=["users", "erase", "--yes", org["zed"].upper()])
    assert result.exit_code == 0, result.output
    assert f"Former user {org['zed_id']}" in result.output
    with data() as s:
        user = s.get(User, org["zed_id"])
        assert user.email == f"former-user-{org['zed_id']}@erased.invalid" and not user.is_enabled
        assert s.scalar(sa.select(AuditEvent.actor_id).where(AuditEvent.action == "user.erased")) is None
