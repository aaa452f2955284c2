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
from app.infra import clock
from app.models import AuditEvent, BidStatus, OrganisationKind, Role
from app.services import (
    acceptance,
    api_tokens,
    audit,
    bids,
    body,
    digest,
    funder,
    invitations,
    join_requests,
    letters,
    packs,
    pledges,
    profiles,
    reminder_plan,
    reminders,
    scheduling,
    users,
)
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
    "audit.emit": "writes the live event log (bid_events); every caller also records the change with audit.record",
    "digest.send_due": "the daily digest email run: each message is its own outbox row; nothing in a bid changes",
    "funder.open_link": "checks a funder link's token and reads; the view logs the visit with record_access",
    "funder.record_access": "is itself the log of a funder link's use (funder_link_accesses, shown to the convenor)",
    "notices.bid_closed": "emails queued inside close_bid, whose transaction records bid.closed",
    "notices.deadline_changed": "emails queued inside extend_deadline, whose transaction records the change",
    "notices.claim_convenor": "the once-only claim row of a notice email (reminder_sends), inside an audited change",
    "reminders.send_due": "automatic reminders: each send is a reminder_sends row, the ledger the history page shows",
    "reminders.claim": "the claim row of a reminder send (reminder_sends) is its record",
    "scheduling.drain_outbox": "sends queued email; the outbox row's status, attempts and error are its record",
    "scheduling.run_sweep": "runs close_due_bids, reminders.send_due, digest.send_due and drain_outbox (covered here)",
}

READERS = {
    "event_kinds": "convenor_only_kinds declare describe",
    "snapshots": "audience_for audience_now events_after latest_event_id pledged_series project recent_events snapshot "
    "value_at visible_event",
    "access": "can_view_bid get_bid_for_convenor get_bid_for_member get_bid_for_viewer is_bid_convenor is_bid_member "
    "member_organisation_joined visible_bids",
    "api_tokens": "tokens_for",
    "audit": "events_for_bid export_csv",
    "bids": "validate_bid_values",
    "body": "check_logo contrast_with_white get_body identity_of logo_path pack_body read_logo",
    "digest": "build describe_event",
    "disclosure": "as_released hides_amounts_from released totals_for",
    "errors": "require",
    "funder": "accesses_for letter_in_pack link_state links_for",
    "invitation_rows": "parse_rows",
    "invitations": "display_state get_for_convenor list_for_bid read_token",
    "join_requests": "awaiting_for_bid get_for_manager pending_for requests_for_manager",
    "letters": "can_read check_pdf clean_filename current_letter download_name get_current_for_pledge get_letter "
    "letters_for live_pledge read_content size_text storage_path",
    "notices": "convenors_of",
    "packs": "build_documents compare download_name figures_of get_pack history pack_dir packs_for prepare_pack "
    "read_file regions timeline",
    "pledges": "check_open current_pledge revisions_for validate",
    "profiles": "can_edit_profile check_homes_owned check_identifier check_organisation_name check_regions "
    "check_unique normalise_website profile_values",
    "reminder_plan": "as_text deadline_key describe due_slots parse_plan skip_reason skip_reason_basic slot_key "
    "validate_minutes",
    "reminder_history": "history",
    "reminders": "candidates manual_targets new_send_id",
    "scheduling": "upcoming_closes",
    "totals": "compute member_rows not_yet_pledged split_evenly thresholds",
    "users": "check_login has_people is_known_contact load_session_user lookalike_organisation lookalike_user_email "
    "managers_of normalise_email organisation_values password_problems person_name",
}

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
    return invitations.reissue_link(invitation).rsplit("/", 1)[1]


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


SCENARIOS: dict[str, list[Setup]] = {
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
    "bids.mark_submitted": [
        lambda: (lambda b: lambda: bids.mark_submitted(b.created_by, b))(BidFactory(status=BidStatus.CLOSED))
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
    "invitations.reissue_link": [lambda: (lambda i: lambda: invitations.reissue_link(i))(InvitationFactory())],
    "invitations.reissue_links": [
        lambda: (lambda i: lambda: invitations.reissue_links(i.bid, [i.id]))(InvitationFactory())
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
