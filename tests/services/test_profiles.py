"""Organisation profiles: each field's rules, uniqueness, who may edit, the audit event, and frozen packs."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.models import AuditEvent, BidPack, Organisation
from app.services import packs, profiles
from app.services.errors import PermissionDenied, ValidationFailed
from tests.factories import ConvenorFactory, OrganisationFactory, UserFactory
from tests.packdata import populated_bid
from tests.pdfs import clean_storage


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("www.example.org", "https://www.example.org"),
        ("  www.example.org/about  ", "https://www.example.org/about"),
        ("example.org.uk", "https://example.org.uk"),
        ("https://www.example.org", "https://www.example.org"),
        ("HTTP://Example.org/Path", "http://Example.org/Path"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_a_website_is_stored_with_its_scheme(typed, stored):
    assert profiles.normalise_website(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("northern example", "A website address cannot contain spaces."),
        ("localhost", "Enter a website address like www.example.org."),
        ("example.", "Enter a website address like www.example.org."),
        ("ftp://example.org", "The website address must start with https:// or http://."),
        ("javascript://example.org/%0aalert(1)", "The website address must start with https:// or http://."),
        ("https://user:pw@example.org", "A website address cannot contain a user name or password."),
        ("https://[::1", "Enter a website address like www.example.org."),
        ("www.example.org/" + "a" * 300, "The website address must be 300 characters or fewer."),
        (42, "Enter the website address as text, like www.example.org."),
    ],
)
def test_a_bad_website_gets_a_specific_message(typed, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        profiles.normalise_website(typed)


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (profiles.check_organisation_name, "", "Enter the organisation's name."),
        (profiles.check_organisation_name, "   ", "Enter the organisation's name."),
        (profiles.check_organisation_name, "x" * 201, "The name must be 200 characters or fewer."),
        (profiles.check_organisation_name, "=SUM(A1)", "cannot start with =, +, - or @"),
        (profiles.check_identifier, "GB-COH-12", "That does not look like a company"),
        (profiles.check_identifier, "12345", "Use the org-id form"),
        (profiles.check_identifier, 12345, "Enter the identifier as text"),
        (profiles.check_homes_owned, -1, "0 or more"),
        (profiles.check_homes_owned, 2.5, "whole number"),
        (profiles.check_homes_owned, True, "whole number"),
        (profiles.check_homes_owned, 50_000_001, "50,000,000 or fewer"),
        (profiles.check_regions, ["NW", "XX"], "Unknown region: XX."),
        (profiles.check_regions, "NW", "Choose the regions from the list."),
        (profiles.check_regions, [1], "Choose the regions from the list."),
    ],
)
def test_each_field_refuses_bad_values_with_a_specific_message(check, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check(value)


def test_profile_values_checks_only_the_fields_given_but_always_the_name():
    errors: dict[str, list[str]] = {}
    clean = profiles.profile_values({"website": "www.example.org"}, errors, prefix="org.")
    assert clean == {"website": "https://www.example.org"}
    assert errors == {"org.name": ["Enter the organisation's name."]}


def test_identifier_is_upper_cased_and_blank_is_none():
    assert profiles.check_identifier(" gb-shpe-l0026 ") == "GB-SHPE-L0026"
    assert profiles.check_identifier("") is None


@pytest.fixture
def manager(ctx):
    org = OrganisationFactory(name="Riverside Homes", website=None, identifier=None)
    user = UserFactory(organisation=org, is_manager=True)
    db.session.commit()
    return user


def _audit(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_a_manager_updates_the_profile_and_it_is_audited(manager):
    org = manager.organisation
    profiles.update_profile(
        manager,
        org,
        name="Riverside Housing Group",
        identifier="gb-shpe-l0026",
        homes_owned=12_400,
        regions=["YH", "NW", "NW"],
        website="www.riverside.example.org",
    )
    db.session.commit()
    db.session.expire_all()
    org = db.session.get(Organisation, org.id)
    assert org.name == "Riverside Housing Group"
    assert org.name_key == "riverside housing group"
    assert org.identifier == "GB-SHPE-L0026"
    assert org.homes_owned == 12_400
    assert org.regions == ["NW", "YH"]
    assert org.website == "https://www.riverside.example.org"
    [event] = _audit("organisation.profile_updated")
    assert event.actor_id == manager.id and event.organisation_id == org.id
    assert event.before["name"] == "Riverside Homes" and event.after["name"] == "Riverside Housing Group"
    assert event.after["website"] == "https://www.riverside.example.org"


def test_an_unchanged_value_writes_nothing(manager):
    profiles.update_profile(manager, manager.organisation, name="Riverside Homes", homes_owned=10_000)
    assert _audit("organisation.profile_updated") == []


def test_only_changed_fields_are_audited(manager):
    profiles.update_profile(manager, manager.organisation, name="Riverside Homes", homes_owned=11)
    [event] = _audit("organisation.profile_updated")
    assert event.before == {"homes_owned": 10_000} and event.after == {"homes_owned": 11}


def test_one_bad_value_changes_nothing(manager):
    org = manager.organisation
    with pytest.raises(ValidationFailed) as caught:
        profiles.update_profile(manager, org, name="New Name Homes", website="not a site", homes_owned=-3)
    assert caught.value.errors == {
        "website": ["A website address cannot contain spaces."],
        "homes_owned": ["Enter the number of homes owned as a whole number, 0 or more."],
    }
    db.session.rollback()
    org = db.session.get(Organisation, org.id)
    assert (org.name, org.homes_owned, org.website) == ("Riverside Homes", 10_000, None)
    assert _audit("organisation.profile_updated") == []


@pytest.mark.parametrize("taken", ["Northern Homes", "  northern   HOMES ", "N\u043erthern Homes"])  # last: Cyrillic о
def test_a_name_another_organisation_has_is_refused(manager, taken):
    OrganisationFactory(name="Northern Homes")
    with pytest.raises(ValidationFailed) as caught:
        profiles.update_profile(manager, manager.organisation, name=taken)
    [message] = caught.value.errors["name"]
    assert "already exists" in message or "looks the same" in message
    assert manager.organisation.name == "Riverside Homes"


def test_an_organisation_keeps_its_own_name_in_another_case(manager):
    profiles.update_profile(manager, manager.organisation, name="RIVERSIDE homes")
    assert manager.organisation.name == "RIVERSIDE homes"
    assert manager.organisation.name_key == "riverside homes"


def test_an_identifier_another_organisation_uses_is_refused(manager):
    OrganisationFactory(identifier="GB-SHPE-L0026")
    with pytest.raises(ValidationFailed) as caught:
        profiles.update_profile(manager, manager.organisation, identifier="GB-SHPE-L0026")
    assert caught.value.errors == {"identifier": ["Another organisation already uses that identifier."]}
    assert manager.organisation.identifier is None


def test_clearing_optional_fields(manager):
    org = manager.organisation
    profiles.update_profile(manager, org, identifier="GB-SHPE-L0026", website="www.example.org")
    profiles.update_profile(manager, org, identifier="", website="", homes_owned=None, regions=[])
    assert (org.identifier, org.website, org.homes_owned, org.regions) == (None, None, None, [])


def test_only_its_own_enabled_managers_edit(manager):
    org = manager.organisation
    colleague = UserFactory(organisation=org, is_manager=False)
    other_manager = UserFactory(is_manager=True)
    disabled = UserFactory(organisation=org, is_manager=True, is_enabled=False)
    convenor = ConvenorFactory(is_manager=True)
    for actor in (colleague, other_manager, disabled, convenor):
        with pytest.raises(PermissionDenied):
            profiles.update_profile(actor, org, name="Taken Over Homes")
    assert org.name == "Riverside Homes"
    profiles.update_profile(None, org, homes_owned=5)  # the operator
    assert org.homes_owned == 5


def test_an_unknown_field_is_a_programming_error(manager):
    with pytest.raises(TypeError, match="kind"):
        profiles.update_profile(manager, manager.organisation, kind="convenor")


@pytest.mark.usefixtures(clean_storage.__name__)
def test_a_generated_pack_keeps_the_old_profile_and_the_next_version_shows_the_new(ctx):
    bid, users = populated_bid(members=2, letters_for=0)
    member = users[0]
    member.is_manager = True
    old_name = member.organisation.name
    first = packs.generate_pack(bid.created_by, bid)
    db.session.commit()
    frozen = packs.read_file(first, "pdf")
    profiles.update_profile(member, member.organisation, name="Renamed Housing Trust", identifier="GB-SHPE-L0999")
    db.session.commit()
    second = packs.generate_pack(bid.created_by, bid)
    db.session.commit()
    db.session.expire_all()
    first = db.session.get(BidPack, first.id)
    assert packs.read_file(first, "pdf") == frozen

    def text(content):
        return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(content)).pages)

    old_text, new_text = text(frozen), text(packs.read_file(second, "pdf"))
    assert old_name in old_text and "Renamed Housing Trust" not in old_text
    assert "Renamed Housing Trust" in new_text and "GB-SHPE-L0999" in new_text

    # The members' column (the old name may still appear inside the member's own statement, which they wrote).
    def names(pack):
        rows = csv.DictReader(io.StringIO(packs.read_file(pack, "csv").decode("utf-8-sig")))
        return {row["organisation"]: row["identifier"] for row in rows}

    assert old_name in names(first) and "Renamed Housing Trust" not in names(first)
    assert names(second)["Renamed Housing Trust"] == "GB-SHPE-L0999" and old_name not in names(second)
