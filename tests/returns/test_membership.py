"""Changing who takes part after set-up: added organisations are expected only from the next period due, removed
ones keep their returns in the totals but are expected for nothing due later, get no reminders and lose the
programme; every change is audited; bad choices save nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import AuditEvent, Participant
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.returns import membership, periods, programmes, reminders, totals
from app.services.returns.returns import save_return
from tests.returns.support import network, programme_for

FIGURES = {"CALLS": 2, "FOOD": 1, "ARREARS": 1}
START = datetime(2020, 5, 1, 9, tzinfo=UTC)  # March–April's returns are due at the end of 15 May (BST)


@pytest.fixture
def world(ctx):
    convenor, members = network(5)
    with clock.frozen(START):
        programme = programme_for(convenor, members[:3])  # landlords 4 and 5 are in the directory only
        for user in members[:3]:
            save_return(user, programme, programme.periods[0], FIGURES, submit=True, expected_version=0)
    return convenor, members, programme


def _row(programme, key):
    return next(r for r in totals.series(programme) if r["period"] == key)


def test_an_organisation_added_later_is_expected_from_the_next_period_due(world):
    convenor, members, programme = world
    with clock.frozen(datetime(2020, 5, 20, tzinfo=UTC)):  # after March–April was due
        assert membership.add_participants(convenor, programme, [members[3].organisation_id]) == [
            members[3].organisation_id
        ]
    with clock.frozen(datetime(2020, 6, 2, tzinfo=UTC)):
        periods.ensure_periods(programme)
        assert programmes.is_participant(members[3], programme)
        # not missing for the period due before it joined; expected (and missing) for May
        assert (_row(programme, "2020-03..2020-04")["expected"], _row(programme, "2020-03..2020-04")["missing"]) == (
            3,
            0,
        )
        assert (_row(programme, "2020-05")["expected"], _row(programme, "2020-05")["missing"]) == (4, 4)
        may = periods.find_period(programme, "2020-05")
        assert members[3].organisation_id in {o for o, _, _ in reminders.not_submitted(may)}
        march = programme.periods[0]
        assert members[3].organisation_id not in {o for o, _, _ in reminders.not_submitted(march)}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "programme.participants_added"))
    assert event.after["organisations"] == [members[3].organisation_id]


def test_a_removed_organisation_keeps_its_returns_but_is_expected_for_nothing_later(world):
    convenor, members, programme = world
    gone = members[0]
    with clock.frozen(datetime(2020, 5, 20, tzinfo=UTC)):
        membership.remove_participant(convenor, programme, gone.organisation_id)
    with clock.frozen(datetime(2020, 6, 2, tzinfo=UTC)):
        periods.ensure_periods(programme)
        first = _row(programme, "2020-03..2020-04")
        assert (first["expected"], first["received"], first["measures"]["CALLS"]["total"]) == (3, 3, 6)
        may = _row(programme, "2020-05")
        assert (may["expected"], may["missing"]) == (2, 2) and gone.organisation_id not in may["missing_organisations"]
        assert gone.organisation_id not in {
            o for o, _, _ in reminders.not_submitted(periods.find_period(programme, "2020-05"))
        }
        assert not programmes.is_participant(gone, programme)
        assert programme not in programmes.visible(gone)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "programme.participant_removed"))


def test_a_removed_organisation_can_be_added_back(world):
    convenor, members, programme = world
    with clock.frozen(datetime(2020, 5, 20, tzinfo=UTC)):
        membership.remove_participant(convenor, programme, members[0].organisation_id)
        membership.add_participants(convenor, programme, [members[0].organisation_id])
    rows = db.session.scalars(
        sa.select(Participant).where(Participant.organisation_id == members[0].organisation_id)
    ).all()
    assert len(rows) == 1 and rows[0].removed_at is None and rows[0].expected_from is not None


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        (None, "Choose the organisations to add."),
        ([], "Choose the organisations to add."),
        (["x"], "Choose the organisations to add."),
        ([True], "Choose the organisations to add."),
        ("1,2", "Choose the organisations to add."),
        ([999_999], "not: 999999"),
        ("taking part", "not taking part"),
    ],
)
def test_bad_additions_name_the_problem_and_save_nothing(world, chosen, message):
    convenor, members, programme = world
    if chosen == "taking part":
        chosen = [members[4].organisation_id, members[0].organisation_id]  # the second already takes part
    before = db.session.scalar(sa.select(sa.func.count(Participant.id)))
    with pytest.raises(ValidationFailed) as exc:
        membership.add_participants(convenor, programme, chosen)
    assert message in " ".join(exc.value.errors["organisation_ids"])
    assert db.session.scalar(sa.select(sa.func.count(Participant.id))) == before


def test_removing_refuses_strangers_members_and_the_last_organisation(world):
    convenor, members, programme = world
    with pytest.raises(NotFound):
        membership.remove_participant(convenor, programme, members[4].organisation_id)
    with pytest.raises(PermissionDenied):
        membership.remove_participant(members[1], programme, members[0].organisation_id)
    with pytest.raises(PermissionDenied):
        membership.add_participants(members[1], programme, [members[4].organisation_id])
    membership.remove_participant(convenor, programme, members[0].organisation_id)
    membership.remove_participant(convenor, programme, members[1].organisation_id)
    with pytest.raises(ValidationFailed) as exc:
        membership.remove_participant(convenor, programme, members[2].organisation_id)
    assert "at least one" in exc.value.errors["organisation_id"][0]
    with pytest.raises(NotFound):  # removed already
        membership.remove_participant(convenor, programme, members[0].organisation_id)


def test_the_page_lists_adds_and_removes(world, app):
    """(The routes' permissions are in tests/web/test_returns_permissions.py.)"""
    convenor, members, programme = world
    assert [name for _, name in membership.roll(programme)] == ["Landlord 01", "Landlord 02", "Landlord 03"]
    assert [o.name for o in membership.addable(programme)] == ["Landlord 04", "Landlord 05"]
    with clock.frozen(START + timedelta(days=1)):
        membership.remove_participant(convenor, programme, members[1].organisation_id)
    assert [name for _, name in membership.roll(programme)][-1] == "Landlord 02"  # removed: listed last
    assert "Landlord 02" in [o.name for o in membership.addable(programme)]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Choose the organisations to add."),
        ({"organisation_ids": "abc"}, "Choose the organisations to add."),
        ({"organisation_ids": "-3"}, "Choose the organisations to add."),
        ({"organisation_ids": "99999999999"}, "Choose the organisations to add."),
        ({"organisation_ids": "999999"}, "not: 999999"),
    ],
)
def test_the_add_form_refuses_bad_choices_with_a_message_and_saves_nothing(app, browser, setup, form, message):
    from tests.returns.conftest import NOW

    browser.login(setup["convenor"])
    url = f"/programmes/{setup['id']}/participants"
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Participant.id)))
    with clock.frozen(NOW):
        response = browser.post_form(url, form, follow_redirects=True)
    assert response.status_code == 200 and message in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Participant.id))) == before


def test_the_page_adds_and_removes_through_the_forms(app, browser, setup):
    from tests.returns.conftest import NOW

    with app.app_context(), clock.frozen(NOW):
        _, members = network(1, prefix="Newcomer")
        # the newcomer must be in this body's directory: move its entry to the programme's body
        from app.models import DirectoryEntry, Programme

        body = db.session.get(Programme, setup["id"]).organisation_id
        entry = db.session.scalar(
            sa.select(DirectoryEntry).where(DirectoryEntry.organisation_id == members[0].organisation_id)
        )
        entry.body_id = body
        newcomer = members[0].organisation_id
        db.session.commit()
    browser.login(setup["convenor"])
    url = f"/programmes/{setup['id']}/participants"
    with clock.frozen(NOW):
        page = browser.get(url)
        assert "Newcomer 01" in page.text and "Landlord 01" in page.text
        done = browser.post_form(url, {"organisation_ids": str(newcomer)}, follow_redirects=True)
        assert "1 organisation added" in done.text
        gone = browser.post_form(f"{url}/{newcomer}/remove", {}, page=url, follow_redirects=True)
        assert "no longer takes part" in gone.text and "removed" in gone.text
