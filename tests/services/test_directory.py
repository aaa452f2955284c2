"""The directory: kept complete from invitations, filtered and paginated per body, edited by hand, merged."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, DirectoryContact, DirectoryEntry, Invitation, Letter, Organisation, Pledge, User
from app.services import directory, directory_edits, directory_members, directory_merge, invitations, totals
from app.services.directory import Filter
from app.services.directory_names import accent_folded, duplicate_key
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.factories import BidFactory, ConvenorFactory, member_of, pledge_for


def joined(bid, **kw) -> User:
    """A member who accepted the bid's invitation, recorded in the directory as the services do."""
    user = member_of(bid, **kw)
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.email == user.email))
    directory_members.note_invited(bid, [invitation])
    directory_members.note_accepted(invitation, user)
    return user


def entry_named(body_id, name) -> DirectoryEntry:
    return db.session.scalar(
        sa.select(DirectoryEntry).where(DirectoryEntry.body_id == body_id, DirectoryEntry.name_key == name.casefold())
    )


def test_inviting_puts_each_organisation_in_the_bodys_directory_once(ctx, outbox):
    bid = BidFactory()
    convenor = bid.created_by
    invitations.invite_many(convenor, bid, [(1, "Alpha Homes", "a@alpha.example"), (2, "Beta Homes", "b@beta.example")])
    second = BidFactory(created_by=convenor)
    invitations.invite_many(convenor, second, [(1, "alpha  homes", "a2@alpha.example")])
    entries = db.session.scalars(sa.select(DirectoryEntry).where(DirectoryEntry.body_id == bid.organisation_id)).all()
    assert sorted(e.name for e in entries) == ["Alpha Homes", "Beta Homes"]
    alpha = entry_named(bid.organisation_id, "alpha homes")
    assert [(c.email, c.is_primary) for c in alpha.contacts] == [("a@alpha.example", True), ("a2@alpha.example", False)]
    assert directory.history(alpha).invited == 2


def test_accepting_links_the_entry_to_the_organisation_and_its_account(ctx):
    bid = BidFactory()
    user = joined(bid, name="Gamma Homes")
    entry = entry_named(bid.organisation_id, "gamma homes")
    assert entry.organisation_id == user.organisation_id
    assert entry.contacts[0].user_id == user.id


def test_list_filters_search_sort_and_pages(ctx):
    bid = BidFactory()
    convenor = bid.created_by
    pledger = joined(bid, name="Pledging Homes")
    pledge_for(pledger, bid, amount_pence=500_000)
    joined(bid, name="Quiet Homes")
    for i in range(7):
        directory_edits.add_organisation(
            convenor,
            {"name": f"Hand Added {i}", "identifier": f"GB-COH-0000000{i}", "regions": ["WAL"] if i % 2 else []},
            contact={"email": f"hand{i}@example.org"},
            tags=["Wales"] if i < 3 else [],
        )
    everyone = directory.list_entries(convenor, Filter(), per_page=4)
    assert (everyone.total, everyone.pages, len(everyone.rows)) == (9, 3, 4)
    assert [r.name for r in everyone.rows] == ["Hand Added 0", "Hand Added 1", "Hand Added 2", "Hand Added 3"]
    assert [r.name for r in directory.list_entries(convenor, Filter(pledged="yes")).rows] == ["Pledging Homes"]
    assert directory.list_entries(convenor, Filter(pledged="no")).total == 8
    assert directory.list_entries(convenor, Filter(pledged="yes")).rows[0].pledged_pence == 500_000
    assert directory.list_entries(convenor, Filter(tag="wales")).total == 3
    assert directory.list_entries(convenor, Filter(region="WAL")).total == 3
    assert [r.name for r in directory.list_entries(convenor, Filter(q="hand5@")).rows] == ["Hand Added 5"]
    assert [r.name for r in directory.list_entries(convenor, Filter(q="gb-coh-00000006")).rows] == ["Hand Added 6"]
    by_pledged = directory.list_entries(convenor, Filter(sort="pledged", descending=True)).rows
    assert by_pledged[0].name == "Pledging Homes"
    last_page = directory.list_entries(convenor, Filter(page=99), per_page=4)
    assert (last_page.page, len(last_page.rows)) == (3, 1)


def test_one_body_never_sees_anothers_directory(ctx):
    bid = BidFactory()
    joined(bid, name="Alpha Homes")
    entry = entry_named(bid.organisation_id, "alpha homes")
    other = ConvenorFactory()
    assert directory.list_entries(other, Filter()).total == 0
    with pytest.raises(NotFound):
        directory.get_entry(other, entry.id)
    member = db.session.scalar(sa.select(User).where(User.organisation_id == entry.organisation_id))
    assert directory.get_entry(member, entry.id) is entry
    with pytest.raises(PermissionDenied):
        directory.get_entry(member, entry.id, convenor=True)
    with pytest.raises(PermissionDenied):
        directory.list_entries(member, Filter())
    stranger = joined(BidFactory(), name="Other Homes")
    with pytest.raises(NotFound):
        directory.get_entry(stranger, entry.id)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Wheatley Housing Group Ltd", "wheatley housing group limited"),
        ("Smith & Jones Homes", "Smith and Jones Homes"),
        ("Riverside Co-operative", "Riverside Cooperative"),
        ("Riverside Co-operative Limited Company", "RIVERSIDE CO OPERATIVE LTD."),
        ("St. Mungo's", "St Mungos"),
        ("Alpha Homes Ltd", "Alpha Homes"),
    ],
)
def test_names_that_are_the_same_organisation(a, b):
    assert duplicate_key(a) == duplicate_key(b)


def test_welsh_diacritics_are_not_folded_but_warned():
    assert duplicate_key("Grŵp Cynefin") != duplicate_key("Grwp Cynefin")
    assert accent_folded(duplicate_key("Grŵp Cynefin")) == accent_folded(duplicate_key("Grwp Cynefin"))


def test_adding_by_hand_checks_every_field_and_saves_nothing_when_refused(ctx):
    convenor = ConvenorFactory()
    with pytest.raises(ValidationFailed) as refused:
        directory_edits.add_organisation(
            convenor, {"name": "=cmd", "identifier": "XX-1", "homes_owned": "lots", "regions": ["ZZ"], "website": "no"}
        )
    assert set(refused.value.errors) == {"name", "identifier", "homes_owned", "regions", "website"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DirectoryEntry)) == 0
    entry = directory_edits.add_organisation(
        convenor,
        {"name": "Alpha Homes", "website": "alpha.example", "homes_owned": "1,200"},
        contact={"email": "A@Alpha.example"},
    )
    assert (entry.website, entry.homes_owned, entry.contacts[0].email) == (
        "https://alpha.example",
        1200,
        "a@alpha.example",
    )
    with pytest.raises(ValidationFailed, match="Check"):
        directory_edits.add_organisation(convenor, {"name": "alpha homes"})
    with pytest.raises(Conflict):
        directory_edits.add_contact(convenor, entry, {"email": "a@alpha.example"})
    second = directory_edits.add_contact(convenor, entry, {"email": "b@alpha.example", "primary": True})
    db.session.refresh(entry)
    assert [c.email for c in entry.contacts if c.is_primary] == [second.email]
    assert [d.name for d in directory_edits.possible_duplicates(convenor.organisation_id, "Alpha Homes Ltd", None)] == [
        "Alpha Homes"
    ]
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action.like("directory.%"))) == 2


def test_duplicate_groups_flag_same_identifier_name_and_accent_lookalikes(ctx):
    convenor = ConvenorFactory()
    for name, ident in [
        ("Alpha Homes", None),
        ("Alpha Homes Ltd", None),
        ("Grŵp Cynefin", None),
        ("Grwp Cynefin", None),
        ("One", "GB-COH-00000001"),
        ("Two", "GB-COH-00000001"),
        ("Unique", None),
    ]:
        directory_edits.add_organisation(convenor, {"name": name, "identifier": ident})
    groups = directory_edits.duplicate_groups(convenor)
    described = sorted((sorted(d.name for d in g), g[0].warning_only) for g in groups)
    assert described == [
        (["Alpha Homes", "Alpha Homes Ltd"], False),
        (["Grwp Cynefin", "Grŵp Cynefin"], True),
        (["One", "Two"], False),
    ]


def test_merging_moves_every_reference_and_keeps_totals(ctx):
    bid = BidFactory()
    convenor = bid.created_by
    keep_user = joined(bid, name="Wheatley Housing Group")
    gone_user = joined(bid, name="Wheatley Housing Group Ltd")
    second_bid = BidFactory(created_by=convenor)
    invitations.invite_many(convenor, second_bid, [(1, "Wheatley Housing Group Ltd", gone_user.email)])
    pledge = pledge_for(gone_user, bid, amount_pence=1_000_000)
    db.session.add(
        Letter(
            pledge_id=pledge.id,
            bid_id=bid.id,
            organisation_id=gone_user.organisation_id,
            sha256="0" * 64,
            size_bytes=10,
            filename="l.pdf",
            uploaded_by_id=gone_user.id,
        )
    )
    db.session.flush()
    before = totals.compute(bid)
    keep = entry_named(bid.organisation_id, "wheatley housing group")
    gone = entry_named(bid.organisation_id, "wheatley housing group ltd")
    gone_id, gone_org = gone.id, gone.organisation_id
    directory_merge.merge_entries(convenor, gone, keep)
    after = totals.compute(bid)
    assert (after.pledged_pence, after.homes) == (before.pledged_pence, before.homes)
    assert db.session.get(Organisation, gone_org) is None
    assert db.session.scalar(sa.select(Pledge.organisation_id).where(Pledge.id == pledge.id)) == keep.organisation_id
    assert db.session.scalar(sa.select(Letter.organisation_id)) == keep.organisation_id
    assert db.session.get(User, gone_user.id).organisation_id == keep.organisation_id
    assert not db.session.scalar(sa.select(sa.func.count()).where(Invitation.organisation_id == gone_org))
    assert not db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.organisation_id == gone_org))
    assert sorted(c.email for c in keep.contacts) == sorted([keep_user.email, gone_user.email])
    assert directory.history(keep).invited == 2  # bids
    with pytest.raises(NotFound):
        directory.get_entry(convenor, gone_id)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("%merged"))).all()
    assert sorted(actions) == ["directory.merged", "organisation.merged", "organisation.merged"]


def test_merge_refused_when_both_pledged_to_one_bid_changes_nothing(ctx):
    bid = BidFactory()
    a, b = joined(bid, name="Alpha Homes"), joined(bid, name="Alpha Homes Ltd")
    pledge_for(a, bid)
    pledge_for(b, bid)
    keep, gone = entry_named(bid.organisation_id, "alpha homes"), entry_named(bid.organisation_id, "alpha homes ltd")
    with pytest.raises(Conflict, match="Both organisations pledged to"):
        directory_merge.merge_entries(bid.created_by, gone, keep)
    assert db.session.get(Organisation, b.organisation_id) is not None
    with pytest.raises(ValidationFailed):
        directory_merge.merge_entries(bid.created_by, keep, keep)


def test_merge_refused_for_an_organisation_another_body_works_with(ctx):
    bid = BidFactory()
    a, b = joined(bid, name="Alpha Homes"), joined(bid, name="Alpha Homes Ltd")
    other_bid = BidFactory()
    invitation = Invitation(
        bid_id=other_bid.id,
        organisation_name=b.organisation.name,
        email=b.email,
        organisation_id=b.organisation_id,
        invited_by_id=other_bid.created_by_id,
        expires_at=other_bid.deadline,
    )
    db.session.add(invitation)
    db.session.flush()
    directory_members.note_invited(other_bid, [invitation])
    with pytest.raises(Conflict, match="another convening body"):
        directory_merge.merge_entries(
            bid.created_by,
            entry_named(bid.organisation_id, "alpha homes ltd"),
            entry_named(bid.organisation_id, "alpha homes"),
        )
    assert a.organisation_id != b.organisation_id


def test_unlinked_entry_merged_into_nothing_lost(ctx):
    convenor = ConvenorFactory()
    keep = directory_edits.add_organisation(convenor, {"name": "Alpha"}, contact={"email": "a@x.example"}, tags=["A"])
    gone = directory_edits.add_organisation(
        convenor, {"name": "Alpha Ltd", "homes_owned": 40}, contact={"email": "b@x.example"}, tags=["B"]
    )
    directory_merge.merge_entries(convenor, gone, keep)
    db.session.refresh(keep)
    assert keep.homes_owned == 40
    assert [t.name for t in keep.tags] == ["A", "B"]
    assert [(c.email, c.is_primary) for c in keep.contacts] == [("a@x.example", True), ("b@x.example", False)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DirectoryContact)) == 2


def test_the_history_keeps_a_released_pledge_and_says_it_was_released(ctx):
    from app.models import BidStatus
    from app.services import outcomes

    bid = BidFactory(status=BidStatus.SUBMITTED)
    user = joined(bid, name="Released Homes")
    pledge_for(user, bid, amount_pence=700_000, homes=70)
    entry = entry_named(bid.organisation_id, "released homes")
    before = directory.history(entry)
    assert (before.pledged_pence, before.released_pence, before.released) == (700_000, 0, 0)
    assert [r.released_at for r in before.rows if r.pledge] == [None]

    outcomes.record_outcome(bid.created_by, bid, {"result": "lost", "reason": "Oversubscribed."})
    after = directory.history(entry)
    (row,) = [r for r in after.rows if r.pledge]
    assert row.bid.id == bid.id and row.pledge.amount_pence == 700_000 and row.released_at is not None
    assert (after.pledged_pence, after.homes, after.released_pence, after.released) == (700_000, 70, 700_000, 1)
