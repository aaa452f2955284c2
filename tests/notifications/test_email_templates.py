"""Every email template, in each of its variants: the first line after the greeting says which bid it is about,
the subject does too (app.notifications.render sees to it), and the plain-text and HTML parts give the same facts
(amounts, counts, times and links)."""

from __future__ import annotations

import html
import pathlib
import re
from datetime import UTC, datetime
from types import SimpleNamespace as NS

import pytest

from app import notifications

TEMPLATES = pathlib.Path(__file__).resolve().parents[2] / "templates" / "email"
DEADLINE = datetime(2026, 12, 14, 17, 0, tzinfo=UTC)
BODY = NS(name="Community Housing Alliance")
BID = NS(
    id=7,
    title="Celtic Nations Match Fund",
    deadline=DEADLINE,
    funder_name="Department for Communities",
    scheme="Community Match Fund",
    organisation=BODY,
    target_pence=600_000_000,
    target_homes=1_100_000,
    min_pledge_pence=5_000_000,
)
USER = NS(name="Sam Lee", email="sam@riverside.example")
THRESHOLD = NS(label="Minimum total match funding", required="£5,000,000", actual="£3,250,000", met=False)
TOTALS = NS(
    pledged_pence=325_000_000,
    target_pence=600_000_000,
    percent=54,
    homes=1_104_000,
    members_pledged=39,
    confirmed_members=26,
    confirmed_pence=227_500_000,
    indicative_pence=97_500_000,
    thresholds=[THRESHOLD],
)
PLEDGE = NS(id=12, version=3, amount_pence=25_000_000, homes=12_400, status="confirmed", regions=["NW", "NI"])
ORG = NS(name="Riverside Homes")
REQUEST = NS(
    name="Alex Jones",
    email="alex@riverside.example",
    organisation=ORG,
    invitation=NS(organisation_name="Riverside Homes Ltd"),
)
COMMON = {
    "user": USER,
    "link": "/bids/7",
    "left": "12 days",
    "convening_body": BODY.name,
    "organisation_name": "Riverside Homes",
}
VARIANTS = {
    "bid_closed_convenor": [{"totals": TOTALS, "early": True}, {"totals": TOTALS, "early": False}],
    "bid_closed_member": [
        {"pledge": PLEDGE, "withdrawn": False, "early": True},
        {"pledge": None, "withdrawn": True, "early": False},
        {"pledge": None, "withdrawn": False, "early": False},
    ],
    "deadline_changed": [
        {"name": "Sam Lee", "reopened": False, "previous": datetime(2026, 12, 7, 12, 0, tzinfo=UTC), "invitee": True},
        {"name": None, "reopened": True, "previous": datetime(2026, 12, 7, 12, 0, tzinfo=UTC), "invitee": False},
    ],
    "digest": [
        {
            "digest": NS(
                changes=["Riverside Homes pledged £250,000 (confirmed)"],
                more_changes=2,
                figures=TOTALS,
                gap_pence=275_000_000,
                not_answered=["Glen Housing"],
                expired=1,
            ),
            "account_link": "/account",
        },
        {
            "digest": NS(changes=[], more_changes=0, figures=TOTALS, gap_pence=0, not_answered=[], expired=0),
            "account_link": "/account",
        },
    ],
    "funder_link": [
        {
            "link": NS(name="Priya Patel", expires_at=DEADLINE, email="p@funder.example"),
            "pack": NS(
                version=2,
                created_at=DEADLINE,
                figures={"total_pence": 625_000_000, "members": 39, "homes": 1_104_000},
            ),
            "path": "/f/token",
            "sender": USER,
        }
    ],
    "invitation": [
        {
            "invitation": NS(organisation_name="Riverside Homes", expires_at=DEADLINE, invited_by=USER),
            "contact": USER,
            "message": message,
        }
        for message in ("", "We would love you to join.\n\nDo call me.")
    ],
    "join_decided": [{"approved": True, "request": REQUEST}, {"approved": False, "request": REQUEST}],
    "join_request": [{"request": REQUEST, "organisation": ORG, "manager": USER}],
    "pledge_receipt": [{"pledge": PLEDGE, "action": "created"}, {"pledge": PLEDGE, "action": "withdrawn"}],
    "outcome": [
        {
            "name": "Sam Lee",
            "corrected": corrected,
            "awarded": "£5,000,000",
            "outcome": NS(
                result="won",
                award_date=datetime(2026, 12, 20, tzinfo=UTC).date(),
                grant_reference="CMF-0042",
                spend_by=datetime(2027, 12, 31, tzinfo=UTC).date(),
                reason=None,
            ),
        }
        for corrected in (False, True)
    ]
    + [
        {
            "name": None,
            "corrected": False,
            "awarded": "£0",
            "outcome": NS(
                result="lost", award_date=None, grant_reference=None, spend_by=None, reason="Oversubscribed."
            ),
        }
    ],
    "grants_due": [
        {
            "name": "Sam Lee",
            "organisation_name": "Riverside Homes",
            "due": datetime(2027, 3, 31, tzinfo=UTC).date(),
        }
    ],
    "reminder": [
        {"reminder_kind": kind, "name": "Sam Lee", "message": message, "amount_pence": 25_000_000}
        for kind in ("not_responded", "member", "confirm", "not_pledged")
        for message in ("", "Please pledge by Friday.\n\nThank you.")
    ],
}
PROGRAMME = NS(title="COVID-19 community response measures")
#: emails not about a bid (a person's account, impact returns): their parts must agree all the same
ACCOUNT_VARIANTS = {
    "return_reminder": [
        {
            "name": name,
            "overdue": overdue,
            "programme": PROGRAMME,
            "period": NS(key="2026-09"),
            "due": "15 October 2026",
            "link": "/programmes/1/periods/2026-09/return",
        }
        for name, overdue in (("Sam Lee", False), (None, True))
    ],
    "return_summary": [
        {
            "name": "Sam Lee",
            "programme": PROGRAMME,
            "span": "March to June 2026",
            "link": "/s/token",
            "expires_at": DEADLINE,
        },
        {"name": None, "programme": PROGRAMME, "span": "2026-09", "link": "/s/token", "expires_at": DEADLINE},
    ],
    "password_reset": [{"name": "Sam Lee", "link": "/reset/token", "minutes": 60}],
    "password_changed": [{"name": "Sam Lee", "link": "/reset"}],
    "email_change_confirm": [
        {
            "name": "Sam Lee",
            "link": "/account/email/token",
            "hours": 24,
            "new_email": "n@x.example",
            "old_email": "o@x.example",
        }
    ],
    "email_change_notice": [
        {"name": "Sam Lee", "link": "/reset", "new_email": "n@x.example", "old_email": "o@x.example"}
    ],
    "colleague_invitation": [
        {"inviter": "Sam Lee", "organisation": "Riverside Homes", "link": "/team/join/t", "days": 7}
    ],
}
ACCOUNT_CASES = [
    pytest.param(kind, i, id=f"{kind}-{i}") for kind, variants in ACCOUNT_VARIANTS.items() for i in range(len(variants))
]
CASES = [pytest.param(kind, i, id=f"{kind}-{i}") for kind, variants in VARIANTS.items() for i in range(len(variants))]

GREETING = re.compile(r"^(Hello|Dear)\b")
FACTS = re.compile(
    r"£\d[\d,]*\d(?:\.\d\d)?|£\d|\b\d{1,3}(?:,\d{3})+\b|\b\d{1,2}(?::\d\d)?[ap]m\b|\bmidday\b|\bmidnight\b|https?://[^\s\"'<>)]+"
)


def test_every_template_has_variants_here():
    kinds = {p.stem for p in TEMPLATES.glob("*.txt") if not p.name.startswith("_")}
    assert kinds == set(VARIANTS) | set(ACCOUNT_VARIANTS), "add the new email template's variants to VARIANTS"
    assert kinds == {p.stem for p in TEMPLATES.glob("*.html")}, "every email has a plain-text and an HTML part"


def _render(app, kind, index, subject="Something happened"):
    with app.test_request_context():
        return notifications.render("to@example.org", kind, subject, BID, **{**COMMON, **VARIANTS[kind][index]})


def _paragraphs_text(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _html_text(markup: str) -> str:
    links = " ".join(re.findall(r'href="([^"]+)"', markup))
    return html.unescape(re.sub(r"<[^>]+>", " ", markup)) + " " + html.unescape(links)


@pytest.mark.parametrize(("kind", "index"), CASES)
def test_the_first_line_names_the_bid(app, kind, index):
    message = _render(app, kind, index)
    first = next(p for p in _paragraphs_text(message.body_text) if not GREETING.match(p))
    assert BID.title in first, f"{kind}: the first line does not name the bid: {first!r}"
    paragraphs = [p for p in re.findall(r"<p>(.*?)</p>", message.body_html, flags=re.S) if not GREETING.match(p)]
    assert BID.title in html.unescape(paragraphs[0]), f"{kind} (HTML): {paragraphs[0]!r}"


@pytest.mark.parametrize(("kind", "index"), CASES)
def test_the_plain_text_and_html_parts_agree(app, kind, index):
    message = _render(app, kind, index)
    text_facts = set(FACTS.findall(message.body_text))
    html_facts = set(FACTS.findall(_html_text(message.body_html)))
    assert text_facts == html_facts, (
        f"{kind}: only in the text {sorted(text_facts - html_facts)}; "
        f"only in the HTML {sorted(html_facts - text_facts)}"
    )
    assert BID.title in message.body_text and BID.title in html.unescape(message.body_html)


def test_a_subject_that_does_not_name_the_bid_gets_it(app):
    assert _render(app, "invitation", 0, "You are invited").subject == f"You are invited – {BID.title}"
    named = _render(app, "invitation", 0, f"Invitation to pledge: {BID.title}")
    assert named.subject == f"Invitation to pledge: {BID.title}"


@pytest.mark.parametrize(("kind", "index"), ACCOUNT_CASES)
def test_the_parts_of_an_account_email_agree(app, kind, index):
    with app.test_request_context():
        message = notifications.render("to@example.org", kind, "Your account", **ACCOUNT_VARIANTS[kind][index])
    text_facts = set(FACTS.findall(message.body_text))
    assert text_facts, f"{kind}: the text gives no link or figure"
    assert text_facts == set(FACTS.findall(_html_text(message.body_html))), kind
    assert message.subject == "Your account"  # no bid, so nothing is added to the subject
