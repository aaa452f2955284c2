"""Invitation pages: invite one, resend, revoke, and the invitee's link (accept, join, decline, dead links)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.infra import clock
from app.models import AuditEvent, Bid, BidStatus, Invitation, InvitationStatus, Organisation, User
from app.models import organisation as organisation_model
from tests.factories import PASSWORD, BidFactory, OrganisationFactory, UserFactory, member_of
from tests.locks import only_sqlite, recording_lock
from tests.web.pages import csrf_token, field_errors, flashes, post_prefixed, text_of

LINK = re.compile(r"http://localhost(/invitations/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def bid(data):
    """An open bid: (bid_id, convenor_email)."""
    with data():
        made = BidFactory(title="Community Match Fund bid")
        return made.id, made.created_by.email


def invite(browser, bid_id, name, email):
    return post_prefixed(
        browser,
        f"/bids/{bid_id}/invitations",
        "one",
        {"kind": "one", "one-organisation_name": name, "one-email": email},
    )


def last_link(outbox, email) -> str:
    bodies = [m.body for m in outbox if email in m.to]
    assert bodies, f"no email to {email}"
    return LINK.search(bodies[-1]).group(1)


@pytest.fixture
def invited(login, bid, outbox):
    """Northern Homes invited by the convenor: (bid_id, link, convenor browser)."""
    bid_id, email = bid
    browser = login(email)
    assert invite(browser, bid_id, "Northern Homes", "chief@northern.example").status_code == 302
    return bid_id, last_link(outbox, "chief@northern.example"), browser


def _invitation(data, email="chief@northern.example"):
    with data() as s:
        row = s.scalar(sa.select(Invitation).where(Invitation.email == email))
        s.expunge(row)
        return row


# --- the convenor invites ------------------------------------------------------------------------


def test_invite_one_sends_an_email_with_a_link(invited, outbox, data):
    bid_id, link, browser = invited
    page = browser.get(f"/bids/{bid_id}/invitations")
    assert "Invitation sent to chief@northern.example." in flashes(page)
    assert "Northern Homes" in page.text
    [message] = outbox
    assert message.subject == "Invitation to pledge: Community Match Fund bid"
    assert "Northern Homes" in message.body
    assert link.startswith("/invitations/")
    row = _invitation(data)
    assert row.status == InvitationStatus.SENT
    assert row.token_hash and row.token_hash not in link  # only the hash is stored
    with data() as s:
        assert s.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "invitation.sent")) == 1


@pytest.mark.parametrize(
    ("name", "email", "field", "message"),
    [
        ("Northern Homes", "not-an-email", "one-email", "The email address is not valid: 'not-an-email'."),
        ("Northern Homes", "", "one-email", "Enter the contact's email address."),
        ("", "a@northern.example", "one-organisation_name", "Enter the organisation's name."),
        (
            '=HYPERLINK("http://x","y")',
            "a@northern.example",
            "one-organisation_name",
            "The organisation name cannot start with =, +, - or @ (it looks like a spreadsheet formula).",
        ),
    ],
)
def test_invite_one_refuses_bad_input_beside_the_field(login, bid, count, outbox, name, email, field, message):
    bid_id, convenor = bid
    response = invite(login(convenor), bid_id, name, email)
    assert response.status_code == 422
    assert field_errors(response)[field] == [message]
    assert count(Invitation) == 0
    assert outbox == []


def test_invite_the_same_email_twice_says_so(invited, count, outbox):
    bid_id, _, browser = invited
    response = invite(browser, bid_id, "Northern Homes again", "Chief@Northern.example")
    assert response.status_code == 422
    assert field_errors(response)["one-email"] == ["This email address was already invited to this bid (sent)."]
    assert count(Invitation) == 1
    assert len(outbox) == 1


def test_no_invitations_for_a_closed_bid(login, data, count):
    with data():
        made = BidFactory(status=BidStatus.CLOSED)
        bid_id, email = made.id, made.created_by.email
    browser = login(email)
    page = browser.get(f"/bids/{bid_id}/invitations")
    assert "This bid is closed: no more invitations can be sent." in page.text
    response = invite(browser, bid_id, "Late Homes", "late@example.org")
    assert response.status_code == 422
    assert "Invitations cannot be sent for a closed bid." in flashes(response)
    assert count(Invitation) == 0


# --- resend and revoke -----------------------------------------------------------------------------


def test_resend_replaces_the_link(invited, make_browser, outbox, data):
    bid_id, old_link, browser = invited
    row = _invitation(data)
    response = browser.post_form(f"/bids/{bid_id}/invitations/{row.id}/resend", page=f"/bids/{bid_id}/invitations")
    assert response.status_code == 302
    assert "A new link was sent to chief@northern.example." in flashes(browser.get(response.headers["Location"]))
    new_link = last_link(outbox, "chief@northern.example")
    assert new_link != old_link
    stranger = make_browser()
    stale = stranger.get(old_link)
    assert stale.status_code == 410
    assert "A newer invitation email was sent since this one." in text_of(stale)
    assert stranger.get(new_link).status_code == 200
    assert _invitation(data).send_count == 2


def test_revoke_kills_the_link(invited, make_browser, data):
    bid_id, link, browser = invited
    row = _invitation(data)
    invitee = make_browser()
    token = csrf_token(invitee.get(link))  # the invitee opened the page before the revocation
    browser.post_form(f"/bids/{bid_id}/invitations/{row.id}/revoke", page=f"/bids/{bid_id}/invitations")
    assert _invitation(data).status == InvitationStatus.REVOKED
    page = make_browser().get(link)
    assert page.status_code == 410
    assert "This invitation has been withdrawn by the convenor." in page.text
    late = invitee.client.post(link, data={**accept_form(), "accept-csrf_token": token})
    assert late.status_code == 410
    assert "This invitation has been withdrawn by the convenor." in late.text
    with data() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == row.email)) == 0
    # Revoking twice is refused politely.
    again = browser.post_form(f"/bids/{bid_id}/invitations/{row.id}/revoke", page=f"/bids/{bid_id}/invitations")
    assert again.status_code == 302
    assert "An invitation that was revoked cannot be revoked." in flashes(browser.get(again.headers["Location"]))


def test_resend_of_an_invitation_from_another_bid_is_not_found(invited, login, data):
    with data():
        other = BidFactory()
        other_id, other_email = other.id, other.created_by.email
    row = _invitation(data)
    browser = login(other_email)
    response = browser.post_form(f"/bids/{other_id}/invitations/{row.id}/resend", page=f"/bids/{other_id}/invitations")
    assert response.status_code == 404


# --- the invitee accepts -------------------------------------------------------------------------


def accept_form(**overrides) -> dict:
    values = {
        "choice": "accept",
        "accept-name": "Asha Patel",
        "accept-password": "a-long-enough-passphrase",
        "accept-org_name": "Northern Homes",
        "accept-identifier": "GB-SHPE-L0026",
        "accept-homes_owned": "12,400",
        "accept-regions": ["NW", "YH"],
        "accept-website": "https://northern.example",
    }
    values.update(overrides)
    return values


def test_accept_creates_the_account_and_the_organisation(invited, make_browser, data):
    bid_id, link, _ = invited
    invitee = make_browser()
    page = invitee.get(link)
    assert page.status_code == 200
    assert "chief@northern.example" in page.text
    response = post_prefixed(invitee, link, "accept", accept_form())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/bids/{bid_id}"
    landing = invitee.get(response.headers["Location"])
    assert "Welcome. Your account is ready: you can pledge now." in landing.text
    assert invitee.get(f"/bids/{bid_id}/pledge").status_code == 200
    with data() as s:
        user = s.scalar(sa.select(User).where(User.email == "chief@northern.example"))
        org = user.organisation
        assert (org.name, org.identifier, org.homes_owned, org.regions) == (
            "Northern Homes",
            "GB-SHPE-L0026",
            12_400,
            ["NW", "YH"],
        )
        assert org.website == "https://northern.example"
        invitation = s.scalar(sa.select(Invitation))
        assert invitation.status == InvitationStatus.ACCEPTED
        assert invitation.organisation_id == org.id
        assert invitation.token_hash is None
    used = make_browser().get(link)
    assert used.status_code == 410
    assert "This invitation has already been accepted." in used.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"accept-identifier": "GB-XYZ-1"},
            "accept-identifier",
            "Use the org-id form: GB-SHPE-… for a registered social housing provider, GB-COH-… company, "
            "GB-CHC-… charity, GB-SC-… Scottish charity, GB-MPR-… mutual.",
        ),
        (
            {"accept-identifier": "GB-SHPE-1"},
            "accept-identifier",
            "That does not look like a registered social housing provider, e.g. GB-SHPE-L0026.",
        ),
        (
            {"accept-identifier": "GB-COH-123"},
            "accept-identifier",
            "That does not look like a company, e.g. GB-COH-01234567.",
        ),
        ({"accept-homes_owned": "-5"}, "accept-homes_owned", "The number of homes cannot be negative."),
        (
            {"accept-homes_owned": "many"},
            "accept-homes_owned",
            "Enter the number of homes owned as a whole number, for example 12400.",
        ),
        ({"accept-regions": ["NW", "XX"]}, "accept-regions", "Choose regions from the list."),
        ({"accept-website": "northern example"}, "accept-website", "A website address cannot contain spaces."),
        ({"accept-name": ""}, "accept-name", "Enter your name."),
        ({"accept-password": "short"}, "accept-password", "Use at least 10 characters."),
        (
            {"accept-password": "password123"},
            "accept-password",
            "That password is too common. Choose one that is harder to guess.",
        ),
        ({"accept-org_name": ""}, "accept-org_name", "Enter the organisation's name."),
    ],
)
def test_accept_refuses_bad_profile_values_and_saves_nothing(
    invited, make_browser, count, data, changes, field, message
):
    _, link, _ = invited
    invitee = make_browser()
    response = post_prefixed(invitee, link, "accept", accept_form(**changes))
    assert response.status_code == 422
    assert field_errors(response).get(field) == [message], field_errors(response)
    assert count(User, User.email == "chief@northern.example") == 0
    assert count(Organisation, Organisation.name == "Northern Homes") == 0
    assert _invitation(data).status == InvitationStatus.SENT
    assert invitee.get(link).status_code == 200  # the link still works


def test_accept_with_an_identifier_another_organisation_uses(invited, make_browser, data, count):
    _, link, _ = invited
    with data():
        OrganisationFactory(name="Southern Homes", identifier="GB-SHPE-L0026")
    response = post_prefixed(make_browser(), link, "accept", accept_form())
    assert response.status_code == 422
    assert field_errors(response)["accept-identifier"] == ["Another organisation already uses that identifier."]
    assert count(User, User.email == "chief@northern.example") == 0


def test_existing_member_joins_with_their_organisation(login, bid, outbox, data):
    bid_id, convenor = bid
    with data():
        user = UserFactory(email="finance@eastern.example", organisation=OrganisationFactory(name="Eastern Homes"))
        email, org_id = user.email, user.organisation_id
    invite(login(convenor), bid_id, "Eastern Homes", email)
    link = last_link(outbox, email)
    member = login(email)
    page = member.get(link)
    assert "Join the bid with Eastern Homes" in page.text
    response = post_prefixed(member, link, "join", {"choice": "join"})
    assert response.status_code == 302
    assert "Eastern Homes has joined Community Match Fund bid." in flashes(member.get(f"/bids/{bid_id}"))
    row = _invitation(data, email)
    assert (row.status, row.organisation_id) == (InvitationStatus.ACCEPTED, org_id)


def test_a_convenor_cannot_join_as_a_member(invited, login, data):
    _, link, _ = invited
    with data():
        other = BidFactory()
        convenor = other.created_by.email
    browser = login(convenor)
    response = post_prefixed(browser, link, "join", {"choice": "join"})
    assert response.status_code == 422
    assert "Convenor accounts cannot join bids as members." in text_of(response)
    assert _invitation(data).status == InvitationStatus.SENT


def test_decline_with_a_reason(invited, make_browser, data):
    bid_id, link, convenor = invited
    invitee = make_browser()
    response = post_prefixed(invitee, link, "decline", {"choice": "decline", "decline-reason": "No budget this year."})
    assert response.status_code == 200
    assert "You have declined the invitation" in response.text
    row = _invitation(data)
    assert (row.status, row.decline_reason) == (InvitationStatus.DECLINED, "No budget this year.")
    assert "No budget this year." in text_of(convenor.get(f"/bids/{bid_id}/invitations"))
    again = invitee.get(link)
    assert again.status_code == 410
    assert "This invitation was declined." in again.text


def test_decline_reason_too_long(invited, make_browser, data):
    _, link, _ = invited
    response = post_prefixed(make_browser(), link, "decline", {"choice": "decline", "decline-reason": "x" * 2001})
    assert response.status_code == 422
    assert field_errors(response)["decline-reason"]
    assert _invitation(data).status == InvitationStatus.SENT


# --- links that cannot be used -------------------------------------------------------------------


def _tamper(link: str) -> str:
    token = link.rsplit("/", 1)[1]
    # Change one character in the middle (the last base64 character can carry only padding bits).
    for i in range(len(token) // 2, len(token)):
        if token[i].isalnum():
            swapped = "B" if token[i] == "A" else "A"
            return link[: -len(token)] + token[:i] + swapped + token[i + 1 :]
    raise AssertionError("no character to change")


def test_expired_link(invited, make_browser, app, data):
    _, link, _ = invited
    expires = _invitation(data).expires_at
    assert expires - clock.now() > timedelta(days=app.config["INVITATION_DAYS"], seconds=-60)
    invitee = make_browser()
    with time_machine.travel(expires - timedelta(seconds=1), tick=False):
        token = csrf_token(invitee.get(link))  # the second before, it still works
    with time_machine.travel(expires, tick=False):
        page = make_browser().get(link)
        assert page.status_code == 410
        assert "This invitation has expired. Ask the convenor to send it again." in page.text
        late = invitee.client.post(link, data={**accept_form(), "accept-csrf_token": token})
        assert late.status_code == 410
    assert _invitation(data).status == InvitationStatus.SENT


@pytest.mark.parametrize("bad", ["tampered", "truncated", "garbage", "other-purpose"])
def test_tampered_links_get_the_clear_page(invited, make_browser, bad, app):
    _, link, _ = invited
    if bad == "tampered":
        url = _tamper(link)
    elif bad == "truncated":
        url = link[:-5]
    elif bad == "garbage":
        url = "/invitations/" + "x" * 600
    else:
        from app.infra import tokens

        with app.app_context():
            url = "/invitations/" + tokens.make("funder-link", 1)[0]
    page = make_browser().get(url)
    assert page.status_code == 404
    assert "This invitation link is not valid." in page.text
    assert "Traceback" not in page.text


def test_link_of_a_cancelled_bid(invited, make_browser, data):
    bid_id, link, _ = invited
    with data() as s:
        s.get(Bid, bid_id).status = BidStatus.CANCELLED
    page = make_browser().get(link)
    assert page.status_code == 410
    assert "This bid is cancelled and no longer taking new members." in page.text


def test_second_person_from_the_same_organisation_joins_once_its_manager_approves(
    invited, make_browser, outbox, data, count
):
    bid_id, link, convenor = invited
    assert post_prefixed(make_browser(), link, "accept", accept_form()).status_code == 302
    assert invite(convenor, bid_id, "  northern   HOMES ", "deputy@northern.example").status_code == 302
    second_link = last_link(outbox, "deputy@northern.example")
    invitee = make_browser()
    page = invitee.get(second_link)
    assert "The invitation is for <strong>Northern Homes</strong>, which already uses this service." in page.text
    response = post_prefixed(
        invitee, second_link, "accept", {"choice": "accept", "accept-name": "Ben Ode", "accept-password": PASSWORD}
    )
    assert response.status_code == 200 and "Your request is with Northern Homes" in text_of(response)
    assert invitee.get(f"/bids/{bid_id}/pledge").status_code == 302  # not logged in: no account yet
    manager = make_browser()
    manager.login("chief@northern.example", "a-long-enough-passphrase")
    page = manager.get("/organisation/join-requests")
    assert "deputy@northern.example" in page.text
    request_id = re.search(r"/organisation/join-requests/(\d+)/approve", page.text).group(1)
    assert manager.post_form(f"/organisation/join-requests/{request_id}/approve", page="/account").status_code == 302
    assert count(Organisation, Organisation.name_key == "northern homes") == 1
    with data() as s:
        first = s.scalar(sa.select(User).where(User.email == "chief@northern.example"))
        second = s.scalar(sa.select(User).where(User.email == "deputy@northern.example"))
        assert second.organisation_id == first.organisation_id
        assert first.is_manager and not second.is_manager
    deputy = make_browser()
    deputy.login("deputy@northern.example", PASSWORD)
    assert deputy.get(f"/bids/{bid_id}/pledge").status_code == 200


def test_invitation_states_on_the_list(login, data):
    with data():
        made = BidFactory()
        from tests.factories import InvitationFactory, pledge_for

        InvitationFactory(bid=made, organisation_name="Sent Homes")
        InvitationFactory(bid=made, organisation_name="Expired Homes", expires_at=clock.now() - timedelta(seconds=1))
        InvitationFactory(bid=made, organisation_name="Revoked Homes", status=InvitationStatus.REVOKED)
        InvitationFactory(bid=made, organisation_name="Declined Homes", status=InvitationStatus.DECLINED)
        member_of(made, name="Accepted Homes")
        pledge_for(member_of(made, name="Pledged Homes"), made)
        bid_id, email = made.id, made.created_by.email
    text = login(email).get(f"/bids/{bid_id}/invitations").text
    for state in ("sent", "expired", "revoked", "declined", "accepted", "pledged"):
        name = f"{state.capitalize()} Homes"
        row = text[text.index(name) :].split("</tr>")[0]
        assert f'class="tag tag-{state}"' in row, (name, row)


@only_sqlite
def test_accepting_hashes_the_new_password_without_holding_the_write_lock(
    invited, make_browser, data, database_url, monkeypatch
):
    """Issue 12, item 8: the slow hash ran inside the write transaction, so every other writer waited."""
    _bid_id, link, _ = invited
    invitee = make_browser()
    free = recording_lock(monkeypatch, organisation_model, "generate_password_hash", database_url)
    response = post_prefixed(invitee, link, "accept", accept_form())
    assert response.status_code == 302
    assert free == [True]
    with data() as s:
        user = s.scalar(sa.select(User).where(User.email == "chief@northern.example"))
        assert user.check_password("a-long-enough-passphrase")
