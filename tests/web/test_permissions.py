"""Who may open what: every route of the core blueprints × six kinds of visitor → allowed or refused.

The table below must name every endpoint of the blueprints it covers (checked against ``app.url_map``),
so a new route cannot be added without deciding who may use it.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.infra import clock, tokens
from app.models import (
    AuditEvent,
    DirectoryContact,
    DirectoryEntry,
    Invitation,
    InvitationLink,
    InvitationStatus,
    JoinRequest,
    LinkPurpose,
    UserSession,
)
from app.services import account_links, api_tokens, directory_members, grants, outcomes, sessions
from tests.delivery.helpers import GRANT, WON
from tests.factories import PASSWORD, BidFactory, InvitationFactory, UserFactory, member_of, pledge_for
from tests.web.pages import csrf_token

#: Blueprints this matrix covers. Other areas (documents, funder, api, ...) keep their own matrices.
COVERED = ("auth.", "bids.", "delivery.", "invitations.", "pledges.", "settings.", "team.", "directory.")
#: The operator's endpoints (app.web.operations), named exactly.
COVERED += ("healthz", "readyz", "metrics")
ROLES = ("anonymous", "convenor", "other_convenor", "member_a", "member_b", "member_c")

OK, DONE, REDIRECT, LOGIN, CREATED = 200, "done", "redirect", "login", "created"
# OK: 200. DONE: a POST that did its work (302 and an audit row). REDIRECT: 302 elsewhere than the login page.
# CREATED: 201 and an audit row (an API token, shown once on the page). LOGIN: sent to log in.
# 403: known but not allowed. 404: refused without saying whether the thing exists.


def roles(anonymous=LOGIN, convenor=404, other_convenor=404, member_a=404, member_b=404, member_c=404) -> dict:
    return {
        "anonymous": anonymous,
        "convenor": convenor,
        "other_convenor": other_convenor,
        "member_a": member_a,
        "member_b": member_b,
        "member_c": member_c,
    }


CONVENOR_PAGE = roles(convenor=OK)
CONVENOR_ACTION = roles(convenor=DONE)
MEMBER_PAGE = roles(member_a=OK, member_b=OK)
MEMBER_ACTION = roles(member_a=DONE, member_b=DONE)
EVERYONE_LOGGED_IN = roles(**dict.fromkeys(ROLES[1:], OK))
MEMBERS = ("member_a", "member_b", "member_c")
#: a page of the visitor's own body's directory: each convenor sees their own; members are refused
BODY_PAGE = roles(convenor=OK, other_convenor=OK, member_a=403, member_b=403, member_c=403)
BODY_ACTION = roles(convenor=DONE, other_convenor=DONE, member_a=403, member_b=403, member_c=403)

BID_FORM = {
    "title": "Renamed bid",
    "funder_name": "Department for Communities",
    "scheme": "Community Match Fund",
    "summary": "The case.",
    "target": "£6,000,000",
    "target_homes": "1000000",
    "terms": "Terms.",
    "deadline_date": "{future_date}",
    "deadline_time": "17:00",
    "grace_minutes": "0",
    "version": "{bid_version}",
}
PLEDGE_FORM = {
    "amount": "£300,000",
    "homes": "100",
    "regions": ["NW"],
    "statement": "More grants.",
    "status": "confirmed",
    "accept_terms": "y",
    "version": "1",
}

OUTCOME_FORM = {
    "result": "won",
    "amount_awarded": "£4,000,000",
    "award_date": "2026-12-01",
    "grant_reference": "CMF-9",
    "version": "1",
}
GRANT_FORM = {
    "recipient_name": "Hulme Youth Club",
    "amount": "£5,000",
    "award_date": "2027-01-10",
    "title": "Summer sessions",
    "description": "Six weeks of sport.",
    "location_name": "Manchester",
    "location_gss": "E08000003",
    "region": "NW",
    "version": "1",
}
ALL_OF_WON = roles(convenor=OK, member_a=OK, member_b=OK)

#: endpoint → cases: (method, path, form data or None, the CSRF field's prefix, expected outcome per role)
#: The test password hashed with cheap scrypt settings: this matrix logs in a few hundred times.
FAST_HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")

MATRIX: dict[str, list[tuple]] = {
    # For load balancers and monitoring: public, the same answer for everyone, nothing about anyone.
    "healthz": [("GET", "/healthz", None, "", roles(**dict.fromkeys(ROLES, OK)))],
    "readyz": [("GET", "/readyz", None, "", roles(**dict.fromkeys(ROLES, OK)))],
    # Off unless METRICS_ENABLED (as here); when on, a session is no key (test_metrics_need_the_bearer_token).
    "metrics": [("GET", "/metrics", None, "", roles(**dict.fromkeys(ROLES, 404)))],
    "auth.login": [
        ("GET", "/login", None, "", roles(anonymous=OK, **dict.fromkeys(ROLES[1:], REDIRECT))),
        (
            "POST",
            "/login",
            {"email": "{member_a_email}", "password": PASSWORD},
            "",
            roles(anonymous=REDIRECT, **dict.fromkeys(ROLES[1:], REDIRECT)),
        ),
    ],
    # Forgotten passwords: open to anyone (one answer for every address); the link acts for whoever holds it.
    "auth.forgot_password": [
        ("GET", "/password-reset", None, "", roles(**dict.fromkeys(ROLES, OK))),
        ("POST", "/password-reset", {"email": "{member_a_email}"}, "", roles(**dict.fromkeys(ROLES, OK))),
    ],
    "auth.reset_password": [
        ("GET", "/password-reset/{reset_token}", None, "", roles(**dict.fromkeys(ROLES, OK))),
        (
            "POST",
            "/password-reset/{reset_token}",
            {"password": "a-brand-new-passphrase"},
            "",
            roles(**dict.fromkeys(ROLES, DONE)),
        ),
    ],
    "auth.logout": [("POST", "/logout", {}, "", roles(**dict.fromkeys(ROLES[1:], DONE)))],
    "auth.account": [
        ("GET", "/account", None, "", EVERYONE_LOGGED_IN),
        (
            "POST",
            "/account",
            {"current_password": PASSWORD, "new_password": "a-brand-new-passphrase"},
            "",
            roles(**dict.fromkeys(ROLES[1:], DONE)),
        ),
    ],
    "auth.change_name": [
        ("POST", "/account/name", {"profile-name": "Renamed Person"}, "", roles(**dict.fromkeys(ROLES[1:], DONE))),
    ],
    "auth.change_email": [
        ("POST", "/account/email", {"change-email": "fresh@example.org"}, "", roles(**dict.fromkeys(ROLES[1:], DONE))),
    ],
    # The confirmation link acts for whoever holds it (it went to the new address).
    "auth.confirm_email": [
        ("GET", "/account/email/{email_token}", None, "", roles(**dict.fromkeys(ROLES, OK))),
        ("POST", "/account/email/{email_token}", {}, "", roles(**dict.fromkeys(ROLES, DONE))),
    ],
    "auth.end_session": [
        # Only the session's own user can end it; everyone else is told nothing.
        ("POST", "/account/sessions/{session_a}/end", {}, "", roles(member_a=DONE)),
    ],
    "auth.sign_out_everywhere": [
        ("POST", "/account/sessions/end-all", {"keep": "this"}, "", roles(**dict.fromkeys(ROLES[1:], DONE))),
    ],
    "auth.personal_data": [("GET", "/account/personal-data.json", None, "", EVERYONE_LOGGED_IN)],
    "auth.create_token": [
        ("POST", "/account/tokens", {"name": "Finance system"}, "", roles(**dict.fromkeys(ROLES[1:], CREATED))),
    ],
    "auth.revoke_token": [
        # Only the token's own user can revoke it; everyone else is told nothing.
        ("POST", "/account/tokens/{token_a}/revoke", {}, "", roles(member_a=DONE)),
    ],
    "bids.index": [("GET", "/", None, "", EVERYONE_LOGGED_IN)],
    "bids.new": [
        ("GET", "/bids/new", None, "", roles(convenor=OK, other_convenor=OK, member_a=403, member_b=403, member_c=403)),
        (
            "POST",
            "/bids/new",
            {**BID_FORM, "action": "draft"},
            "",
            roles(convenor=DONE, other_convenor=DONE, member_a=403, member_b=403, member_c=403),
        ),
    ],
    "bids.show": [
        ("GET", "/bids/{bid}", None, "", roles(convenor=OK, member_a=OK, member_b=OK)),
        ("GET", "/bids/{draft}", None, "", CONVENOR_PAGE),  # members never see a draft
    ],
    "bids.edit": [
        ("GET", "/bids/{bid}/edit", None, "", CONVENOR_PAGE),
        ("POST", "/bids/{bid}/edit", BID_FORM, "", CONVENOR_ACTION),
    ],
    "bids.extend": [
        ("GET", "/bids/{bid}/extend", None, "", CONVENOR_PAGE),
        (
            "POST",
            "/bids/{bid}/extend",
            {"deadline_date": "{future_date}", "deadline_time": "18:00"},
            "",
            CONVENOR_ACTION,
        ),
    ],
    "bids.copy": [
        ("GET", "/bids/{bid}/copy", None, "", CONVENOR_PAGE),
        (
            "POST",
            "/bids/{bid}/copy",
            {"title": "Bid X again", "deadline_date": "{future_date}", "deadline_time": "17:00", "invite": "pledged"},
            "",
            CONVENOR_ACTION,
        ),
    ],
    "bids.transition": [
        ("POST", "/bids/{bid}/close", {"confirm": "yes"}, "", CONVENOR_ACTION),
        ("POST", "/bids/{bid}/cancel", {"confirm": "yes"}, "", CONVENOR_ACTION),
        ("POST", "/bids/{draft}/open", {}, "", CONVENOR_ACTION),
        # The confirmation pages of actions that cannot be undone: the bid's convenors only.
        ("GET", "/bids/{bid}/close", None, "", CONVENOR_PAGE),
        ("GET", "/bids/{bid}/cancel", None, "", CONVENOR_PAGE),
    ],
    "bids.audit_log": [("GET", "/bids/{bid}/audit", None, "", CONVENOR_PAGE)],
    "bids.audit_csv": [("GET", "/bids/{bid}/audit.csv", None, "", CONVENOR_PAGE)],
    "invitations.index": [
        ("GET", "/bids/{bid}/invitations", None, "", CONVENOR_PAGE),
        (
            "POST",
            "/bids/{bid}/invitations",
            {"kind": "one", "one-organisation_name": "New Homes", "one-email": "new@homes.example"},
            "one-",
            CONVENOR_ACTION,
        ),
    ],
    "invitations.change": [
        ("POST", "/bids/{bid}/invitations/{pending}/resend", {}, "", CONVENOR_ACTION),
        ("GET", "/bids/{bid}/invitations/{pending}/revoke", None, "", CONVENOR_PAGE),
        ("POST", "/bids/{bid}/invitations/{pending}/revoke", {"confirm": "yes"}, "", CONVENOR_ACTION),
        # An invitation of another bid, through this bid's URL: never found.
        ("POST", "/bids/{bid}/invitations/{foreign_invitation}/revoke", {"confirm": "yes"}, "", roles()),
    ],
    "invitations.respond": [
        ("GET", "/invitations/{token}", None, "", roles(**dict.fromkeys(ROLES, OK))),
        (
            "POST",
            "/invitations/{token}",
            {"choice": "decline", "decline-reason": "Not this year."},
            "decline-",
            roles(**dict.fromkeys(ROLES, OK)),
        ),
    ],
    "invitations.join_requests": [
        # Each organisation's manager sees their own organisation's requests (B's list is empty); others nothing.
        ("GET", "/organisation/join-requests", None, "", roles(member_a=OK, member_b=OK)),
    ],
    "invitations.decide_request": [
        ("POST", "/organisation/join-requests/{join_request}/approve", {}, "", roles(member_a=DONE)),
        ("POST", "/organisation/join-requests/{join_request}/refuse", {}, "", roles(member_a=DONE)),
    ],
    "pledges.edit": [
        ("GET", "/bids/{bid}/pledge", None, "", MEMBER_PAGE),
        ("POST", "/bids/{bid}/pledge", PLEDGE_FORM, "", MEMBER_ACTION),
    ],
    "pledges.withdraw": [
        ("GET", "/bids/{bid}/pledge/withdraw", None, "", MEMBER_PAGE),
        ("POST", "/bids/{bid}/pledge/withdraw", {"version": "1", "confirm": "yes"}, "", MEMBER_ACTION),
    ],
    "pledges.history": [
        ("GET", "/bids/{bid}/pledges/{pledge_a}/history", None, "", roles(convenor=OK, member_a=OK)),
        ("GET", "/bids/{bid}/pledges/{pledge_b}/history", None, "", roles(convenor=OK, member_b=OK)),
        # A's pledge through another bid's URL: never found, even by the convenor of that bid.
        ("GET", "/bids/{other_bid}/pledges/{pledge_a}/history", None, "", roles()),
    ],
    "pledges.receipt": [
        ("GET", "/bids/{bid}/pledges/{pledge_a}/receipt", None, "", roles(member_a=OK)),
        ("GET", "/bids/{bid}/pledges/{pledge_b}/receipt", None, "", roles(member_b=OK)),
    ],
    # After the bid: the won bid W of body X, joined by A and B; A has made one grant.
    "delivery.outcome": [
        ("GET", "/bids/{won}/outcome", None, "", CONVENOR_PAGE),
        ("POST", "/bids/{won}/outcome", OUTCOME_FORM, "", CONVENOR_ACTION),
        ("GET", "/bids/{bid}/outcome", None, "", CONVENOR_PAGE),  # the form shows; recording is refused until submitted
    ],
    "delivery.dashboard": [
        ("GET", "/bids/{won}/delivery", None, "", ALL_OF_WON),
        ("GET", "/bids/{bid}/delivery", None, "", roles()),  # an open bid has no delivery phase
    ],
    "delivery.close": [("POST", "/bids/{won}/delivery/close", {}, "", CONVENOR_ACTION)],
    "delivery.giving": [
        ("GET", "/bids/{won}/360giving", None, "", CONVENOR_PAGE),
        ("GET", "/bids/{bid}/360giving", None, "", roles()),  # no delivery phase
    ],
    "delivery.export": [
        ("GET", "/bids/{won}/360giving.csv", None, "", CONVENOR_PAGE),
        ("GET", "/bids/{won}/360giving.json", None, "", CONVENOR_PAGE),
    ],
    "delivery.grants_index": [("GET", "/bids/{won}/grants", None, "", ALL_OF_WON)],
    "delivery.new_grant": [
        ("GET", "/bids/{won}/grants/new", None, "", MEMBER_PAGE),
        ("POST", "/bids/{won}/grants/new", GRANT_FORM, "", MEMBER_ACTION),
    ],
    "delivery.import_grants": [
        ("GET", "/bids/{won}/grants/import", None, "", MEMBER_PAGE),
        (
            "POST",
            "/bids/{won}/grants/import",
            {"rows": "Recipient\tAmount\tAward date\tTitle\tDescription\nHulme Youth Club\t5000\t2027-01-10\tT\tD"},
            "",
            MEMBER_ACTION,
        ),
    ],
    "delivery.edit_grant": [
        # Only the organisation that made the grant: B, the convenors and everyone else are told nothing.
        ("GET", "/bids/{won}/grants/{grant_a}/edit", None, "", roles(member_a=OK)),
        ("POST", "/bids/{won}/grants/{grant_a}/edit", GRANT_FORM, "", roles(member_a=DONE)),
        ("GET", "/bids/{bid}/grants/{grant_a}/edit", None, "", roles()),  # A's grant through another bid's URL
    ],
    "delivery.delete_grant": [
        ("POST", "/bids/{won}/grants/{grant_a}/delete", {"version": "1"}, "", roles(member_a=DONE)),
    ],
    # The convening body's settings: its own convenors only; another body's convenor and every member get 404.
    "settings.body_settings": [
        ("GET", "/bodies/{body}/settings", None, "", CONVENOR_PAGE),
        (
            "POST",
            "/bodies/{body}/settings",
            {"display_name": "Renamed body", "accent": "#1d3557", "contact_name": "Priya Shah"},
            "",
            CONVENOR_ACTION,
        ),
    ],
    # No logo is set in this world, so even the body's convenor gets 404 (tests/settings covers a real logo).
    "settings.logo": [("GET", "/bodies/{body}/logo", None, "", roles())],
    # The team: each organisation's managers (the body's convenor, A's and B's first users) manage their own; a
    # colleague of A who is not a manager is refused with 403; a person of another organisation is not found.
    "team.index": [
        ("GET", "/team", None, "", roles(convenor=OK, other_convenor=403, member_a=OK, member_b=OK, member_c=403)),
        (
            "POST",
            "/team",
            {"email": "new-colleague@example.org"},
            "",
            roles(convenor=REDIRECT, other_convenor=403, member_a=REDIRECT, member_b=REDIRECT, member_c=403),
        ),
    ],
    "team.make_manager": [
        ("POST", "/team/{colleague_a}/manager", {}, "", roles(member_a=DONE, member_c=403, other_convenor=403))
    ],
    "team.unmake_manager": [
        ("POST", "/team/{manager_a2}/not-manager", {}, "", roles(member_a=DONE, member_c=403, other_convenor=403))
    ],
    "team.remove": [
        ("POST", "/team/{colleague_a}/remove", {}, "", roles(member_a=DONE, member_c=403, other_convenor=403))
    ],
    "team.erase": [
        # The confirmation page first (what erasing does); only a POST with confirm=yes erases.
        ("GET", "/team/{colleague_a}/erase", None, "", roles(member_a=OK, member_c=403, other_convenor=403)),
        (
            "POST",
            "/team/{colleague_a}/erase",
            {"confirm": "yes"},
            "",
            roles(member_a=DONE, member_c=403, other_convenor=403),
        ),
    ],
    "team.withdraw": [
        (
            "POST",
            "/team/invitations/{colleague_link}/withdraw",
            {},
            "",
            roles(member_a=DONE, member_c=403, other_convenor=403),
        )
    ],
    "team.join": [
        ("GET", "/team/join/{colleague_token}", None, "", roles(**dict.fromkeys(ROLES, OK))),
        (
            "POST",
            "/team/join/{colleague_token}",
            {"name": "New Colleague", "password": "a-brand-new-passphrase"},
            "",
            roles(**dict.fromkeys(ROLES, DONE)),
        ),
    ],
    "team.profile": [
        (
            "GET",
            "/organisation/profile",
            None,
            "",
            roles(convenor=OK, other_convenor=403, member_a=OK, member_b=OK, member_c=403),
        ),
        (
            "POST",
            "/organisation/profile",
            {"name": "Renamed Homes {bid}", "regions": ["NW"], "website": "www.renamed.example.org"},
            "",
            roles(convenor=DONE, other_convenor=403, member_a=DONE, member_b=DONE, member_c=403),
        ),
    ],
    # The directory: each body's own (another body's convenor sees its own, empty one); members are sent to
    # their own organisation's entry and refused everything else.
    "directory.index": [
        ("GET", "/directory", None, "", roles(convenor=OK, other_convenor=OK, **dict.fromkeys(MEMBERS, REDIRECT)))
    ],
    "directory.mine": [("GET", "/directory/mine", None, "", roles(**dict.fromkeys(ROLES[1:], REDIRECT)))],
    "directory.export": [
        ("GET", "/directory/export.csv", None, "", BODY_PAGE),
        ("GET", "/directory/export.xlsx", None, "", BODY_PAGE),
    ],
    "directory.duplicates": [("GET", "/directory/duplicates", None, "", BODY_PAGE)],
    "directory.new": [
        ("GET", "/directory/organisations/new", None, "", BODY_PAGE),
        ("POST", "/directory/organisations/new", {"name": "Hand Homes"}, "", BODY_ACTION),
    ],
    "directory.import_page": [
        ("GET", "/directory/import", None, "", BODY_PAGE),
        ("POST", "/directory/import", {"rows": "Organisation\nImported Homes"}, "", BODY_PAGE),
    ],
    "directory.show": [
        ("GET", "/directory/organisations/{entry_a}", None, "", roles(convenor=OK, member_a=OK)),
        (
            "POST",
            "/directory/organisations/{entry_a}",
            {"kind": "tags", "tags-tags": "Wales"},
            "tags-",
            roles(convenor=DONE, member_a=403),
        ),
    ],
    "directory.add_contact": [
        (
            "POST",
            "/directory/organisations/{entry_a}/contacts",
            {"contact-email": "new@a-homes.example"},
            "contact-",
            roles(convenor=DONE, member_a=403),
        )
    ],
    "directory.make_primary": [
        (
            "POST",
            "/directory/organisations/{entry_a}/contacts/{contact_a}/primary",
            {},
            "",
            roles(convenor=DONE, member_a=403),
        )
    ],
    "directory.invite_preview": [("GET", "/bids/{bid}/invitations/directory", None, "", CONVENOR_PAGE)],
    "directory.invite_send": [
        ("POST", "/bids/{bid}/invitations/directory", {"contact": "{contact_keep}"}, "", CONVENOR_ACTION)
    ],
    "directory.merge": [
        (
            "POST",
            "/directory/organisations/{entry_dup}/merge",
            {"merge-into": "{entry_keep}"},
            "merge-",
            roles(convenor=DONE),
        )
    ],
}


def _cases():
    for endpoint, cases in MATRIX.items():
        for method, path, form, prefix, expected in cases:
            for role in ROLES:
                yield pytest.param(
                    method, path, form, prefix, role, expected[role], id=f"{endpoint}:{method}:{path}:{role}"
                )


def test_every_route_of_the_covered_blueprints_is_in_the_matrix(app):
    in_app = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(COVERED)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    in_matrix = {(endpoint, case[0]) for endpoint, cases in MATRIX.items() for case in cases}
    missing = sorted(in_app - in_matrix)
    assert not missing, f"routes with no permission entry: {missing}"
    with_bid = {
        r.endpoint for r in app.url_map.iter_rules() if "bid_id" in r.arguments and r.endpoint.startswith(COVERED)
    }
    assert with_bid <= set(MATRIX)
    assert not set(MATRIX) - {r.endpoint for r in app.url_map.iter_rules()}, "the matrix names a route that is gone"


@pytest.fixture
def world(data):
    """Bid X of convening body X, joined by organisations A and B (each with a pledge); organisation C
    joined only bid Y of convening body Y. Plus a draft of X and a pending invitation to X."""
    with data() as s:
        bid = BidFactory(title="Bid X")
        other = BidFactory(title="Bid Y")
        draft = BidFactory(title="Draft X", created_by=bid.created_by, status="draft", opened_at=None)
        member_a, member_b = member_of(bid, name="A Homes"), member_of(bid, name="B Homes")
        member_c = UserFactory()
        InvitationFactory(bid=other, organisation=member_c.organisation, status="accepted", email=member_c.email)
        pledge_a, pledge_b = pledge_for(member_a, bid), pledge_for(member_b, bid)
        won = BidFactory(title="Won X", created_by=bid.created_by, status="submitted")
        for member in (member_a, member_b):
            InvitationFactory(
                bid=won, organisation=member.organisation, status="accepted", email=member.email, accepted_by=member
            )
            pledge_for(member, won)
        outcomes.record_outcome(bid.created_by, won, {**WON})
        grant_a = grants.create_grant(member_a, won, {**GRANT})
        pending = InvitationFactory(bid=bid, email="pending@homes.example")
        token, token_hash = tokens.make("invitation", pending.id)
        s.add(InvitationLink(invitation_id=pending.id, token_hash=token_hash, reason="invitation"))
        foreign = InvitationFactory(bid=other, email="elsewhere@homes.example")
        # Someone asks to join A Homes (whose manager is member_a) through an invitation naming it.
        asks = InvitationFactory(bid=bid, email="asks@a-homes.example", organisation=member_a.organisation)
        join_request = JoinRequest(
            invitation_id=asks.id,
            organisation_id=member_a.organisation_id,
            email=asks.email,
            name="Asking Person",
            password_hash=FAST_HASH,
        )
        s.add(join_request)
        for user in (bid.created_by, other.created_by, member_a, member_b, member_c):
            user.password_hash = FAST_HASH
        _plaintext, token_a = api_tokens.create_token(member_a, "CRM")
        reset_token, _link = account_links.issue(LinkPurpose.PASSWORD_RESET, user=member_a, minutes=60)
        email_token, _link = account_links.issue(
            LinkPurpose.EMAIL_CHANGE, user=member_a, email="a-new@example.org", minutes=60
        )
        sessions.start_session(member_a, user_agent="Phone")
        # A's team: a colleague, a second manager, and a colleague invited but not yet joined.
        colleague_a = UserFactory(organisation=member_a.organisation, password_hash=FAST_HASH)
        manager_a2 = UserFactory(organisation=member_a.organisation, is_manager=True, password_hash=FAST_HASH)
        colleague_token, colleague_link = account_links.issue(
            LinkPurpose.COLLEAGUE,
            organisation=member_a.organisation,
            email="invited@a-homes.example",
            created_by=member_a,
            minutes=600,
        )
        bid.created_by.is_manager = True
        s.flush()
        session_a = s.scalar(sa.select(UserSession.id).where(UserSession.user_id == member_a.id))
        # The directories as the invitation services keep them: A and B in X's, C in Y's; two look-alikes in X's.
        for user, on in ((member_a, bid), (member_b, bid), (member_c, other)):
            invitation = s.scalar(sa.select(Invitation).where(Invitation.email == user.email))
            directory_members.note_invited(on, [invitation])
            directory_members.note_accepted(invitation, user)
        entry_a = s.scalar(sa.select(DirectoryEntry).where(DirectoryEntry.organisation_id == member_a.organisation_id))
        keep = DirectoryEntry(body_id=bid.organisation_id, name="Dup Homes", name_key="dup homes", regions=[])
        dup = DirectoryEntry(body_id=bid.organisation_id, name="Dup Homes Ltd", name_key="dup homes ltd", regions=[])
        s.add_all([keep, dup])
        s.flush()
        contact_keep = DirectoryContact(entry_id=keep.id, email="dup@homes.example", is_primary=True)
        s.add(contact_keep)
        s.flush()
        return {
            "bid": bid.id,
            "body": bid.organisation_id,
            "bid_version": bid.version,
            "draft": draft.id,
            "won": won.id,
            "grant_a": grant_a.id,
            "other_bid": other.id,
            "pledge_a": pledge_a.id,
            "pledge_b": pledge_b.id,
            "pending": pending.id,
            "foreign_invitation": foreign.id,
            "join_request": join_request.id,
            "token": token,
            "token_a": token_a.id,
            "reset_token": reset_token,
            "email_token": email_token,
            "session_a": session_a,
            "colleague_a": colleague_a.id,
            "manager_a2": manager_a2.id,
            "colleague_token": colleague_token,
            "colleague_link": colleague_link.id,
            "future_date": clock.to_london(bid.deadline).date().replace(year=bid.deadline.year + 1).isoformat(),
            "emails": {
                "convenor": bid.created_by.email,
                "other_convenor": other.created_by.email,
                "member_a": member_a.email,
                "member_b": member_b.email,
                "member_c": member_c.email,
            },
            "member_a_email": member_a.email,
            "entry_a": entry_a.id,
            "contact_a": entry_a.contacts[0].id,
            "entry_keep": keep.id,
            "entry_dup": dup.id,
            "contact_keep": contact_keep.id,
        }


def _fill(value, world):
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


def _changes(data) -> int:
    """Audit rows other than logging in and refusals: a refused request must not add any."""
    with data() as s:
        return s.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.not_in(["auth.login", "auth.login_failed", "access.refused"]))
        )


def _refusals(data) -> list[dict]:
    with data() as s:
        rows = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "access.refused")).all()
        return [{"actor_id": r.actor_id, **(r.after or {})} for r in rows]


@pytest.mark.parametrize(("method", "path", "form", "prefix", "role", "expected"), list(_cases()))
def test_permission(world, login, make_browser, data, method, path, form, prefix, role, expected):
    browser = make_browser() if role == "anonymous" else login(world["emails"][role])
    url = _fill(path, world)
    before = _changes(data)
    refusals_before = len(_refusals(data))
    if method == "GET":
        response = browser.get(url)
    else:
        # A real page's token: the login form for visitors, the account page's log-out button otherwise.
        token = csrf_token(browser.get("/login" if role == "anonymous" else "/account"))
        payload = {k: _fill(v, world) for k, v in form.items()}
        response = browser.client.post(url, data={f"{prefix}csrf_token": token, **payload})
    changed = _changes(data) - before
    location = response.headers.get("Location", "")

    if expected == LOGIN:
        assert response.status_code == 302 and location.startswith("/login"), (response.status_code, location)
        assert changed == 0
    elif expected == REDIRECT:
        assert response.status_code == 302 and not location.startswith("/login"), (response.status_code, location)
    elif expected == DONE:
        assert response.status_code == 302, (response.status_code, location)  # (logging out lands on /login)
        assert changed > 0, "the action was accepted but changed nothing"
    elif expected == CREATED:
        assert response.status_code == 201, response.status_code
        assert changed > 0
    elif expected == OK:
        assert response.status_code == 200, response.status_code
        if method == "GET":
            assert changed == 0
    else:
        assert response.status_code == expected, (response.status_code, response.text[:300])
        assert changed == 0
        # A logged-in person refused on a page about a bid is recorded once, with the path and status.
        refusals = _refusals(data)[refusals_before:]
        if path.startswith("/bids/{"):
            assert [(r["path"], r["status"], r["method"]) for r in refusals] == [(url, expected, method)]
            assert refusals[0]["actor_id"] is not None
        else:
            assert refusals == []
        if expected == 404:
            assert "Page not found" in response.text
            own = {"member_a": "A Homes", "member_b": "B Homes"}.get(role)
            for secret in {"Bid X", "A Homes", "B Homes", "Draft X", "Dup Homes"} - {own}:
                assert secret not in response.text


@pytest.mark.parametrize("role", ROLES)
def test_metrics_need_the_bearer_token_whoever_is_signed_in(world, login, make_browser, app, monkeypatch, role):
    monkeypatch.setitem(app.config, "METRICS_ENABLED", True)
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "metrics-token-for-the-matrix")
    browser = make_browser() if role == "anonymous" else login(world["emails"][role])
    refused = browser.get("/metrics")
    assert refused.status_code == 401 and "bids_" not in refused.text
    allowed = browser.client.get("/metrics", headers={"Authorization": "Bearer metrics-token-for-the-matrix"})
    assert allowed.status_code == 200 and "bids_http_requests_total" in allowed.text


def test_refusal_for_another_body_looks_the_same_as_a_missing_bid(world, login):
    browser = login(world["emails"]["other_convenor"])
    for suffix in ("", "/edit", "/audit", "/invitations", "/extend"):
        real = browser.get(f"/bids/{world['bid']}{suffix}")
        missing = browser.get(f"/bids/999999{suffix}")
        assert real.status_code == missing.status_code == 404
        # Each page carries a freshly time-stamped CSRF token (the log-out button); everything else must match.
        assert _without_csrf(real.text) == _without_csrf(missing.text)


def _without_csrf(html: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*(")', r"\1…\2", html)


def test_members_see_amounts_of_others_only_when_the_convenor_allows(world, login, data):
    browser = login(world["emails"]["member_a"])
    page = browser.get(f"/bids/{world['bid']}")
    assert "B Homes" in page.text  # the member list is shared
    assert "£250,000" in page.text  # A's own pledge, in the "your pledge" panel
    member_table = page.text.split("Member organisations", 1)[1].split("</table>", 1)[0]
    assert "£250,000" not in member_table
    with data() as s:
        from app.models import Bid

        s.get(Bid, world["bid"]).show_amounts = True
    member_table = browser.get(f"/bids/{world['bid']}").text.split("Member organisations", 1)[1].split("</table>")[0]
    assert member_table.count("£250,000") == 2


def test_the_pending_invitation_is_still_pending_after_refused_revokes(world, login, data):
    for role in ("other_convenor", "member_a", "member_c"):
        browser = login(world["emails"][role])
        token = csrf_token(browser.get("/account"))
        response = browser.client.post(
            f"/bids/{world['bid']}/invitations/{world['pending']}/revoke", data={"csrf_token": token, "confirm": "yes"}
        )
        assert response.status_code == 404
    with data() as s:
        from app.models import Invitation

        assert s.get(Invitation, world["pending"]).status == InvitationStatus.SENT
