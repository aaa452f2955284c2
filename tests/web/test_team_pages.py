"""Team pages for a convening body and a member organisation: invite by link, join, make managers, remove (the
removed person's session and API token refused at once), the last-manager guard, and another body refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import AuditEvent, User
from app.services import api_tokens
from tests.factories import PASSWORD, ConvenorFactory, OrganisationFactory, UserFactory
from tests.web.pages import field_errors, flashes, text_of

NEW = "a-brand-new-passphrase"


@pytest.fixture(params=["convenor", "member"])
def team(request, data):
    """A manager and a colleague of one organisation (a convening body, or a member): their emails."""
    with data():
        if request.param == "convenor":
            boss = ConvenorFactory(email="boss@example.org", name="Bea Boss", is_manager=True)
            colleague = ConvenorFactory(email="colleague@example.org", organisation=boss.organisation)
        else:
            org = OrganisationFactory(name="Riverside Homes")
            boss = UserFactory(email="boss@example.org", name="Bea Boss", organisation=org, is_manager=True)
            colleague = UserFactory(email="colleague@example.org", organisation=org)
        return {"kind": request.param, "boss": boss.email, "colleague": colleague.email, "colleague_id": colleague.id}


def _link(message) -> str:
    [url] = re.findall(r"http://localhost(/team/join/\S+)", message.body)
    return url


def _user(data, email):
    with data() as s:
        user = s.scalar(sa.select(User).where(User.email == email))
        return None if user is None else {"id": user.id, "manager": user.is_manager, "enabled": user.is_enabled}


def test_invite_and_join(team, login, make_browser, data, outbox):
    boss = login(team["boss"])
    page = boss.get("/team")
    assert page.status_code == 200 and "colleague@example.org" in page.text
    response = boss.post_form("/team", {"email": "New.Person@Example.org", "as_manager": "y"})
    assert response.status_code == 302
    [invitation] = outbox
    assert invitation.to == ["new.person@example.org"] and "Bea Boss invites you" in invitation.subject
    assert "new.person@example.org" in boss.get("/team").text  # waiting
    link = _link(invitation)
    newcomer = make_browser()
    assert "new.person@example.org" in newcomer.get(link).text
    assert newcomer.post_form(link, {"name": "Nia New", "password": NEW}).status_code == 302
    assert newcomer.get("/account").status_code == 200
    joined = _user(data, "new.person@example.org")
    assert joined["manager"] is True
    with data() as s:
        user = s.get(User, joined["id"])
        assert user.organisation.users[0].organisation_id == user.organisation_id
        assert user.role.value == team["kind"]
    again = make_browser().get(link)
    assert again.status_code == 400 and "already been used" in text_of(again)


def test_an_invitation_expires(team, login, make_browser, outbox):
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        login(team["boss"]).post_form("/team", {"email": "late@example.org"})
        link = _link(outbox[0])
        traveller.move_to(start + timedelta(days=7, seconds=1))
        page = make_browser().get(link)
        assert page.status_code == 400 and "This link has expired." in text_of(page)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your colleague's email address."),
        ("not-an-address", "Enter a valid email address"),
        ("COLLEAGUE@example.org", "That address already has an account (in your organisation)."),
        ("a" * 250 + "@x.org", "Use at most 254 characters."),
    ],
)
def test_a_bad_invitation_is_refused_and_nothing_is_sent(team, login, outbox, email, message):
    response = login(team["boss"]).post_form("/team", {"email": email})
    assert response.status_code == 422
    [shown] = field_errors(response)["email"]
    assert message in shown
    assert outbox == []


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "", "password": NEW}, "name", "Enter your name."),
        ({"name": "=cmd|calc", "password": NEW}, "name", "cannot start with =, +, - or @"),
        ({"name": "Nia", "password": "short"}, "password", "Use at least 10 characters."),
        ({"name": "Nia", "password": "password123"}, "password", "That password is too common."),
    ],
)
def test_a_bad_join_form_is_refused_and_the_link_still_works(
    team, login, make_browser, data, outbox, form, field, message
):
    login(team["boss"]).post_form("/team", {"email": "nia@example.org"})
    link = _link(outbox[0])
    browser = make_browser()
    response = browser.post_form(link, form)
    assert response.status_code == 422
    assert message in " ".join(field_errors(response)[field])
    assert _user(data, "nia@example.org") is None
    assert browser.get(link).status_code == 200


def test_make_and_unmake_manager_and_the_last_manager_guard(team, login, data):
    boss = login(team["boss"])
    boss_id = _user(data, team["boss"])["id"]
    refused = boss.post_form(f"/team/{boss_id}/not-manager", {}, page="/team")
    assert refused.status_code == 302
    assert "The last manager cannot do that" in " ".join(flashes(boss.get("/team")))
    assert _user(data, team["boss"])["manager"] is True
    assert boss.post_form(f"/team/{boss_id}/remove", {}, page="/team").status_code == 302
    assert _user(data, team["boss"])["enabled"] is True
    boss.post_form(f"/team/{team['colleague_id']}/manager", {}, page="/team")
    assert _user(data, team["colleague"])["manager"] is True
    boss.post_form(f"/team/{boss_id}/not-manager", {}, page="/team")  # now allowed: someone else manages
    assert _user(data, team["boss"])["manager"] is False
    assert boss.get("/team").status_code == 403  # no longer a manager
    with data() as s:
        actions = s.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("team.%"))).all()
    assert actions == ["team.manager_made", "team.manager_unmade"]


def test_removal_stops_the_session_and_the_api_token_at_once(team, login, app, data):
    removed = login(team["colleague"])
    assert removed.get("/account").status_code == 200
    with data() as s:
        plaintext, _token = api_tokens.create_token(s.get(User, team["colleague_id"]), "script")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert api.get("/api/v1/bids", headers=headers).status_code == 200
    boss = login(team["boss"])
    assert boss.post_form(f"/team/{team['colleague_id']}/remove", {}, page="/team").status_code == 302
    assert removed.get("/account").status_code == 302  # sent to log in
    assert api.get("/api/v1/bids", headers=headers).status_code == 401
    assert removed.post_form("/login", {"email": team["colleague"], "password": PASSWORD}).status_code == 422
    people, _removed = boss.get("/team").text.split("Removed, not yet erased")
    assert "colleague@example.org" not in people  # listed only among those removed
    with data() as s:
        [event] = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "team.colleague_removed")).all()
        assert event.subject_id == team["colleague_id"]
        assert s.get(User, team["colleague_id"]).name  # their name stays on what they did


def test_a_colleague_who_is_not_a_manager_cannot_manage(team, login):
    colleague = login(team["colleague"])
    assert colleague.get("/team").status_code == 403
    assert colleague.post_form("/team", {"email": "x@example.org"}, page="/account").status_code == 403


def test_another_organisations_manager_is_refused(team, login, data):
    with data():
        ConvenorFactory(email="other@example.org", is_manager=True)
        UserFactory(email="othermember@example.org", is_manager=True)
    for email in ("other@example.org", "othermember@example.org"):
        browser = login(email)
        for action in ("remove", "manager", "not-manager", "erase"):
            response = browser.post_form(f"/team/{team['colleague_id']}/{action}", {}, page="/team")
            assert response.status_code == 404, (email, action)
        assert team["colleague"] not in browser.get("/team").text
    assert _user(data, team["colleague"]) == {"id": team["colleague_id"], "manager": False, "enabled": True}


def test_withdrawing_an_invitation_stops_its_link(team, login, make_browser, data, outbox):
    boss = login(team["boss"])
    boss.post_form("/team", {"email": "maybe@example.org"})
    link = _link(outbox[0])
    with data() as s:
        from app.models import AccountLink

        link_id = s.scalar(sa.select(AccountLink.id).where(AccountLink.email == "maybe@example.org"))
    assert boss.post_form(f"/team/invitations/{link_id}/withdraw", {}, page="/team").status_code == 302
    assert make_browser().get(link).status_code == 400


def test_a_removed_colleague_is_listed_and_can_then_be_erased(team, login, data):
    boss = login(team["boss"])
    boss.post_form(f"/team/{team['colleague_id']}/remove", {}, page="/team")
    page = boss.get("/team")
    assert "Removed, not yet erased" in page.text and team["colleague"] in page.text
    erase = f"/team/{team['colleague_id']}/erase"
    assert f'href="{erase}"' in page.text  # a link to the confirmation page, not a one-click form
    assert f'action="{erase}"' not in page.text
    assert boss.post_form(erase, {"confirm": "yes"}, page=erase).status_code == 302
    with data() as s:
        assert s.get(User, team["colleague_id"]).name == f"Former user {team['colleague_id']}"
    assert team["colleague"] not in boss.get("/team").text


def test_erasing_asks_first_and_the_safe_choice_keeps_the_person(team, login, data):
    boss = login(team["boss"])
    erase = f"/team/{team['colleague_id']}/erase"
    page = boss.get(erase)
    assert page.status_code == 200
    text = " ".join(text_of(page).split())
    assert f"“Former user {team['colleague_id']}”" in text and team["colleague"] in text
    assert "password, API tokens and sessions are removed" in text
    assert "pledges they made and the audit trail are kept" in text and "No one is emailed." in text
    # The safe choice comes first, with the focus: Enter keeps the person.
    buttons = re.findall(r'<button type="submit" name="confirm" value="(\w+)"[^>]*>', page.text)
    assert buttons == ["no", "yes"] and "autofocus" in re.search(r'<button[^>]*value="no"[^>]*>', page.text)[0]
    # "No" goes back to the team page; a POST without confirm=yes shows the page again; neither erases.
    kept = boss.post_form(erase, {"confirm": "no"}, page=erase)
    assert kept.status_code == 302 and kept.headers["Location"].endswith("/team")
    assert "What will happen" in boss.post_form(erase, {}, page=erase).text
    assert _user(data, team["colleague"]) == {"id": team["colleague_id"], "manager": False, "enabled": True}
    with data() as s:
        assert not s.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.erased")
        )
    # A POST without a CSRF token is refused.
    assert boss.client.post(erase, data={"confirm": "yes"}).status_code == 400
    assert _user(data, team["colleague"])["enabled"] is True
    # Yes erases.
    assert boss.post_form(erase, {"confirm": "yes"}, page=erase).status_code == 302
    with data() as s:
        assert s.get(User, team["colleague_id"]).name == f"Former user {team['colleague_id']}"
