"""Invitations: bulk parsing, duplicates, single-use expiring links, accept and decline."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import Invitation, InvitationStatus, JoinRequest, Organisation, User
from app.services import invitation_links, invitation_rows, invitations, join_requests
from app.services.errors import TokenInvalid, ValidationFailed
from tests.factories import PASSWORD, BidFactory, member_of

ORG = {"name": "Riverside Homes", "identifier": "GB-SHPE-L0026", "homes_owned": 12_400, "regions": ["NW"]}


def token_from(outbox) -> str:
    body = outbox[-1].body
    return body.split("/invitations/")[1].split()[0]


def test_parse_rows_with_and_without_header():
    assert invitation_rows.parse_rows("Riverside, a@x.org\nNorthmoor, b@x.org") == [
        (1, "Riverside", "a@x.org"),
        (2, "Northmoor", "b@x.org"),
    ]
    rows = invitation_rows.parse_rows(b"\xef\xbb\xbfOrganisation name,Contact email\r\nRiverside,a@x.org\r\n")
    assert rows == [(2, "Riverside", "a@x.org")]
    assert invitation_rows.parse_rows("Riverside\ta@x.org") == [(1, "Riverside", "a@x.org")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        ("   \n\n", "empty"),
        ("name,email,phone\nA,a@x.org,1", "The column ‘phone’ is not read here."),
        ("Organisation,Email\n", "header but no rows"),
        ("\n".join(f"Org {i},o{i}@x.org" for i in range(2001)), "at most 2,000"),
        (b"Caf\x81 Homes,a@x.org", "neither UTF-8 nor Windows-1252"),
        ("just one value per line\nanother", "two values"),
    ],
)
def test_unusable_files_are_refused_whole(data, message):
    with pytest.raises(ValidationFailed) as caught:
        invitation_rows.parse_rows(data)
    assert message in caught.value.errors["file"][0]


def test_windows_1252_bytes_are_read():
    assert invitation_rows.parse_rows("Caf\xe9 Homes,a@x.org".encode("cp1252")) == [(1, "Café Homes", "a@x.org")]


def test_bulk_invite_reports_refused_rows_and_saves_the_rest(ctx, outbox):
    bid = BidFactory()
    invitations.invite(bid.created_by, bid, "Existing Org", "old@x.org")
    rows = invitation_rows.parse_rows(
        'Riverside,a@x.org\nNorthmoor,A@X.org\n=HYPERLINK("http://x"),c@x.org\nNo Email,not-an-email\n'
        ",d@x.org\nAgain,old@x.org\nGood Two,e@x.org"
    )
    report = invitations.invite_many(bid.created_by, bid, rows)
    db.session.commit()
    assert [r.email for r in report.accepted] == ["a@x.org", "e@x.org"]
    reasons = {r.line: r.reason for r in report.refused}
    assert "line 1" in reasons[2]
    assert "spreadsheet formula" in reasons[3]
    assert "not valid" in reasons[4]
    assert "missing" in reasons[5]
    assert "already invited" in reasons[6]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 3
    assert len(outbox) == 3


def test_hundreds_at_once(ctx, outbox):
    bid = BidFactory()
    rows = invitation_rows.parse_rows("\n".join(f"Landlord {i},contact{i}@example.org" for i in range(400)))
    report = invitations.invite_many(bid.created_by, bid, rows)
    db.session.commit()
    assert len(report.accepted) == 400 and not report.refused
    assert len(outbox) == 400


def test_accept_creates_account_and_organisation_and_link_is_single_use(ctx, outbox):
    bid = BidFactory()
    invitations.invite(bid.created_by, bid, "Riverside Homes", "lead@riverside.example")
    db.session.commit()
    token = token_from(outbox)
    user = invitations.accept_new_user(token, name="Ria", password="a-long-passphrase", organisation=ORG)
    db.session.commit()
    assert user.organisation.name == "Riverside Homes" and user.organisation.identifier == "GB-SHPE-L0026"
    with pytest.raises(TokenInvalid) as caught:
        invitation_links.read_token(token)
    assert caught.value.reason == "used"


def test_second_person_asks_to_join_the_existing_organisation_and_its_manager_decides(ctx, outbox):
    bid = BidFactory()
    first = member_of(bid, name="Riverside Homes")
    invitations.invite(bid.created_by, bid, "riverside  homes", "second@riverside.example")
    db.session.commit()
    result = invitations.accept_new_user(
        token_from(outbox), name="Sam", password="a-long-passphrase", organisation=None
    )
    db.session.commit()
    assert isinstance(result, JoinRequest) and result.organisation_id == first.organisation_id
    assert db.session.scalar(sa.select(User.id).where(User.email == "second@riverside.example")) is None
    assert outbox[-1].to == [first.email] and "Sam (second@riverside.example) asks to join" in outbox[-1].body
    user = join_requests.approve(first, result)
    db.session.commit()
    assert user.organisation_id == first.organisation_id and not user.is_manager
    assert user.check_password("a-long-passphrase") and result.password_hash is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 2  # convening body + Riverside


@pytest.mark.parametrize(
    ("org", "field", "message"),
    [
        ({**ORG, "identifier": "GB-XYZ-1"}, "organisation.identifier", "org-id form"),
        ({**ORG, "identifier": "GB-SHPE-!!"}, "organisation.identifier", "does not look like"),
        ({**ORG, "name": ""}, "organisation.name", "Enter the organisation"),
        ({**ORG, "regions": ["Atlantis"]}, "organisation.regions", "Unknown region"),
        ({**ORG, "homes_owned": -4}, "organisation.homes_owned", "whole number"),
    ],
)
def test_bad_profiles_are_refused_and_nothing_saved(ctx, outbox, org, field, message):
    bid = BidFactory()
    invitations.invite(bid.created_by, bid, "Riverside Homes", "lead@riverside.example")
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        invitations.accept_new_user(token_from(outbox), name="Ria", password="a-long-passphrase", organisation=org)
    assert message in " ".join(caught.value.errors[field])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1  # just the convenor


def test_weak_password_refused(ctx, outbox):
    bid = BidFactory()
    invitations.invite(bid.created_by, bid, "Riverside Homes", "lead@riverside.example")
    db.session.commit()
    for password, message in [("short", "at least 10"), ("password123", "too common")]:
        with pytest.raises(ValidationFailed) as caught:
            invitations.accept_new_user(token_from(outbox), name="R", password=password, organisation=ORG)
        assert message in caught.value.errors["password"][0]
        db.session.rollback()


def test_link_states_each_have_their_reason(ctx, outbox):
    bid = BidFactory()
    convenor = bid.created_by
    invitation = invitations.invite(convenor, bid, "Riverside Homes", "lead@riverside.example")
    db.session.commit()
    first = token_from(outbox)
    with pytest.raises(TokenInvalid) as caught:
        invitation_links.read_token(first[:-2] + ("AA" if not first.endswith("AA") else "BB"))
    assert caught.value.reason == "tampered"
    invitations.resend(convenor, invitation)
    db.session.commit()
    second = token_from(outbox)
    assert invitation_links.read_token(first) == invitation  # the resend does not break the first email
    assert invitation_links.read_token(second) == invitation
    with (
        time_machine.travel(invitation.expires_at + timedelta(seconds=1), tick=False),
        pytest.raises(TokenInvalid) as caught,
    ):
        invitation_links.read_token(second)
    assert caught.value.reason == "expired"
    invitations.revoke(convenor, invitation)
    db.session.commit()
    for token in (first, second):
        with pytest.raises(TokenInvalid) as caught:
            invitation_links.read_token(token)
        assert caught.value.reason == "revoked"


def test_decline_records_reason(ctx, outbox):
    bid = BidFactory()
    invitations.invite(bid.created_by, bid, "Riverside Homes", "lead@riverside.example")
    db.session.commit()
    invitation = invitations.decline(token_from(outbox), "Budget committed elsewhere")
    db.session.commit()
    assert invitation.status == InvitationStatus.DECLINED
    assert invitation.decline_reason == "Budget committed elsewhere"


def test_existing_member_joins_with_their_organisation(ctx, outbox):
    bid = BidFactory()
    other_bid = BidFactory(created_by=bid.created_by)
    user = member_of(other_bid)
    invitations.invite(bid.created_by, bid, user.organisation.name, user.email)
    db.session.commit()
    invitations.accept_existing_user(token_from(outbox), user)
    db.session.commit()
    from app.services.access import is_bid_member

    assert is_bid_member(user, bid)
    assert PASSWORD


def test_a_first_row_with_an_address_is_data_not_a_header():
    assert invitation_rows.parse_rows("Alpha Homes,email@alpha.org\nBeta,b@x.org") == [
        (1, "Alpha Homes", "email@alpha.org"),
        (2, "Beta", "b@x.org"),
    ]
