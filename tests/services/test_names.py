"""Issue 12, item 12: one set of name rules wherever a name enters (invitation, pasted or uploaded list,
account creation, organisation profile, the command line, the API), and look-alike names and addresses.

Found: organisation names kept U+202E and line breaks; "Rіverside Homes" (Cyrillic і) was accepted beside
"Riverside Homes"; invitations went to both lіnka@x.org and linka@x.org; "=1+2" was refused as an invitation
name but accepted at account creation.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import text
from app.extensions import db
from app.models import Invitation, Organisation, OrganisationKind, Role, User
from app.services import invitation_rows, invitations, users
from app.services.errors import Conflict, ValidationFailed
from tests.factories import BidFactory, UserFactory, member_of

CYRILLIC_I = "\u0456"
PASSWORD_ARGS = ("--role", "member", "--password", "a-long-passphrase")
LINK = re.compile(r"/invitations/([A-Za-z0-9_.\-]+)")


def _token(outbox, email: str) -> str:
    return LINK.search([m for m in outbox if email in m.to][-1].body).group(1)


# --- the rules themselves --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Homes\nLtd", "The name must be on one line: remove the line break."),
        ("Homes\u2028Ltd", "The name must be on one line: remove the line break."),
        ("Homes\u0085Ltd", "The name must be on one line: remove the line break."),
        ("Homes\x00", "The name holds a control character (U+0000); remove it."),
        ("Homes\tLtd", "The name holds a control character (U+0009); remove it."),
        ("Homes\x1bLtd", "The name holds a control character (U+001B); remove it."),
        ("Homes \u202eexe.fdp", "invisible text-direction control (U+202E) that can make it read backwards"),
        ("Homes \u2067x\u2069", "invisible text-direction control (U+2067)"),
        ("Homes \ud800", "The name is not valid text (it holds a lone surrogate, U+D800)."),
        (7, "The name must be text."),
    ],
)
def test_one_line_text_is_refused_with_a_message_that_names_the_problem(value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        text.check_one_line(value, "name")


@pytest.mark.parametrize("value", ["=1+2", "+44 Homes", "-Homes", "@Homes", " =SUM(A1)"])
def test_names_cannot_look_like_formulas(value):
    with pytest.raises(ValueError, match="cannot start with =, \\+, - or @"):
        text.check_name(value, "name")


def test_names_are_nfc_normalised_and_spaces_folded():
    assert text.check_name("  Cafe\u0301   Homes ", "name") == "Caf\u00e9 Homes"
    arabic = "\u0645\u0646\u0632\u0644 Homes"
    assert text.check_name(arabic, "name") == arabic  # right-to-left text needs no controls


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Riverside Homes", f"R{CYRILLIC_I}verside Homes"),
        ("Riverside Homes", "riverside   HOMES"),
        ("Riverside Homes", "Riverside\u200bHomes".replace("\u200b", " \u200b")),
        ("Riverside Homes", "\uff32iverside Homes"),  # fullwidth R
        ("Northern Homes", "Northem Homes"),  # rn looks like m
        ("Oxford Homes", "0xford Homes"),
        ("linka@x.org", f"l{CYRILLIC_I}nka@x.org"),
    ],
)
def test_look_alikes_share_a_skeleton(a, b):
    assert text.skeleton(a) == text.skeleton(b)


@pytest.mark.parametrize(("a", "b"), [("Riverside Homes", "Riverdale Homes"), ("Hill Homes", "Mill Homes")])
def test_different_names_do_not(a, b):
    assert text.skeleton(a) != text.skeleton(b)


# --- invitation, pasted list, uploaded CSV -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Homes\u202eLtd", "invisible text-direction control (U+202E)"),
        ("Homes\x1bLtd", "control character (U+001B)"),
        ("=1+2", "looks like a spreadsheet formula"),
    ],
)
def test_invitation_names_follow_the_rules(ctx, outbox, name, reason):
    bid = BidFactory()
    with pytest.raises(ValidationFailed) as refused:
        invitations.invite(bid.created_by, bid, name, "a@x.org")
    assert reason in refused.value.errors["organisation_name"][0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_the_pasted_list_and_the_csv_follow_the_same_rules(ctx, outbox):
    bid = BidFactory()
    db.session.commit()
    data = 'Good Homes,a@x.org\n"Line\u2028Break Homes",b@x.org\nHomes\u202eLtd,c@x.org\nCafe\u0301 Homes,d@x.org\n'
    for source in (data, data.encode("utf-8")):
        report = invitations.invite_many(bid.created_by, bid, invitation_rows.parse_rows(source))
        db.session.rollback()
        assert [r.organisation_name for r in report.accepted] == ["Good Homes", "Caf\u00e9 Homes"]
        reasons = {r.line: r.reason for r in report.refused}
        assert "must be on one line" in reasons[2] and "(U+202E)" in reasons[3]


def test_look_alike_addresses_are_refused_with_the_reason(ctx, outbox):
    bid = BidFactory()
    UserFactory(email="amir@homes.example")
    invitations.invite(bid.created_by, bid, "Linka Homes", "linka@x.org")
    report = invitations.invite_many(
        bid.created_by,
        bid,
        [
            (1, "Linka Homes Two", f"l{CYRILLIC_I}nka@x.org"),
            (2, "Other Homes", "other@x.org"),
            (3, "Other Homes Two", "oth\u0435r@x.org"),  # Cyrillic е
            (4, "Amir Homes", f"am{CYRILLIC_I}r@homes.example"),
        ],
    )
    reasons = {r.line: r.reason for r in report.refused}
    assert reasons[1] == "This address looks like linka@x.org, also invited to this bid: check for look-alike letters."
    assert reasons[3] == "This address looks like other@x.org, also invited to this bid: check for look-alike letters."
    assert "looks like another account's address" in reasons[4] and "amir@" not in reasons[4]
    assert [r.email for r in report.accepted] == ["other@x.org"]


def test_a_look_alike_organisation_name_is_flagged_for_the_convenor_not_bound(ctx, outbox):
    bid = BidFactory()
    riverside = member_of(bid, name="Riverside Homes")
    invitation = invitations.invite(bid.created_by, bid, f"R{CYRILLIC_I}verside Homes", "someone@x.org")
    assert invitation.organisation_id is None and invitation.possible_organisation_id == riverside.organisation_id


def test_a_name_that_looks_like_a_convening_body_is_refused(ctx, outbox):
    bid = BidFactory()
    body = bid.organisation.name
    with pytest.raises(ValidationFailed) as refused:
        invitations.invite(bid.created_by, bid, body.replace("o", "\u043e"), "someone@x.org")  # Cyrillic о
    assert refused.value.errors["organisation_name"] == [
        f"That name looks like a convening body's ({body}), not a member organisation's."
    ]


# --- account creation and the organisation profile ----------------------------------------------------


PROFILE = {"name": "Northern Homes", "regions": ["NE"]}


@pytest.mark.parametrize(
    ("name", "organisation", "field", "message"),
    [
        ("=1+2", PROFILE, "name", "The name cannot start with =, +, - or @"),
        ("Ann\nBcc: x", PROFILE, "name", "The name must be on one line"),
        ("Ann \u202eyeknom", PROFILE, "name", "invisible text-direction control (U+202E)"),
        ("Ann", {**PROFILE, "name": "=1+2"}, "organisation.name", "The organisation's name cannot start with"),
        ("Ann", {**PROFILE, "name": "North\u202eern"}, "organisation.name", "(U+202E)"),
        ("Ann", {**PROFILE, "name": "North\r\nern"}, "organisation.name", "must be on one line"),
        (
            "Ann",
            {**PROFILE, "name": f"R{CYRILLIC_I}verside Homes"},
            "organisation.name",
            "That name looks the same as an organisation already registered (Riverside Homes)",
        ),
    ],
)
def test_account_creation_follows_the_same_rules(ctx, outbox, name, organisation, field, message):
    bid = BidFactory()
    member_of(bid, name="Riverside Homes")
    invitations.invite(bid.created_by, bid, "Northern Homes", "ann@northern.example")
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        invitations.accept_new_user(
            _token(outbox, "ann@northern.example"), name=name, password="a-long-passphrase", organisation=organisation
        )
    assert message in refused.value.errors[field][0], refused.value.errors
    db.session.rollback()
    assert db.session.scalar(sa.select(User.id).where(User.email == "ann@northern.example")) is None
    assert db.session.scalar(sa.select(Organisation.id).where(Organisation.name_key == "northern homes")) is None


def test_create_user_and_create_organisation_refuse_look_alikes_and_formulas(ctx):
    org = users.create_organisation({"name": "Riverside Homes"}, OrganisationKind.MEMBER)
    with pytest.raises(ValidationFailed) as refused:
        users.create_organisation({"name": f"R{CYRILLIC_I}verside Homes"}, OrganisationKind.MEMBER)
    assert "looks the same as an organisation already registered (Riverside Homes)" in refused.value.errors["name"][0]
    first = users.create_user(
        email="linka@x.org", name="Linka", password="a-long-passphrase", role=Role.MEMBER, organisation=org
    )
    assert first.is_manager  # the organisation's first person manages it
    with pytest.raises(ValidationFailed) as refused:
        users.create_user(
            email=f"l{CYRILLIC_I}nka@x.org",
            name="Linka",
            password="a-long-passphrase",
            role=Role.MEMBER,
            organisation=org,
        )
    assert "looks like another account's address" in refused.value.errors["email"][0]
    with pytest.raises(ValidationFailed) as refused:
        users.create_user(
            email="b@x.org", name="=1+2", password="a-long-passphrase", role=Role.MEMBER, organisation=org
        )
    assert "cannot start with =" in refused.value.errors["name"][0]
    second = users.create_user(
        email="b@x.org", name="Cafe\u0301 Person", password="a-long-passphrase", role=Role.MEMBER, organisation=org
    )
    assert second.name == "Caf\u00e9 Person" and not second.is_manager


def test_the_command_line_follows_the_same_rules(runner, ctx):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@x.org",
            "--name",
            "=1+2",
            "--organisation",
            "Homes\u202eLtd",
            *PASSWORD_ARGS,
        ]
    )
    assert result.exit_code != 0 and "(U+202E)" in result.output
    result = runner.invoke(
        args=["users", "create", "--email", "x@x.org", "--name", "=1+2", "--organisation", "Good Homes", *PASSWORD_ARGS]
    )
    assert result.exit_code != 0 and "cannot start with =" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_an_existing_account_still_means_log_in(ctx, outbox):
    bid = BidFactory()
    UserFactory(email="ann@northern.example")
    invitations.invite(bid.created_by, bid, "Northern Homes", "ann@northern.example")
    db.session.commit()
    with pytest.raises(Conflict):
        invitations.accept_new_user(
            _token(outbox, "ann@northern.example"), name="Ann", password="a-long-passphrase", organisation=PROFILE
        )
