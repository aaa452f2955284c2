"""Issue 12, item 1: an invitation never makes someone a member of an existing organisation by its name.

The attack as found: a convenor of any convening body invites "riverside   HOMES" with their own address and
accepts; the invitation was bound to Riverside Homes by name, so the new account could list another body's
bid, read and change Riverside's £365,000 pledge and download its letter. Here, across two convening bodies
and within one, for an organisation with people (Riverside) and one without (Hollow Homes), accepting gives
no access to anything of the organisation's; Riverside's manager decides, and a refusal leaves nothing.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.models import Invitation, User
from app.services import letters
from tests.factories import BidFactory, ConvenorFactory, InvitationFactory, OrganisationFactory, member_of, pledge_for
from tests.pdfs import clean_storage, make_pdf
from tests.web.pages import post_prefixed, text_of

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)

LINK = re.compile(r"http://localhost(/invitations/[A-Za-z0-9_.\-]+)")
ATTACKER = "mallory@personal.example"
ATTACKER_PASSWORD = "a-long-attacker-passphrase"
REQUESTS = "/organisation/join-requests"


@pytest.fixture
def world(data):
    """Body A's open bid, joined by Riverside Homes (manager Ria, a £365,000 pledge and a letter) and by
    Hollow Homes (no people: its pledge was made by someone since gone); body B's open bid."""
    with data():
        convenor_a = ConvenorFactory(email="convenor@body-a.example")
        bid_a = BidFactory(created_by=convenor_a, title="Body A bid")
        ria = member_of(bid_a, name="Riverside Homes", email="ria@riverside.example")
        pledge = pledge_for(ria, bid_a, amount_pence=36_500_000)
        letters.upload_letter(ria, bid_a, make_pdf(), "riverside-letter.pdf")
        hollow = OrganisationFactory(name="Hollow Homes")
        InvitationFactory(
            bid=bid_a,
            organisation=hollow,
            organisation_name="Hollow Homes",
            email="old@hollow.example",
            status="accepted",
        )
        pledge_for(convenor_a, bid_a, amount_pence=12_300_000).organisation = hollow
        convenor_b = ConvenorFactory(email="convenor@body-b.example")
        bid_b = BidFactory(created_by=convenor_b, title="Body B bid")
        return {
            "bid_a": bid_a.id,
            "bid_b": bid_b.id,
            "pledge": pledge.id,
            "riverside": ria.organisation_id,
            "hollow": hollow.id,
        }


def _invite(browser, bid_id: int, name: str, email: str):
    return post_prefixed(
        browser,
        f"/bids/{bid_id}/invitations",
        "one",
        {"kind": "one", "one-organisation_name": name, "one-email": email},
    )


def _link(outbox, email: str) -> str:
    bodies = [m.body for m in outbox if email in m.to]
    assert bodies, f"no email to {email}"
    return LINK.search(bodies[-1]).group(1)


def _accept(browser, link: str, **extra):
    form = {"choice": "accept", "accept-name": "Mallory", "accept-password": ATTACKER_PASSWORD, **extra}
    return post_prefixed(browser, link, "accept", form)


def _no_access(browser, world) -> None:
    """Nothing of Riverside's, Hollow's or body A's can be reached from this browser."""
    for path in (
        "/",
        f"/bids/{world['bid_a']}",
        f"/bids/{world['bid_a']}/pledge",
        f"/bids/{world['bid_a']}/letter",
        f"/bids/{world['bid_a']}/pledges/{world['pledge']}/history",
        f"/bids/{world['bid_a']}/pledges/{world['pledge']}/letter",
    ):
        response = browser.get(path)
        assert response.status_code in (302, 404), (path, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), path
        assert "£365,000" not in response.text and "Body A bid" not in response.text


def _user(data, email: str):
    with data() as s:
        user = s.scalar(sa.select(User).where(User.email == email))
        return None if user is None else (user.organisation_id, user.organisation.name)


def _cannot_log_in(make_browser) -> None:
    answer = make_browser().post_form("/login", {"email": ATTACKER, "password": ATTACKER_PASSWORD})
    assert answer.status_code != 302, "the attacker could log in"


@pytest.mark.parametrize("body", ["other body", "same body"])
def test_inviting_an_organisation_with_people_by_its_name_gives_no_access(
    world, body, login, make_browser, outbox, data
):
    convenor = login("convenor@body-b.example" if body == "other body" else "convenor@body-a.example")
    bid_id = world["bid_b"] if body == "other body" else world["bid_a"]
    assert _invite(convenor, bid_id, "riverside   HOMES", ATTACKER).status_code == 302
    attacker = make_browser()
    response = _accept(attacker, _link(outbox, ATTACKER))
    assert response.status_code == 200, response.status_code
    assert "Your request is with Riverside Homes" in text_of(response)
    assert _user(data, ATTACKER) is None  # no account exists at all
    _no_access(attacker, world)
    _cannot_log_in(make_browser)
    with data() as s:
        invitation = s.scalar(sa.select(Invitation).where(Invitation.email == ATTACKER))
        assert invitation.status == "sent"  # Riverside has not joined body B's bid
    # Riverside's manager is told, and refuses: still nothing.
    assert _link_to_requests(outbox, "ria@riverside.example")
    manager = login("ria@riverside.example")
    page = manager.get("/organisation/join-requests")
    assert ATTACKER in page.text
    request_id = re.search(r"/organisation/join-requests/(\d+)/refuse", page.text).group(1)
    refused = manager.post_form(f"/organisation/join-requests/{request_id}/refuse", page=REQUESTS)
    assert refused.status_code == 302
    assert _user(data, ATTACKER) is None
    _no_access(attacker, world)
    _cannot_log_in(make_browser)
    with data() as s:
        invitation = s.scalar(sa.select(Invitation).where(Invitation.email == ATTACKER))
        assert invitation.status == "declined" and invitation.organisation_id is None


def _link_to_requests(outbox, email: str) -> bool:
    return any(email in m.to and "/organisation/join-requests" in m.body for m in outbox)


def test_the_other_body_sees_a_possible_match_not_a_link(world, login, data):
    convenor = login("convenor@body-b.example")
    response = _invite(convenor, world["bid_b"], "riverside   HOMES", ATTACKER)
    assert "Possible match: Riverside Homes." in text_of(convenor.get(response.headers["Location"]))
    page = text_of(convenor.get(f"/bids/{world['bid_b']}/invitations"))
    assert "possible match: Riverside Homes" in page
    with data() as s:
        invitation = s.scalar(sa.select(Invitation).where(Invitation.email == ATTACKER))
        assert invitation.organisation_id is None and invitation.possible_organisation_id == world["riverside"]


@pytest.mark.parametrize("body", ["other body", "same body"])
def test_inviting_an_organisation_without_people_by_its_name_gives_no_access(
    world, body, login, make_browser, outbox, data
):
    convenor = login("convenor@body-b.example" if body == "other body" else "convenor@body-a.example")
    bid_id = world["bid_b"] if body == "other body" else world["bid_a"]
    assert _invite(convenor, bid_id, "hollow  HOMES", ATTACKER).status_code == 302
    attacker = make_browser()
    response = _accept(attacker, _link(outbox, ATTACKER))
    assert response.status_code == 422
    assert "Hollow Homes has no one who can approve new people yet." in text_of(response)
    assert _user(data, ATTACKER) is None
    _no_access(attacker, world)


@pytest.mark.parametrize("name", ["Riverside Homes", "RIVERSIDE  homes", "R\u0456verside Homes"])
def test_the_attacker_cannot_register_the_name_or_a_look_alike_instead(world, name, login, make_browser, outbox, data):
    convenor = login("convenor@body-b.example")
    assert _invite(convenor, world["bid_b"], "R\u0456verside Homes", ATTACKER).status_code == 302
    page = text_of(make_browser().get(_link(outbox, ATTACKER)))
    assert "possible match" not in page and "Riverside Homes</strong> is already registered" in page
    response = _accept(make_browser(), _link(outbox, ATTACKER), **{"accept-joining": "new", "accept-org_name": name})
    assert response.status_code == 422
    assert "already" in text_of(response)
    assert _user(data, ATTACKER) is None


def test_a_manager_approves_and_the_person_joins_with_the_password_they_chose(world, login, make_browser, outbox, data):
    convenor = login("convenor@body-a.example")
    assert _invite(convenor, world["bid_a"], "Riverside Homes", "sam@riverside.example").status_code == 302
    newcomer = make_browser()
    response = post_prefixed(
        newcomer,
        _link(outbox, "sam@riverside.example"),
        "accept",
        {"choice": "accept", "accept-name": "Sam Newcomer", "accept-password": "sams-own-passphrase"},
    )
    assert "Your request is with Riverside Homes" in text_of(response)
    assert convenor.get(f"/bids/{world['bid_a']}/invitations").text.count("awaiting the organisation") == 1
    manager = login("ria@riverside.example")
    page = manager.get("/organisation/join-requests")
    request_id = re.search(r"/organisation/join-requests/(\d+)/approve", page.text).group(1)
    approved = manager.post_form(f"/organisation/join-requests/{request_id}/approve", page=REQUESTS)
    assert approved.status_code == 302
    assert "Sam Newcomer has joined Riverside Homes." in text_of(manager.get(approved.headers["Location"]))
    assert _user(data, "sam@riverside.example") == (world["riverside"], "Riverside Homes")
    assert any("sam@riverside.example" in m.to and "approved your request" in m.body for m in outbox)
    sam = make_browser()
    sam.login("sam@riverside.example", "sams-own-passphrase")
    assert "£365,000" in sam.get(f"/bids/{world['bid_a']}").text
    assert sam.get(f"/bids/{world['bid_a']}/pledge").status_code == 200
    # The request cannot be decided twice.
    again = manager.post_form(f"/organisation/join-requests/{request_id}/refuse", page=REQUESTS)
    assert "This request was approved already." in text_of(manager.get(again.headers["Location"]))
    assert _user(data, "sam@riverside.example") is not None


def test_a_known_contact_joins_without_approval(world, login, make_browser, outbox, data):
    """Hollow Homes has no people, but old@hollow.example accepted an invitation into it: a known contact,
    invited by another convening body, joins at once (and, as its first person, manages it)."""
    convenor = login("convenor@body-b.example")
    assert _invite(convenor, world["bid_b"], "Hollow Homes", "old@hollow.example").status_code == 302
    with data() as s:
        invitation = s.scalar(sa.select(Invitation).where(Invitation.bid_id == world["bid_b"]))
        assert invitation.organisation_id == world["hollow"]  # a known contact: bound, not just a possible match
    person = make_browser()
    response = post_prefixed(
        person,
        _link(outbox, "old@hollow.example"),
        "accept",
        {"choice": "accept", "accept-name": "Olu Old", "accept-password": "olus-own-passphrase"},
    )
    assert response.status_code == 302
    assert _user(data, "old@hollow.example") == (world["hollow"], "Hollow Homes")
    with data() as s:
        assert s.scalar(sa.select(User.is_manager).where(User.email == "old@hollow.example")) is True


def test_convenors_and_other_members_cannot_decide_requests(world, login, make_browser, outbox, data):
    convenor = login("convenor@body-b.example")
    _invite(convenor, world["bid_b"], "Riverside Homes", ATTACKER)
    _accept(make_browser(), _link(outbox, ATTACKER))
    with data() as s:
        from app.models import JoinRequest

        request_id = s.scalar(sa.select(JoinRequest.id))
    for email in ("convenor@body-b.example", "convenor@body-a.example"):
        browser = login(email)
        assert browser.get("/organisation/join-requests").status_code == 404
        answer = browser.post_form(f"/organisation/join-requests/{request_id}/approve", page="/account")
        assert answer.status_code == 404
    assert _user(data, ATTACKER) is None
