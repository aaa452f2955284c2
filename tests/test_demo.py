"""The demo: its figures and logins, and a history whose rows are exactly what the services write."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.demo import CONVENOR_EMAIL, DECLINED, DEMO_PASSWORD, FORMER_EMAIL, MEMBER_EMAIL, NOT_ANSWERED, seed_demo
from app.extensions import db
from app.infra import clock
from app.models import (
    AuditEvent,
    Bid,
    BidEvent,
    BidStatus,
    EmailMessage,
    EmailStatus,
    Invitation,
    InvitationStatus,
    Pledge,
    PledgeRevision,
    User,
)
from app.services import invitations, pledges

REFERENCE_ORG = {"name": "Reference Homes", "identifier": "GB-SHPE-L0026", "homes_owned": 900, "regions": ["NW"]}
VALUES = {
    "amount_pence": 5_000_000,
    "homes": 800,
    "regions": ["NW"],
    "statement": "Grants.",
    "status": "indicative",
    "accept_terms": True,
}


def _keys(value: dict | None):
    return None if value is None else tuple(sorted(value))


def _audit_shapes(rows):
    shapes: dict[str, set] = {}
    for r in rows:
        shapes.setdefault(r.action, set()).add(
            (r.subject_type, r.actor_id is None, r.organisation_id is None, _keys(r.before), _keys(r.after))
        )
    return shapes


def _event_shapes(rows):
    shapes: dict[str, set] = {}
    for r in rows:
        shapes.setdefault(r.kind, set()).add((r.organisation_id is None, _keys(r.payload)))
    return shapes


def _revision_shapes(rows):
    shapes: dict[str, set] = {}
    for r in rows:
        shapes.setdefault(r.action, set()).add((_keys(r.before), _keys(r.after)))
    return shapes


def _token(outbox) -> str:
    return outbox[-1].body.split("/invitations/")[1].split()[0]


def _rows(model, after_id: int | None = None, upto: int | None = None):
    stmt = sa.select(model).order_by(model.id)
    if after_id is not None:
        stmt = stmt.where(model.id > after_id)
    if upto is not None:
        stmt = stmt.where(model.id <= upto)
    return db.session.scalars(stmt).all()


def _last_id(model) -> int:
    return db.session.scalar(sa.select(sa.func.max(model.id))) or 0


def test_demo_audit_rows_events_and_revisions_are_what_the_services_write(ctx, outbox):
    seed_demo()
    db.session.commit()
    assert outbox == []  # the demo's emails are history: recorded as sent, never sent again
    demo_last = {m: _last_id(m) for m in (AuditEvent, BidEvent, PledgeRevision)}
    bid = db.session.scalar(sa.select(Bid).where(Bid.status == BidStatus.OPEN))
    convenor = db.session.scalar(sa.select(User).where(User.email == CONVENOR_EMAIL))

    # The same steps, through the services directly: an invitation accepted, a pledge made, confirmed and
    # amended; another invitation declined.
    invitations.invite(convenor, bid, "Reference Homes", "ref@reference.example.org")
    invitations.invite(convenor, bid, "Declining Homes", "no@declining.example.org")
    db.session.commit()
    invitations.decline(_token(outbox), "Not this year.")
    db.session.commit()
    user = invitations.accept_new_user(
        _token(outbox[:1]),
        name="Ria",
        password="a-long-passphrase",
        organisation=REFERENCE_ORG,
    )
    pledges.save_pledge(user, bid, VALUES, expected_version=0)
    pledges.save_pledge(user, bid, {**VALUES, "status": "confirmed"}, expected_version=1)
    pledges.save_pledge(user, bid, {**VALUES, "status": "confirmed", "amount_pence": 6_000_000}, expected_version=2)
    db.session.commit()

    # The colleague who joined the first member and left is the team's story, not the consortium's: set aside.
    former = db.session.scalar(sa.select(User).where(User.email == FORMER_EMAIL))
    demo_audit = [
        r
        for r in _rows(AuditEvent, upto=demo_last[AuditEvent])
        if not (r.subject_type == "User" and r.subject_id == former.id)
    ]
    service_audit = _rows(AuditEvent, after_id=demo_last[AuditEvent])
    demo_shapes, service_shapes = _audit_shapes(demo_audit), _audit_shapes(service_audit)
    for action in service_shapes:
        assert demo_shapes.get(action) == service_shapes[action], action
    assert {
        "pledge.created",
        "pledge.confirmed",
        "pledge.amended",
        "invitation.sent",
        "invitation.accepted",
        "invitation.declined",
    } <= set(demo_shapes)

    demo_events = _rows(BidEvent, upto=demo_last[BidEvent])
    service_events = _event_shapes(_rows(BidEvent, after_id=demo_last[BidEvent]))
    for kind, shapes in _event_shapes(demo_events).items():
        if kind in service_events:
            assert shapes == service_events[kind], kind
    assert {"pledge.created", "pledge.confirmed", "pledge.amended", "invitation.accepted"} <= set(service_events)
    demo_revisions = _rows(PledgeRevision, upto=demo_last[PledgeRevision])
    service_revisions = _revision_shapes(_rows(PledgeRevision, after_id=demo_last[PledgeRevision]))
    assert _revision_shapes(demo_revisions) == service_revisions

    # Each demo revision has its audit row and live event, with the same values at the same moment.
    audit_by_key = {(r.subject_id, r.action, r.created_at): r for r in demo_audit if r.subject_type == "Pledge"}
    events = [e for e in demo_events if e.kind.startswith("pledge.")]
    assert len(events) == len(demo_revisions) == len(audit_by_key)
    for revision, event in zip(sorted(demo_revisions, key=lambda r: r.created_at), events, strict=True):
        row = audit_by_key[(revision.pledge_id, f"pledge.{revision.action}", revision.created_at)]
        assert (row.before, row.after) == (revision.before, revision.after)
        assert event.created_at == revision.created_at and event.kind == f"pledge.{revision.action}"
        assert event.payload["previous_amount_pence"] == (revision.before or {}).get("amount_pence")
        assert event.payload["previous_status"] == (revision.before or {}).get("status")
        assert event.payload["amount_pence"] == revision.after["amount_pence"]


def test_demo_history_runs_in_time_order_over_the_bids_two_weeks(ctx):
    seeded_at = clock.now()
    seed_demo()
    db.session.commit()
    bid = db.session.scalar(sa.select(Bid).where(Bid.status == BidStatus.OPEN))
    assert timedelta(days=14) <= bid.deadline - bid.opened_at <= timedelta(days=15)
    events = db.session.scalars(sa.select(BidEvent).order_by(BidEvent.id)).all()
    stamps = [e.created_at for e in events]
    assert stamps == sorted(stamps) and bid.opened_at <= stamps[0] and stamps[-1] <= seeded_at
    revisions = db.session.scalars(sa.select(PledgeRevision)).all()
    assert len({r.created_at.date() for r in revisions}) >= 7  # spread over the days, not all at once
    accepted = {i.organisation_id: i.responded_at for i in db.session.scalars(sa.select(Invitation))}
    for revision in revisions:
        assert accepted[revision.organisation_id] < revision.created_at <= seeded_at
    pledge_rows = db.session.scalars(sa.select(Pledge)).all()
    assert all(p.updated_at == max(r.created_at for r in revisions if r.pledge_id == p.id) for p in pledge_rows)
    emails = db.session.scalars(sa.select(EmailMessage)).all()
    assert emails and all(e.status == EmailStatus.SENT and e.sent_at == e.created_at <= seeded_at for e in emails)


def test_demo_seed_command_builds_the_figures_and_prints_the_logins(app, runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == [
        "Demo loaded: Community Housing Alliance with an open bid of 39 members, 1,104,000 homes and "
        "£6,250,000 pledged, plus a draft bid.",
        f"  Convenor login: {CONVENOR_EMAIL} / {DEMO_PASSWORD}",
        f"  Member login:   {MEMBER_EMAIL} / {DEMO_PASSWORD}  (Riverside Homes)",
    ]
    assert lines[3].startswith("  Impact returns: “Community response measures”, 6 periods from ") and len(lines) == 4
    with app.app_context():
        bid = db.session.scalar(sa.select(Bid).where(Bid.status == BidStatus.OPEN))
        live = db.session.scalars(sa.select(Pledge).where(Pledge.bid_id == bid.id)).all()
        assert len(live) == 39
        assert sum(p.amount_pence for p in live) == 625_000_000 and sum(p.homes for p in live) == 1_104_000
        assert sorted({str(p.status) for p in live}) == ["confirmed", "indicative"]
        states = {i.organisation_name: i.status for i in db.session.scalars(sa.select(Invitation))}
        assert [n for n, s in states.items() if s == InvitationStatus.SENT] == NOT_ANSWERED
        assert [n for n, s in states.items() if s == InvitationStatus.DECLINED] == [DECLINED]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid).where(Bid.status == BidStatus.DRAFT)) == 1
        for email in (CONVENOR_EMAIL, MEMBER_EMAIL):
            assert db.session.scalar(sa.select(User).where(User.email == email)).check_password(DEMO_PASSWORD)
        accounts = db.session.scalars(sa.select(User).where(User.is_enabled)).all()
        assert len(accounts) == 40 and all(u.is_manager for u in accounts)  # each organisation's only, first user
        # and one colleague of the first member who has left: removed, not yet erased (README: flask users erase)
        former = db.session.scalar(sa.select(User).where(User.email == FORMER_EMAIL))
        assert former.organisation.name == "Riverside Homes" and not former.is_enabled and not former.is_manager
        db.session.remove()


def test_a_second_demo_seed_refuses_when_asked_to_load_only_into_an_empty_database(app, runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.output.strip() == "The database already has data; demo not loaded."
