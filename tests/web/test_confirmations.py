"""Actions that cannot be undone ask first (app/web/confirm.py): the page says what will happen and who will be
emailed with real counts, the safe choice is the form's default, and only an explicit "yes" acts."""

from __future__ import annotations

import re

import pytest

from app.models import BidStatus, InvitationStatus, PledgeStatus
from tests.factories import BidFactory, InvitationFactory, UserFactory, member_of, pledge_for
from tests.web.pages import audit_rows, fetch_bid, flashes, text_of


def _buttons(response) -> list[tuple[str, str]]:
    """The confirmation form's buttons in order: (value, label)."""
    return re.findall(r'<button type="submit" name="confirm" value="(\w+)"[^>]*>([^<]+)</button>', response.text)


@pytest.fixture
def members_bid(data):
    """An open bid with three member organisations (one without a member account), one pledge, two waiting."""
    with data():
        bid = BidFactory(title="Northern Homes Fund", min_total_pence=500_000_000, min_members=5)
        UserFactory(organisation=bid.organisation, role=bid.created_by.role, email="second@convenor.example")
        users = [member_of(bid, name=f"Member Org {i}") for i in range(3)]
        users[2].is_enabled = False
        pledge_for(users[0], bid, amount_pence=30_000_000, homes=1_200)
        InvitationFactory(bid=bid)
        InvitationFactory(bid=bid)
        return bid.id, bid.created_by.email, users[0].email


def test_close_asks_first_with_real_counts_and_the_safe_choice_first(login, members_bid, data):
    bid_id, email, _ = members_bid
    browser = login(email)
    dashboard = browser.get(f"/bids/{bid_id}").text
    # The dashboard offers a link to the question, not a one-click form.
    assert f'href="/bids/{bid_id}/close"' in dashboard
    page = browser.get(f"/bids/{bid_id}/close")
    assert page.status_code == 200
    text = text_of(page)
    assert "Close the bid now?" in text
    assert "All 3 member organisations will be told the bid is closed (2 people with an account)" in text
    assert "1 of them have no one with an account" in text
    assert "2 convenors will get the closing summary." in text
    assert _buttons(page) == [("no", "No, keep it open"), ("yes", "Yes, close the bid now")]
    assert 'value="no" class="button" autofocus' in page.text
    assert fetch_bid(data, bid_id).status == BidStatus.OPEN


@pytest.mark.parametrize("choice", [None, "no", "maybe"])
def test_close_without_an_explicit_yes_changes_nothing(login, members_bid, data, choice):
    bid_id, email, _ = members_bid
    browser = login(email)
    response = browser.post_form(f"/bids/{bid_id}/close", {"confirm": choice} if choice else {}, page=f"/bids/{bid_id}")
    if choice == "no":
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/bids/{bid_id}")
    else:
        assert response.status_code == 200 and "Close the bid now?" in text_of(response)
    assert fetch_bid(data, bid_id).status == BidStatus.OPEN
    assert audit_rows(data, "bid.closed", bid_id) == []


def test_close_with_yes_closes(login, members_bid, data):
    bid_id, email, _ = members_bid
    browser = login(email)
    response = browser.post_form(f"/bids/{bid_id}/close", {"confirm": "yes"}, page=f"/bids/{bid_id}/close")
    assert response.status_code == 302
    assert fetch_bid(data, bid_id).status == BidStatus.CLOSED


def test_confirming_needs_a_valid_csrf_token(login, members_bid, data):
    bid_id, email, _ = members_bid
    browser = login(email)
    assert browser.client.post(f"/bids/{bid_id}/cancel", data={"confirm": "yes"}).status_code == 400
    assert fetch_bid(data, bid_id).status == BidStatus.OPEN


def test_cancel_says_what_stops_and_that_no_one_is_emailed(login, members_bid):
    bid_id, email, _ = members_bid
    text = text_of(login(email).get(f"/bids/{bid_id}/cancel"))
    assert "The pledges of the 3 member organisations stop counting" in text
    assert "The 2 invitations not yet answered will stop working." in text
    assert "No one is emailed: tell the members yourself" in text
    assert "You can restore a cancelled bid to a draft later" in text


def test_a_cancelled_bid_is_restored_to_a_draft_and_audited(login, members_bid, data):
    bid_id, email, _ = members_bid
    browser = login(email)
    browser.post_form(f"/bids/{bid_id}/cancel", {"confirm": "yes"}, page=f"/bids/{bid_id}/cancel")
    dashboard = browser.get(f"/bids/{bid_id}").text
    assert "Restore as a draft" in dashboard
    assert ">Bid pack<" not in dashboard and ">Reminders<" not in dashboard
    assert "Cancel the bid" not in dashboard
    response = browser.post_form(f"/bids/{bid_id}/restore", page=f"/bids/{bid_id}")
    assert response.status_code == 302
    bid = fetch_bid(data, bid_id)
    assert bid.status == BidStatus.DRAFT and bid.cancelled_at is None
    [event] = audit_rows(data, "bid.restored", bid_id)
    assert event.before == {"status": "cancelled"} and event.after == {"status": "draft"}
    assert "The bid is a draft again" in " ".join(flashes(browser.get(f"/bids/{bid_id}")))


def test_only_a_cancelled_bid_can_be_restored(login, members_bid, data):
    bid_id, email, _ = members_bid
    browser = login(email)
    response = browser.post_form(f"/bids/{bid_id}/restore", page=f"/bids/{bid_id}")
    assert "An open bid cannot become draft." in " ".join(flashes(browser.get(response.headers["Location"])))
    assert fetch_bid(data, bid_id).status == BidStatus.OPEN
    assert audit_rows(data, "bid.restored", bid_id) == []


def test_submit_lists_each_unmet_threshold_with_required_and_actual(login, members_bid, data):
    bid_id, email, _ = members_bid
    with data() as s:
        s.get(type(fetch_bid(data, bid_id)), bid_id).status = BidStatus.CLOSED
    browser = login(email)
    for url in (f"/bids/{bid_id}/submit", f"/bids/{bid_id}/packs/submit"):
        text = text_of(browser.get(url))
        assert "2 scheme thresholds are not met" in text
        assert "Minimum total match funding: £5,000,000 required, £300,000 so far." in text
        assert "Minimum number of member organisations: 5 required, 1 so far." in text
        assert "Yes, mark as submitted anyway" in text
    assert fetch_bid(data, bid_id).status == BidStatus.CLOSED


def test_withdraw_asks_first_and_carries_the_version(login, members_bid, data):
    bid_id, _, member_email = members_bid
    browser = login(member_email)
    page = browser.post_form(f"/bids/{bid_id}/pledge/withdraw", {"version": "1"}, page=f"/bids/{bid_id}/pledge")
    text = text_of(page)
    assert "Member Org 0's pledge of £300,000 covering 1,200 homes stops counting" in text
    assert f"You ({member_email}) will be emailed a receipt." in text
    assert '<input type="hidden" name="version" value="1">' in page.text
    with data() as s:
        from app.models import Pledge

        assert s.query(Pledge).filter_by(bid_id=bid_id).one().status == PledgeStatus.CONFIRMED


def test_revoking_an_invitation_asks_first(login, members_bid, data):
    bid_id, email, _ = members_bid
    with data() as s:
        from app.models import Invitation

        invitation = s.query(Invitation).filter_by(bid_id=bid_id, status=InvitationStatus.SENT).first()
        invitation_id, address = invitation.id, invitation.email
    browser = login(email)
    assert (
        f'href="/bids/{bid_id}/invitations/{invitation_id}/revoke"' in browser.get(f"/bids/{bid_id}/invitations").text
    )
    text = text_of(browser.get(f"/bids/{bid_id}/invitations/{invitation_id}/revoke"))
    assert f"The invitation link sent to {address} stops working" in text
    with data() as s:
        assert s.get(Invitation, invitation_id).status == InvitationStatus.SENT
