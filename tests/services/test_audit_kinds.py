"""Every audit action recorded anywhere in the code has a sentence for people (app.services.audit_kinds), and the
sentences name who and which organisation in plain English: UK times, pounds, region names, plans in words."""

from __future__ import annotations

import ast
import pathlib

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.services import audit_kinds
from app.services.audit_kinds import Entry
from tests.pdfs import clean_storage
from tests.services.test_audit_completeness import SCENARIOS

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)

APP = pathlib.Path(__file__).resolve().parents[2] / "app"


def _recorded_actions() -> tuple[set[str], set[str]]:
    """Literal actions passed to ``audit.record`` anywhere under app/, and the fixed prefixes of f-string ones."""
    literals, prefixes = set(), set()

    def collect(node) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            literals.add(node.value)
        elif isinstance(node, ast.IfExp):
            collect(node.body)
            collect(node.orelse)
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            prefixes.add(node.values[0].value)

    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
                and node.args
            ):
                collect(node.args[0])
            # helpers that pass an action through (invitations._issue_link(actor, bid, invitation, "invitation.sent"))
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_issue_link", "send_invitation")
            ):
                collect(node.args[3])
    return literals, prefixes


def test_every_literal_action_in_the_code_has_a_sentence():
    literals, prefixes = _recorded_actions()
    assert len(literals) > 20, "the scan found the record calls"
    missing = sorted(a for a in literals if "." in a and a not in audit_kinds.KINDS)
    assert not missing, f"declare a sentence with audit_kinds.declare for: {missing}"
    for prefix in prefixes:
        assert any(kind.startswith(prefix) for kind in audit_kinds.KINDS), f"no kind declared for {prefix}…"


def test_every_action_the_services_write_has_a_sentence(ctx):
    """Runs every audited operation (the completeness test's scenarios, which every new service function must
    join) and checks each action it wrote, including those built at run time (``bid.{verb}``)."""
    written = set()
    for setups in SCENARIOS.values():
        for setup in setups:
            act = setup()
            db.session.flush()
            act()
            db.session.flush()
            written |= set(db.session.scalars(sa.select(AuditEvent.action).distinct()))
            db.session.rollback()
    assert {"bid.closed", "pledge.withdrawn", "join_request.approved"} <= written
    # "test.recorded" is the scenario for audit.record itself
    missing = sorted(written - set(audit_kinds.KINDS) - {"test.recorded"})
    assert not missing, f"declare a sentence with audit_kinds.declare for: {missing}"


def test_an_undeclared_kind_still_reads_as_words():
    entry = Entry("grant.recorded_twice", "Alex Jones (Riverside Homes)", "Riverside Homes")
    assert audit_kinds.describe(entry) == "Alex Jones (Riverside Homes): grant recorded twice (Riverside Homes)."
    assert audit_kinds.title("grant.recorded_twice") == "Grant recorded twice"


def test_values_in_words():
    assert audit_kinds.in_words("deadline", "2026-12-14T17:00:00+00:00") == "5pm on Monday 14 December 2026"
    assert audit_kinds.in_words("deadline", "2026-07-14T11:00:00+00:00") == "midday on Tuesday 14 July 2026"
    assert audit_kinds.in_words("amount_pence", 25_000_000) == "£250,000"
    assert audit_kinds.in_words("regions", ["NI", "NW"]) == "North West, Northern Ireland"
    assert audit_kinds.plan_in_words([120, 10080, 2880]) == "7 days, 2 days and 2 hours before the deadline"
    assert audit_kinds.in_words("plan", []) == "no reminders"


@pytest.mark.parametrize(
    ("entry", "sentence"),
    [
        (
            Entry(
                "bid.extended",
                "Alex Jones (NHC)",
                before={"deadline": "2026-12-14T17:00:00+00:00"},
                after={"deadline": "2026-12-21T12:00:00+00:00"},
            ),
            "Alex Jones (NHC) moved the deadline from 5pm on Monday 14 December 2026 to midday on Monday 21 December"
            " 2026.",
        ),
        (
            Entry("bid.reminder_plan", "Alex Jones (NHC)", before={"plan": [10080, 4320, 120]}, after={"plan": [120]}),
            "Alex Jones (NHC) changed the reminder plan from 7 days, 3 days and 2 hours before the deadline to 2 hours"
            " before the deadline.",
        ),
        (
            Entry(
                "pledge.created",
                "Sam Lee (Riverside Homes)",
                "Riverside Homes",
                after={"amount_pence": 25_000_000, "homes": 12_400, "regions": ["NI"], "status": "indicative"},
            ),
            "Sam Lee (Riverside Homes) made Riverside Homes' pledge of £250,000 covering 12,400 homes in Northern"
            " Ireland (indicative).",
        ),
        (
            Entry(
                "pledge.amended",
                "Sam Lee (Riverside Homes)",
                "Riverside Homes",
                before={"amount_pence": 100, "homes": 5, "regions": ["NI"], "status": "confirmed"},
                after={"amount_pence": 200, "homes": 5, "regions": ["NI", "WAL"], "status": "confirmed"},
            ),
            "Sam Lee (Riverside Homes) changed Riverside Homes' pledge: amount from £1 to £2 and regions from"
            " Northern Ireland to Wales, Northern Ireland.",
        ),
        (
            Entry(
                "invitation.declined",
                "The invitation link for Riverside Homes",
                "Riverside Homes",
                after={"status": "declined", "reason": "Not this year"},
            ),
            'The invitation link for Riverside Homes declined the invitation for Riverside Homes, saying "Not this'
            ' year".',
        ),
        (
            Entry(
                "reminder.manual", "Alex Jones (NHC)", after={"group": "not_pledged", "sent": 3, "slot": "manual:6d"}
            ),
            "Alex Jones (NHC) sent 3 reminders by hand to every member organisation with no pledge.",
        ),
        (
            Entry("bid.closed", "The system", after={"status": "closed", "reason": "deadline"}),
            "The bid closed at its deadline.",
        ),
    ],
)
def test_sentences(entry, sentence):
    assert audit_kinds.describe(entry) == sentence
