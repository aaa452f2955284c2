"""Grants members record in delivery: the values' rules (the issue's bad values), audit, optimistic locking,
one organisation never seeing or changing another's, and closing delivery."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Grant
from app.services import grants, outcomes
from app.services.errors import InvalidTransition, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from tests.delivery.helpers import GRANT, grant_by, submitted_bid, won_bid


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Grant))


def test_a_member_records_a_grant_audited_with_the_split_defaulting_to_match_funding(ctx):
    bid, users = won_bid(1)
    grant = grant_by(users[0], bid)
    assert (grant.amount_pence, grant.match_pence, grant.funder_pence) == (500_000, 500_000, 0)
    assert grant.recipient_key == "ancoats community garden" and len(grant.reference) == 16
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "grant.created")).one()
    assert event.after["amount_pence"] == 500_000 and event.organisation_id == users[0].organisation_id


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"recipient_name": ""}, "recipient_name", "Enter the recipient's name."),
        ({"recipient_name": None}, "recipient_name", "Enter the recipient's name."),
        ({"amount_pence": "5,000"}, "amount_pence", "whole number of pence"),
        ({"amount_pence": 0}, "amount_pence", "more than £0"),
        ({"award_date": "02/11/2020"}, "award_date", "as a date, e.g. 2026-03-31"),
        ({"location_gss": "E10000002"}, "location_gss", "cannot say what kind of place"),
        ({"location_gss": "X08000003"}, "location_gss", "a letter E, N, S or W and eight digits"),
        ({"location_gss": "E08000003", "location_name": ""}, "location_name", "name of the place"),
        ({"recipient_company_number": 1234567}, "recipient_company_number", "leading zeros kept"),
        ({"recipient_company_number": "1234"}, "recipient_company_number", "does not look like a company number"),
        ({"recipient_charity_number": "12"}, "recipient_charity_number", "does not look like a charity number"),
        ({"recipient_identifier": "GB-XYZ-1"}, "recipient_identifier", "org-id form"),
        ({"description": "Ask jo.bloggs@example.org for details"}, "description", "jo.bloggs@example.org"),
        ({"title": "Line\nbreak"}, "title", ""),
        ({"funder_pence": 600_000}, "match_pence", "add up to the amount"),
        ({"funder_pence": 100, "match_pence": 100}, "match_pence", "add up to the amount"),
        ({"planned_end": date(2026, 1, 1)}, "planned_end", "before the planned start"),
        ({"region": "XX"}, "region", "twelve regions"),
    ],
)
def test_bad_values_are_refused_with_a_message_and_nothing_is_saved(ctx, values, field, message):
    bid, users = won_bid(1)
    with pytest.raises(ValidationFailed) as refused:
        grants.create_grant(users[0], bid, {**GRANT, **values})
    assert field in refused.value.errors, refused.value.errors
    assert message in " ".join(refused.value.errors[field])
    assert _count() == 0


def test_leading_zeros_are_kept_and_unregistered_groups_need_no_number(ctx):
    bid, users = won_bid(1)
    company = grant_by(users[0], bid, recipient_company_number="01234567")
    charity = grant_by(users[0], bid, recipient_charity_number="0123456")
    small = grant_by(users[0], bid, recipient_name="Tuesday Knit and Natter", location_gss=None, location_name="")
    assert company.recipient_company_number == "01234567" and charity.recipient_charity_number == "0123456"
    assert small.recipient_charity_number is None and small.location_gss is None


def test_edit_is_audited_and_a_stale_version_is_refused(ctx):
    bid, users = won_bid(1)
    grant = grant_by(users[0], bid)
    grants.update_grant(users[0], bid, grant, {"amount_pence": 750_000, "funder_pence": 250_000}, expected_version=1)
    assert (grant.amount_pence, grant.funder_pence, grant.match_pence, grant.version) == (750_000, 250_000, 500_000, 2)
    edited = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "grant.edited")).one()
    assert edited.before["amount_pence"] == 500_000 and edited.after["amount_pence"] == 750_000
    with pytest.raises(StaleVersion):
        grants.update_grant(users[0], bid, grant, {"title": "Late"}, expected_version=1)
    with pytest.raises(ValidationFailed):
        grants.update_grant(users[0], bid, grant, {"amount_pence": "5,000"})
    assert grant.amount_pence == 750_000 and grant.title == GRANT["title"]


def test_delete_is_audited_with_the_last_values(ctx):
    bid, users = won_bid(1)
    grant = grant_by(users[0], bid)
    grants.delete_grant(users[0], bid, grant, expected_version=1)
    assert _count() == 0
    deleted = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "grant.deleted")).one()
    assert deleted.before["recipient_name"] == "Ancoats Community Garden"


def test_another_organisations_grant_is_not_found_and_cannot_be_changed(ctx):
    bid, (a, b) = won_bid(2)
    grant = grant_by(a, bid)
    with pytest.raises(NotFound):
        grants.get_grant(b, bid, grant.id)
    with pytest.raises(NotFound):
        grants.update_grant(b, bid, grant, {"title": "Mine now"})
    with pytest.raises(NotFound):
        grants.delete_grant(b, bid, grant)
    assert grants.list_grants(b, bid) == [] and grants.list_grants(a, bid) == [grant]
    assert grants.list_grants(bid.created_by, bid) == [grant]  # the convenors read every grant
    with pytest.raises(PermissionDenied):
        grants.create_grant(bid.created_by, bid, GRANT)


def test_grants_only_in_a_won_bid_and_until_delivery_closes(ctx):
    bid, users = submitted_bid(1)
    with pytest.raises(InvalidTransition):
        grants.create_grant(users[0], bid, GRANT)
    outcomes.record_outcome(
        bid.created_by, bid, {"result": "won", "amount_awarded_pence": 1, "award_date": date(2026, 12, 1)}
    )
    grant = grant_by(users[0], bid)
    outcomes.set_delivery_open(bid.created_by, bid, open_=False)
    for attempt in (
        lambda: grants.create_grant(users[0], bid, GRANT),
        lambda: grants.update_grant(users[0], bid, grant, {"title": "Changed"}),
        lambda: grants.delete_grant(users[0], bid, grant),
    ):
        with pytest.raises(InvalidTransition, match="Delivery is closed"):
            attempt()
    assert [e for e in db.session.scalars(sa.select(AuditEvent.action)) if e.startswith("delivery.")] == [
        "delivery.closed"
    ]


def test_recipients_are_flagged_as_possible_duplicates_by_the_directory_s_name_key(ctx):
    from app.services import delivery
    from app.services.directory_names import duplicate_key

    bid, users = won_bid(3)
    a = grant_by(users[0], bid, recipient_name="Hulme Youth Club Ltd")
    grant_by(users[1], bid, recipient_name="hulme youth club limited", recipient_charity_number="1123456")
    grant_by(users[2], bid, recipient_name="Grŵp Cymunedol")
    grant_by(users[0], bid, recipient_name="Grwp Cymunedol")
    grant_by(users[1], bid, recipient_name="St Mungo’s Garden")
    grant_by(users[2], bid, recipient_name="St Mungos Garden")
    assert a.recipient_key == duplicate_key("Hulme Youth Club Ltd") == "hulme youth club"
    found = delivery.summary(bid.created_by, bid)["possible_duplicates"]
    by_key = {(d["key"], d["look_alike"]): d for d in found}
    hulme = by_key[("hulme youth club", False)]
    assert hulme["names"] == ["Hulme Youth Club Ltd", "hulme youth club limited"] and hulme["identities"] == 2
    assert by_key[("st mungos garden", False)]["names"] == ["St Mungos Garden", "St Mungo’s Garden"]
    welsh = by_key[("grwp cymunedol", True)]  # alike only once the accents are folded: a warning
    assert welsh["names"] == ["Grwp Cymunedol", "Grŵp Cymunedol"]
    assert ("grŵp cymunedol", False) not in by_key and len(found) == 3
    member = delivery.summary(users[0], bid)
    assert "possible_duplicates" not in member
