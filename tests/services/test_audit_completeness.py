"""Every service operation that changes state writes an audit event, in the same transaction as the change.

The rule: every public function of every module in ``app/services/`` is classified here exactly once, as
an audited operation (with a scenario that calls it), an exemption (with the reason), or a reader. A name
that starts with a state-changing verb cannot be called a reader. So a new service function fails this
test until someone decides which it is, and an audited one fails if it stops writing its event.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

import app.services
from app.extensions import db
from app.infra import clock, tokens
from app.models import AuditEvent, BidStatus, OrganisationKind, Role
from app.services import (
    acceptance,
    api_tokens,
    audit,
    bid_copy,
    bids,
    body,
    digest,
    directory_edits,
    directory_import,
    directory_invites,
    directory_merge,
    erasure,
    funder,
    grant_import,
    grants,
    invitation_links,
    invitations,
    join_requests,
    letters,
    outcomes,
    own_account,
    packs,
    password_resets,
    pledges,
    profiles,
    reminder_plan,
    reminders,
    scheduling,
    sessions,
    team,
    users,
)
from tests.delivery.helpers import WON, grant_by, submitted_bid, won_bid
from tests.factories import PASSWORD, BidFactory, ConvenorFactory, InvitationFactory, UserFactory, member_of
from tests.packdata import populated_bid
from tests.pdfs import clean_storage, make_pdf

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)

#: Names that say "this changes something": such a function can never be listed as a reader.
STATE_CHANGING = re.compile(
    r"^(create|update|save|withdraw|open|close|cancel|extend|mark|invite|resend|revoke|reissue|accept|decline"
    r"|generate|upload|change|set|logout|authenticate|send|claim|record|emit|drain|run|write|publish|install"
    r"|after_commit|on_rollback|delete|remove|add|import|disable|enable|confirm|submit|reset|grant|touch|store)"
)

#: Operations that write rows but whose record is not an audit event, and why.
EXEMPT = {
    "team.stop_access": "ends sessions and revokes tokens inside remove_colleague and erase_person, both audited",
    "account_links.issue": "writes the link row (and revokes older ones); every caller records why with audit.record",
    "account_links.mark_used": "stamps the link row used, inside an audited change (the reset, the email change)",
    "sessions.start_session": "the session row is the record of a sign-in, made beside the audited auth.login",
    "sessions.end_all": "stamps session rows ended inside an audited change (logout, password change, removal)",
    "audit.emit": "writes the live event log (bid_events); every caller also records the change with audit.record",
    "digest.send_due": "the daily digest email run: each message is its own outbox row; nothing in a bid changes",
    "funder.open_link": "checks a funder link's token and reads; the view logs the visit with record_access",
    "funder.record_access": "is itself the log of a funder link's use (funder_link_accesses, shown to the convenor)",
    "invitation_links.end_links": "runs inside accepting, declining, a join request and revoking, each audited",
    "invitation_links.keep_until_deadline": "runs inside extend_deadline and update_bid, which record the change",
    "invitation_links.send_invitation": "records the action its caller names (invitation.sent or invitation.resent)",
    "notices.bid_closed": "emails queued inside close_bid, whose transaction records bid.closed",
    "notices.deadline_changed": "emails queued inside extend_deadline, whose transaction records the change",
    "notices.claim_convenor": "the once-only claim row of a notice email (reminder_sends), inside an audited change",
    "grant_reminders.send_due": "reminders to record grants: each send is a reminder_sends row, as reminders.send_due",
    "reminders.send_due": "automatic reminders: each send is a reminder_sends row, the ledger the history page shows",
    "reminders.claim": "the claim row of a reminder send (reminder_sends) is its record",
    "scheduling.drain_outbox": "sends queued email; the outbox row's status, attempts and error are its record",
    "directory_members.note_invited": "adds directory entries inside invite_many, which records invitation.sent",
    "directory_members.note_accepted": "links the directory entry inside accept_as, which records invitation.accepted",
    "scheduling.run_sweep": "runs close_due_bids, reminders.send_due, digest.send_due and drain_outbox (covered here)",
}

READERS = {
    "erasure": "personal_data pseudonym",
    "team": "colleague guard_last_manager members_of pending_invitations read_invitation former_members "
    "require_manager team_for",
    "own_account": "check_new_email pending_email_change read_email_link",
    "account_links": "links_still_open read",
    "password_resets": "check_new_password read_link",
    "sessions": "current_session_id is_live_key sessions_for",
    "event_kinds": "convenor_only_kinds declare describe",
    "series": "pledged_at pledged_series",
    "member_table": "member_page row_for",
    "snapshots": "audience_for audience_now audiences_now moves_responses events_after latest_event_id "
    "pledged_series project recent_events snapshot value_at viewer_key visible_event",
    "access": "can_view_bid get_bid_for_convenor get_bid_for_member get_bid_for_viewer is_bid_convenor is_bid_member "
    "joined_organisations member_organisation_joined visible_bids",
    "api_tokens": "tokens_for",
    "audit": "events_for_bid jsonable",
    "audit_kinds": "declare differences describe in_words label plan_in_words title",
    "audit_log": "export_csv options page parse_day rows",
    "delivery": "possible_duplicates recipient_identity summary",
    "giving360": "as_360_grant build check export fast_check prefix_of render schema validator",
    "grant_values": "find_email gss_type recipient_org_id validate_grant",
    "grant_import": "read_rows",
    "grant_reminders": "slot_for",
    "grants": "get_grant list_grants new_reference recipient_key require_open_delivery",
    "outcomes": "outcome_of validate_outcome",
    "bids": "validate_bid_values",
    "bid_copy": "copy_title",
    "body": "check_logo contrast_with_white get_body identity_of logo_key logo_path pack_body read_logo",
    "digest": "build describe_event",
    "directory": "all_entries body_of entries_of_member filtered get_entry history list_entries tags_of",
    "directory_edits": "clean_profile duplicate_groups possible_duplicates",
    "directory_invites": "plan",
    "directory_names": "accent_folded duplicate_key",
    "disclosure": "as_released hides_amounts_from released totals_for",
    "errors": "require",
    "funder": "accesses_for get_link letter_in_pack link_state links_for",
    "invitation_rows": "offer_back_cells parse_rows",
    "invitations": "display_state get_for_convenor list_for_bid personal_message",
    "invitation_links": "expiry_for read_token",
    "join_requests": "awaiting_for_bid get_for_manager pending_for requests_for_manager",
    "letters": "can_read check_pdf clean_filename current_letter download_name get_current_for_pledge get_letter "
    "letters_for live_pledge read_content size_text storage_key storage_path stream_content",
    "notices": "closing_audience convenors_of",
    "packs": "build_documents compare download_name figures_of get_pack history outcome_for_pack pack_dir pack_key "
    "packs_for prepare_pack read_file regions stream_file timeline",
    "pledges": "check_open current_pledge revisions_for validate",
    "profiles": "can_edit_profile check_homes_owned check_identifier check_organisation_name check_regions "
    "check_unique normalise_website profile_values",
    "reminder_plan": "as_text deadline_key describe due_slots parse_plan skip_reason skip_reason_basic slot_key "
    "validate_minutes",
    "reminder_history": "history",
    "reminders": "candidates manual_targets new_send_id",
    "scheduling": "upcoming_closes",
    "totals": "compute has_current_letter member_columns member_row member_rows not_yet_pledged thresholds",
    "private_links": "signed_link state",
    "users": "check_login has_people is_known_contact load_session_user lookalike_organisation lookalike_user_email "
    "managers_of normalise_email organisation_values password_problems person_name",
}

IMPORT_TABLE = "Recipient,Amount,Award date,Title,Description\nHulme Youth Club,5000,2027-01-10,Summer,Sport."
PLEDGE = {
    "amount_pence": 25_000_000,
    "homes": 12_400,
    "regions": ["NW"],
    "statement": "Grants.",
    "status": "indicative",
    "accept_terms": True,
}
ORG = {"name": "Riverside Homes", "identifier": "GB-SHPE-L0026", "homes_owned": 12_400, "regions": ["NW"]}

# Each setup builds what the operation needs and returns the call to make. Setups run with the
# session's work committed before the call, so the call's transaction holds only the operation.
Setup = Callable[[], Callable[[], object]]


def _bid_values() -> dict:
    return {
        "title": "Match fund bid",
        "funder_name": "Funder",
        "scheme": "Scheme",
        "summary": "Case",
        "terms": "Terms",
        "target_pence": 600_000_000,
        "target_homes": 1_000_000,
        "deadline": clock.now() + timedelta(days=10),
    }


def _token_for(invitation) -> str:
    return invitation_links.reissue_link(invitation).rsplit("/", 1)[1]


def _api_token():
    user = UserFactory()
    plaintext, token = api_tokens.create_token(user, "ci")
    return user, plaintext, token


def _submitted_bid():
    bid, _users = populated_bid(members=2, letters_for=1)
    packs.generate_pack(bid.created_by, bid)
    bid.status = BidStatus.SUBMITTED
    return bid


def _funder_link():
    bid = _submitted_bid()
    link, _token = funder.create_link(bid.created_by, bid, name="Priya Patel", email="priya@funder.example.org")
    return bid, link


def _pledger():
    bid = BidFactory()
    member = member_of(bid)
    pledges.save_pledge(member, bid, PLEDGE, expected_version=None)
    return bid, member


def _draft():
    return BidFactory(status=BidStatus.DRAFT, opened_at=None)


def _user():
    return UserFactory()


def _manager():
    return UserFactory(is_manager=True)


def _colleague(manager):
    return UserFactory(organisation=manager.organisation)


def _invited(manager):
    return team.invite_colleague(manager, "colleague@example.org")


def _email_token() -> str:
    """A fresh confirmation link's token for the newest email change (the one just asked for)."""
    from app.models import AccountLink

    link = db.session.scalars(sa.select(AccountLink).order_by(AccountLink.id.desc())).first()
    token, link.token_hash = tokens.make(link.purpose.value, link.id)
    return token


def _asking():
    """A manager of an organisation in a bid, and an invitation naming that organisation: (manager, invitation)."""
    bid = BidFactory()
    manager = member_of(bid)
    return manager, InvitationFactory(bid=bid, organisation=manager.organisation)


def _join_request():
    manager, invitation = _asking()
    request = join_requests.request_to_join(
        invitation, manager.organisation, email="asks@example.org", name="Asks", password="a-long-passphrase"
    )
    return manager, request


def _entry(name="Alpha Homes"):
    convenor = ConvenorFactory()
    return convenor, directory_edits.add_organisation(convenor, {"name": name}, contact={"email": "a@alpha.example"})


def _two_entries():
    convenor, keep = _entry()
    return convenor, keep, directory_edits.add_organisation(convenor, {"name": "Alpha Homes Ltd"})


def _bid_with_directory():
    bid = BidFactory()
    return bid, directory_edits.add_organisation(
        bid.created_by, {"name": "Dir Homes"}, contact={"email": "d@x.example"}
    )


SCENARIOS: dict[str, list[Setup]] = {
    "directory_edits.add_organisation": [
        lambda: (lambda c: lambda: directory_edits.add_organisation(c, {"name": "Beta"}))(ConvenorFactory())
    ],
    "directory_edits.update_organisation": [
        lambda: (lambda ce: lambda: directory_edits.update_organisation(ce[0], ce[1], {"homes_owned": 3}))(_entry())
    ],
    "directory_edits.add_contact": [
        lambda: (lambda ce: lambda: directory_edits.add_contact(ce[0], ce[1], {"email": "b@alpha.example"}))(_entry())
    ],
    "directory_edits.set_primary_contact": [
        lambda: (lambda ce: lambda: directory_edits.set_primary_contact(ce[0], ce[1], ce[1].contacts[0].id))(_entry())
    ],
    "directory_import.import_directory": [
        lambda: (lambda c: lambda: directory_import.import_directory(c, "Organisation\nBeta\n"))(ConvenorFactory())
    ],
    "directory_invites.invite_contacts": [
        lambda: (lambda b: lambda: directory_invites.invite_contacts(b[0].created_by, b[0], [b[1].contacts[0].id]))(
            _bid_with_directory()
        )
    ],
    "directory_invites.invite_entries": [
        lambda: (lambda b: lambda: directory_invites.invite_entries(b[0].created_by, b[0], entry_ids=[b[1].id]))(
            _bid_with_directory()
        )
    ],
    "directory_merge.merge_entries": [
        lambda: (lambda t: lambda: directory_merge.merge_entries(t[0], t[2], t[1]))(_two_entries())
    ],
    "api_tokens.create_token": [lambda: (lambda u: lambda: api_tokens.create_token(u, "ci"))(_user())],
    "api_tokens.revoke_token": [lambda: (lambda t: lambda: api_tokens.revoke_token(t[0], t[2].id))(_api_token())],
    "api_tokens.authenticate": [lambda: (lambda t: lambda: api_tokens.authenticate(t[1]))(_api_token())],
    "audit.record": [lambda: lambda: audit.record("test.recorded")],
    "bids.create_bid": [lambda: (lambda c: lambda: bids.create_bid(c, _bid_values()))(ConvenorFactory())],
    "bids.update_bid": [
        lambda: (lambda b: lambda: bids.update_bid(b.created_by, b, {"title": "Renamed"}))(BidFactory())
    ],
    "bids.open_bid": [lambda: (lambda b: lambda: bids.open_bid(b.created_by, b))(_draft())],
    "bids.close_bid": [lambda: (lambda b: lambda: bids.close_bid(b.created_by, b))(BidFactory())],
    "bids.cancel_bid": [lambda: (lambda b: lambda: bids.cancel_bid(b.created_by, b))(BidFactory())],
    "bids.restore_bid": [
        lambda: (lambda b: lambda: bids.restore_bid(b.created_by, b))(BidFactory(status=BidStatus.CANCELLED))
    ],
    "bids.mark_submitted": [
        lambda: (lambda b: lambda: bids.mark_submitted(b.created_by, b))(BidFactory(status=BidStatus.CLOSED))
    ],
    "bids.move_to_outcome": [
        lambda: (lambda b: lambda: bids.move_to_outcome(b.created_by, b, BidStatus.LOST))(submitted_bid(1)[0])
    ],
    "outcomes.record_outcome": [
        lambda: (lambda b: lambda: outcomes.record_outcome(b.created_by, b, WON))(submitted_bid(1)[0]),
        lambda: (lambda b: lambda: outcomes.record_outcome(b.created_by, b, {"result": "withdrawn"}))(won_bid(1)[0]),
    ],
    "outcomes.submit_bid": [
        lambda: (lambda b: lambda: outcomes.submit_bid(b.created_by, b))(BidFactory(status=BidStatus.CLOSED))
    ],
    "outcomes.set_delivery_open": [
        lambda: (lambda b: lambda: outcomes.set_delivery_open(b.created_by, b, open_=False))(won_bid(1)[0])
    ],
    "grant_import.import_grants": [
        lambda: (lambda w: lambda: grant_import.import_grants(w[1][0], w[0], IMPORT_TABLE))(won_bid(1))
    ],
    "grants.create_grant": [lambda: (lambda w: lambda: grant_by(w[1][0], w[0]))(won_bid(1))],
    "grants.update_grant": [
        lambda: (lambda w, g: lambda: grants.update_grant(w[1][0], w[0], g, {"title": "Renamed"}))(
            *(lambda w: (w, grant_by(w[1][0], w[0])))(won_bid(1))
        )
    ],
    "grants.delete_grant": [
        lambda: (lambda w, g: lambda: grants.delete_grant(w[1][0], w[0], g))(
            *(lambda w: (w, grant_by(w[1][0], w[0])))(won_bid(1))
        )
    ],
    "bids.extend_deadline": [
        lambda: (lambda b: lambda: bids.extend_deadline(b.created_by, b, b.deadline + timedelta(days=1)))(BidFactory())
    ],
    "digest.set_opt_out": [lambda: (lambda u: lambda: digest.set_opt_out(u, True))(_user())],
    "funder.create_link": [
        lambda: (lambda b: lambda: funder.create_link(b.created_by, b, name="Ann Funder", email="ann@funder.example"))(
            _submitted_bid()
        )
    ],
    "funder.revoke_link": [
        lambda: (lambda bl: lambda: funder.revoke_link(bl[0].created_by, bl[0], bl[1].id))(_funder_link())
    ],
    "invitations.invite": [
        lambda: (lambda b: lambda: invitations.invite(b.created_by, b, "Hill Homes", "hill@example.org"))(BidFactory())
    ],
    "acceptance.accept_as": [
        lambda: (lambda m_i: lambda: acceptance.accept_as(m_i[1], m_i[0]))(_asking()),
    ],
    "join_requests.request_to_join": [
        lambda: (
            lambda m_i: (
                lambda: join_requests.request_to_join(
                    m_i[1], m_i[0].organisation, email="asks@example.org", name="Asks", password="a-long-passphrase"
                )
            )
        )(_asking())
    ],
    "join_requests.approve": [lambda: (lambda m_r: lambda: join_requests.approve(*m_r))(_join_request())],
    "join_requests.refuse": [lambda: (lambda m_r: lambda: join_requests.refuse(*m_r))(_join_request())],
    "join_requests.cancel_for_invitation": [
        lambda: (lambda m_r: lambda: join_requests.cancel_for_invitation(m_r[0], m_r[1].invitation))(_join_request())
    ],
    "invitations.invite_many": [
        lambda: (lambda b: lambda: invitations.invite_many(b.created_by, b, [(1, "Hill Homes", "hill@example.org")]))(
            BidFactory()
        )
    ],
    "invitations.resend": [lambda: (lambda i: lambda: invitations.resend(i.bid.created_by, i))(InvitationFactory())],
    "invitations.revoke": [lambda: (lambda i: lambda: invitations.revoke(i.bid.created_by, i))(InvitationFactory())],
    "invitations.accept_new_user": [
        lambda: (
            lambda t: lambda: invitations.accept_new_user(t, name="Ria", password="a-long-passphrase", organisation=ORG)
        )(_token_for(InvitationFactory()))
    ],
    "invitations.accept_existing_user": [
        lambda: (lambda t, u: lambda: invitations.accept_existing_user(t, u))(
            _token_for(InvitationFactory()), UserFactory()
        )
    ],
    "invitations.decline": [
        lambda: (lambda t: lambda: invitations.decline(t, "Budget committed"))(_token_for(InvitationFactory()))
    ],
    "invitation_links.reissue_link": [
        lambda: (lambda i: lambda: invitation_links.reissue_link(i))(InvitationFactory())
    ],
    "invitation_links.reissue_links": [
        lambda: (lambda i: lambda: invitation_links.reissue_links(i.bid, [i.id]))(InvitationFactory())
    ],
    "bid_copy.copy_bid": [
        lambda: (lambda b: lambda: bid_copy.copy_bid(b.created_by, b, deadline=clock.now() + timedelta(days=9)))(
            BidFactory()
        )
    ],
    "body.update_identity": [
        lambda: (lambda c: lambda: body.update_identity(c, c.organisation_id, display_name="Alliance"))(
            ConvenorFactory()
        )
    ],
    "letters.upload_letter": [
        lambda: (lambda bm: lambda: letters.upload_letter(bm[1], bm[0], make_pdf(), "letter.pdf"))(_pledger())
    ],
    "packs.generate_pack": [
        lambda: (lambda b: lambda: packs.generate_pack(b.created_by, b))(populated_bid(members=2, letters_for=0)[0])
    ],
    "packs.record_pack": [
        lambda: (
            lambda b: (
                lambda: (
                    lambda plan: packs.record_pack(
                        b.created_by, b, plan, packs.build_documents(plan.data, plan.letter_files)
                    )
                )(packs.prepare_pack(b.created_by, b))
            )
        )(populated_bid(members=2, letters_for=0)[0])
    ],
    "pledges.save_pledge": [
        lambda: (lambda b, m: lambda: pledges.save_pledge(m, b, PLEDGE, expected_version=None))(
            *(lambda b: (b, member_of(b)))(BidFactory())
        )
    ],
    "pledges.withdraw_pledge": [
        lambda: (lambda bm: lambda: pledges.withdraw_pledge(bm[1], bm[0], expected_version=None))(_pledger())
    ],
    "reminder_plan.set_plan": [
        lambda: (lambda b: lambda: reminder_plan.set_plan(b.created_by, b, [60, 1440]))(BidFactory())
    ],
    "reminders.send_now": [
        lambda: (
            lambda i: (
                lambda: reminders.send_now(
                    i.bid.created_by,
                    i.bid,
                    group=reminders.NOT_RESPONDED,
                    message="Hi",
                    send_id=reminders.new_send_id(),
                )
            )
        )(InvitationFactory())
    ],
    "scheduling.close_due_bids": [
        lambda: (lambda _b: scheduling.close_due_bids)(BidFactory(deadline=clock.now() - timedelta(minutes=5)))
    ],
    "profiles.update_profile": [
        lambda: (lambda u: lambda: profiles.update_profile(u, u.organisation, website="www.example.org"))(
            UserFactory(is_manager=True)
        )
    ],
    "own_account.change_name": [lambda: (lambda u: lambda: own_account.change_name(u, "A New Name"))(_user())],
    "own_account.request_email_change": [
        lambda: (lambda u: lambda: own_account.request_email_change(u, "new-address@example.org"))(_user())
    ],
    "own_account.confirm_email_change": [
        lambda: (lambda t: lambda: own_account.confirm_email_change(t))(
            own_account.request_email_change(_user(), "new-address@example.org").id and _email_token()
        )
    ],
    "team.invite_colleague": [lambda: (lambda m: lambda: team.invite_colleague(m, "new@example.org"))(_manager())],
    "team.withdraw_invitation": [
        lambda: (lambda m: (lambda link: lambda: team.withdraw_invitation(m, link.id))(_invited(m)[1]))(_manager())
    ],
    "team.join": [
        lambda: (
            lambda m: (lambda t: lambda: team.join(t, name="New Person", password="another-long-passphrase"))(
                _invited(m)[0].rsplit("/", 1)[1]
            )
        )(_manager())
    ],
    "team.set_manager": [
        lambda: (lambda m: (lambda c: lambda: team.set_manager(m, c.id, True))(_colleague(m)))(_manager())
    ],
    "team.remove_colleague": [
        lambda: (lambda m: (lambda c: lambda: team.remove_colleague(m, c.id))(_colleague(m)))(_manager())
    ],
    "erasure.erase_person": [
        lambda: (lambda m: (lambda c: lambda: erasure.erase_person(m, c))(_colleague(m)))(_manager())
    ],
    "erasure.erase_by_email": [lambda: (lambda u: lambda: erasure.erase_by_email(u.email))(_user())],
    "password_resets.request_reset": [
        lambda: (lambda u: lambda: password_resets.request_reset(u.email))(_user()),
        lambda: lambda: password_resets.request_reset("nobody@example.org"),
    ],
    "password_resets.reset_link": [lambda: (lambda u: lambda: password_resets.reset_link(u.email))(_user())],
    "password_resets.reset_password": [
        lambda: (lambda t: lambda: password_resets.reset_password(t, "another-long-passphrase"))(
            password_resets.reset_link(_user().email).rsplit("/", 1)[1]
        )
    ],
    "sessions.end_session": [
        lambda: (lambda u: (sessions.start_session(u), db.session.flush(), lambda: sessions.end_session(u, 1))[2])(
            _user()
        )
    ],
    "sessions.end_other_sessions": [lambda: (lambda u: lambda: sessions.end_other_sessions(u))(_user())],
    "users.create_organisation": [
        lambda: lambda: users.create_organisation({"name": "Brand New Homes"}, OrganisationKind.MEMBER)
    ],
    "users.create_user": [
        lambda: (
            lambda o: (
                lambda: users.create_user(
                    email="new@example.org", name="New", password="a-long-passphrase", role=Role.MEMBER, organisation=o
                )
            )
        )(_user().organisation)
    ],
    "users.authenticate": [
        lambda: (lambda u: lambda: users.authenticate(u.email, PASSWORD))(_user()),
        lambda: (lambda u: lambda: users.authenticate(u.email, "not-the-password"))(_user()),
        lambda: lambda: users.authenticate("nobody@example.org", "not-the-password"),
    ],
    "users.record_login": [
        lambda: (lambda u: lambda: users.record_login(users.check_login(u.email, PASSWORD)))(_user()),
        lambda: lambda: users.record_login(users.check_login("nobody@example.org", "not-the-password")),
    ],
    "users.logout": [lambda: (lambda u: lambda: users.logout(u))(_user())],
    "users.change_password": [
        lambda: (lambda u: lambda: users.change_password(u, PASSWORD, "another-long-passphrase"))(_user())
    ],
    "users.set_enabled": [
        lambda: (lambda u: lambda: users.set_enabled(None, u, False))(_user()),
        lambda: (lambda u: lambda: users.set_enabled(None, u, True))(UserFactory(is_enabled=False)),
    ],
}

#: Operations that run their own transactions (a side session, or a commit per item) by design.
OWN_TRANSACTION = {
    "api_tokens.authenticate": "writes in a short transaction before the request's, so GET requests can be audited",
    "scheduling.close_due_bids": "commits each bid's close on its own, so one bad bid cannot stop the others",
}


def _public_functions() -> dict[str, set[str]]:
    found = {}
    for info in pkgutil.iter_modules(app.services.__path__):
        module = importlib.import_module(f"app.services.{info.name}")
        found[info.name] = {
            name
            for name, member in inspect.getmembers(module, callable)
            # unwrap decorated functions (functools.lru_cache and the like) to see where they are defined
            if inspect.isfunction(fn := inspect.unwrap(member))
            and fn.__module__ == module.__name__
            and not name.startswith("_")
        }
    return found


def test_every_service_function_is_classified_once():
    readers = {f"{module}.{name}" for module, names in READERS.items() for name in names.split()}
    audited, exempt = set(SCENARIOS), set(EXEMPT)
    assert not (readers & audited) and not (readers & exempt) and not (audited & exempt)
    everything = {f"{module}.{name}" for module, names in _public_functions().items() for name in names}
    unclassified = everything - readers - audited - exempt
    assert not unclassified, f"new service functions: add a scenario, an exemption or a reader entry: {unclassified}"
    assert not (readers | audited | exempt) - everything, "entries for functions that no longer exist"
    misnamed = {name for name in readers if STATE_CHANGING.match(name.split(".", 1)[1])}
    assert not misnamed, f"these names say they change state, so they cannot be readers: {misnamed}"
    assert set(OWN_TRANSACTION) <= audited


def _audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


CASES = [pytest.param(name, i, id=f"{name}#{i}") for name, setups in SCENARIOS.items() for i in range(len(setups))]


@pytest.mark.parametrize(("name", "index"), CASES)
def test_the_operation_writes_an_audit_event_in_its_own_transaction(ctx, name, index):
    act = SCENARIOS[name][index]()
    db.session.commit()
    before = _audit_count()
    db.session.rollback()  # the operation starts with no transaction open, as in a request

    act()
    if name in OWN_TRANSACTION:
        db.session.rollback()
        assert _audit_count() > before, f"{name} wrote no audit event"
        return
    assert _audit_count() > before, f"{name} wrote no audit event"
    # Rolling the operation back takes its audit events with it: they were in the same transaction.
    db.session.rollback()
    assert _audit_count() == before
