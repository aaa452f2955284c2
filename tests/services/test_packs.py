"""Bid packs: the documents hold the database's figures exactly, are frozen per version, and carry the letters."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from app.extensions import db
from app.models import AuditEvent, BidPack, BidStatus, Pledge
from app.money import format_pence
from app.services import letters, packs, totals
from app.services.errors import Conflict, InvalidTransition, NotFound
from tests.factories import ConvenorFactory, member_of, pledge_for
from tests.packdata import HOSTILE_NAMES, populated_bid
from tests.pdfs import clean_storage

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def db_totals(bid) -> tuple[int, int, int]:
    live = sa.and_(Pledge.bid_id == bid.id, Pledge.status.in_(["indicative", "confirmed"]))
    row = db.session.execute(
        sa.select(sa.func.sum(Pledge.amount_pence), sa.func.sum(Pledge.homes), sa.func.count()).where(live)
    ).one()
    return tuple(int(value) for value in row)  # PostgreSQL sums come back as Decimal


@pytest.fixture
def generated(ctx):
    bid, users = populated_bid()
    pack = packs.generate_pack(bid.created_by, bid)
    db.session.commit()
    return bid, users, pack


def test_pdf_holds_every_member_the_total_to_the_penny_and_the_homes(generated):
    bid, _users, pack = generated
    total, homes, count = db_totals(bid)
    assert total % 100  # the amounts have odd pence, so "to the penny" is tested
    text = pdf_text(packs.read_file(pack, "pdf"))
    flat = " ".join(text.split())
    for row in db.session.scalars(sa.select(Pledge).where(Pledge.bid_id == bid.id)):
        assert row.organisation.name in flat
    assert format_pence(total) in flat
    assert f"{homes:,}" in flat
    assert pack.figures["total_pence"] == total and pack.figures["homes"] == homes and pack.figures["members"] == count


def test_xlsx_totals_equal_the_database(generated):
    bid, _users, pack = generated
    total, homes, count = db_totals(bid)
    book = load_workbook(io.BytesIO(packs.read_file(pack, "xlsx")))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    pence_col = header.index("Amount (pence)")
    pounds_col = header.index("Amount (£)")
    homes_col = header.index("Homes covered")
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    total_row = next(r for r in rows if r[0] == "Total")
    member_rows = [r for r in rows if r[0] not in ("Total", None)]
    assert len(member_rows) == count
    assert sum(r[pence_col] for r in member_rows) == total == total_row[pence_col]
    assert Decimal(str(total_row[pounds_col])) == Decimal(total) / 100
    assert sum(r[homes_col] for r in member_rows) == homes == total_row[homes_col]


def test_csv_has_a_row_per_member_with_exact_pence(generated):
    bid, _users, pack = generated
    total, _homes, count = db_totals(bid)
    rows = list(csv.DictReader(io.StringIO(packs.read_file(pack, "csv").decode("utf-8-sig"))))
    members = [r for r in rows if r["organisation"] != "Total"]
    assert len(members) == count
    assert sum(int(r["amount_pence"]) for r in members) == total


def test_zip_manifest_digests_match_and_letters_travel(generated):
    bid, users, pack = generated
    archive = zipfile.ZipFile(io.BytesIO(packs.read_file(pack, "zip")))
    manifest = json.loads(archive.read("manifest.json"))
    names = {entry["name"] for entry in manifest["files"]}
    assert {"bid-pack.pdf", "pledges.xlsx", "pledges.csv"} <= names
    for entry in manifest["files"]:
        content = archive.read(entry["name"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["size"]
    assert archive.read("bid-pack.pdf") == packs.read_file(pack, "pdf")
    letter_names = sorted(n for n in names if n.startswith("letters/"))
    assert len(letter_names) == 2 == pack.figures["letters"]
    for user in users[:2]:
        letter = letters.current_letter(letters.live_pledge(bid, user.organisation_id))
        expected = f"letters/{letters.download_name(user.organisation.name, letter.sha256)}"
        assert expected in letter_names
        assert archive.read(expected) == letters.read_content(letter.sha256)
    assert manifest["headline"]["total_pence"] == pack.figures["total_pence"]


def test_files_on_disk_match_the_recorded_digests(app, generated):
    bid, _users, pack = generated
    folder = packs.pack_dir(bid.id, 1)
    assert sorted(p.name for p in folder.iterdir()) == sorted(pack.files)
    for name, meta in pack.files.items():
        content = (folder / name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == meta["sha256"] and len(content) == meta["size"]


def test_a_pack_is_frozen_and_the_next_generation_is_a_new_version(generated):
    bid, users, first = generated
    frozen = {kind: packs.read_file(first, kind) for kind in packs.FILE_NAMES}
    figures = dict(first.figures)
    pledge = letters.live_pledge(bid, users[0].organisation_id)
    pledge.amount_pence += 50_001
    pledge.homes += 5
    newcomer = member_of(bid, name="Late Joiner Homes")
    pledge_for(newcomer, bid, amount_pence=7_777_777)
    db.session.commit()
    second = packs.generate_pack(bid.created_by, bid)
    db.session.commit()
    db.session.expire_all()
    first = db.session.get(BidPack, first.id)
    assert (first.version, second.version) == (1, 2)
    assert first.figures == figures
    assert {kind: packs.read_file(first, kind) for kind in packs.FILE_NAMES} == frozen
    assert second.figures["total_pence"] == figures["total_pence"] + 50_001 + 7_777_777
    assert "Late Joiner Homes" in pdf_text(packs.read_file(second, "pdf"))
    assert "Late Joiner Homes" not in pdf_text(frozen["pdf"])
    changes = packs.compare(first, second)
    assert [m["name"] for m in changes.added] == ["Late Joiner Homes"]
    assert changes.removed == []
    [(before, after, fields)] = changes.changed
    assert after["name"] == users[0].organisation.name and fields == ["amount_pence", "homes"]
    assert after["amount_pence"] - before["amount_pence"] == 50_001 and after["homes"] - before["homes"] == 5
    assert ("Total pledged", "money", figures["total_pence"], second.figures["total_pence"]) in changes.figures
    history = packs.history(bid.created_by, bid)
    assert [p.version for p, _c in history] == [2, 1] and history[1][1] is None


def test_a_withdrawn_member_shows_as_removed(generated):
    bid, users, first = generated
    letters.live_pledge(bid, users[3].organisation_id).status = "withdrawn"
    db.session.commit()
    second = packs.generate_pack(bid.created_by, bid)
    changes = packs.compare(first, second)
    assert [m["name"] for m in changes.removed] == [users[3].organisation.name]
    assert second.figures["members"] == first.figures["members"] - 1


def test_in_grace_pledges_are_recorded(generated):
    _bid, users, pack = generated
    assert pack.figures["in_grace"] == 1
    graced = [m for m in pack.figures["member_list"] if m["in_grace"]]
    assert [m["name"] for m in graced] == [users[1].organisation.name]


def test_timeline_is_cumulative_and_ends_at_the_total(generated):
    bid, _users, pack = generated
    points = packs.timeline(bid)
    assert len(points) == 4
    assert [p.cumulative_pence for p in points] == sorted(p.cumulative_pence for p in points)
    assert points[-1].cumulative_pence == pack.figures["total_pence"]


def test_generation_is_audited(generated):
    bid, _users, pack = generated
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "pack.generated"))
    assert event.bid_id == bid.id and event.after["version"] == 1
    assert event.after["total_pence"] == pack.figures["total_pence"] and event.actor_id == bid.created_by_id


def test_hostile_text_prints_as_text_end_to_end(ctx, monkeypatch):
    statement = "A very long statement. " * 220  # about 5,000 characters
    bid, _users = populated_bid(names=HOSTILE_NAMES, letters_for=len(HOSTILE_NAMES))
    letters.live_pledge(bid, _users[0].organisation_id).statement = statement[:5000]
    db.session.commit()
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("the bid pack tried to fetch something")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    pack = packs.generate_pack(bid.created_by, bid)
    db.session.commit()
    text = " ".join(pdf_text(packs.read_file(pack, "pdf")).split())
    assert '<img src="http://127.0.0.1:9/x.png"/> Housing' in text
    assert "Smith & Jones <para>Homes</para>" in text
    assert '=HYPERLINK("http://evil") Trust' in text
    book = load_workbook(io.BytesIO(packs.read_file(pack, "xlsx")))
    cells = {c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if isinstance(c, str)}
    for name in HOSTILE_NAMES[:4]:
        assert name in cells
    assert '\'=HYPERLINK("http://evil") Trust' in cells  # neutralised against formula injection
    assert statement[:5000].strip() in {c.strip() for c in cells}
    archive = zipfile.ZipFile(io.BytesIO(packs.read_file(pack, "zip")))
    for name in archive.namelist():
        assert name.isascii() and ".." not in name and not name.startswith("/")
    assert len([n for n in archive.namelist() if n.startswith("letters/")]) == len(HOSTILE_NAMES)


def test_a_missing_letter_file_stops_generation(generated):
    bid, users, _pack = generated
    letter = letters.current_letter(letters.live_pledge(bid, users[0].organisation_id))
    letters.storage_path(letter.sha256).unlink()
    with pytest.raises(Conflict, match=users[0].organisation.name):
        packs.generate_pack(bid.created_by, bid)
    db.session.rollback()
    assert not packs.pack_dir(bid.id, 2).exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BidPack)) == 1


def test_a_rolled_back_generation_leaves_no_folder(generated):
    bid, _users, _pack = generated
    packs.generate_pack(bid.created_by, bid)
    assert packs.pack_dir(bid.id, 2).exists()
    db.session.rollback()
    assert not packs.pack_dir(bid.id, 2).exists()


def test_an_altered_file_is_not_served(generated):
    bid, _users, pack = generated
    (packs.pack_dir(bid.id, 1) / "bid-pack.pdf").write_bytes(b"%PDF-1.4 forged")
    with pytest.raises(NotFound, match="does not match"):
        packs.read_file(pack, "pdf")


@pytest.mark.parametrize("status", [BidStatus.DRAFT, BidStatus.CANCELLED])
def test_no_pack_for_a_draft_or_cancelled_bid(ctx, status):
    bid, _users = populated_bid(members=1, letters_for=0)
    bid.status = status
    with pytest.raises(InvalidTransition):
        packs.generate_pack(bid.created_by, bid)


def test_only_the_bids_convenors_generate_or_list(generated):
    bid, users, _pack = generated
    for outsider in (users[0], ConvenorFactory()):
        with pytest.raises(NotFound):
            packs.generate_pack(outsider, bid)
        with pytest.raises(NotFound):
            packs.packs_for(outsider, bid)
        with pytest.raises(NotFound):
            packs.get_pack(outsider, bid, 1)


def test_an_empty_bid_still_makes_a_pack(ctx):
    bid, _users = populated_bid(members=0, names=[])
    pack = packs.generate_pack(bid.created_by, bid)
    assert pack.figures["members"] == 0 and pack.figures["total_pence"] == 0
    assert PdfReader(io.BytesIO(packs.read_file(pack, "pdf"))).pages


def test_regions_and_thresholds_agree_with_the_live_figures(generated):
    bid, _users, _first = generated
    bid.min_total_pence, bid.min_members = 5_000_000, 10  # the first is met, the second not
    pack = packs.generate_pack(bid.created_by, bid)
    live = totals.compute(bid)
    keys = [(m["organisation_id"], m["regions"]) for m in pack.figures["member_list"]]
    members, _keys, _letters = packs._members(bid)
    assert [(r.code, r.amount_pence, r.homes, r.members) for r in packs.regions(members, keys)] == [
        (r.code, r.amount_pence, r.homes, r.members) for r in live.regions
    ]
    assert sum(r.amount_pence for r in packs.regions(members, keys)) == pack.figures["total_pence"]
    assert [(t["label"], t["met"]) for t in pack.figures["thresholds"]] == [(t.label, t.met) for t in live.thresholds]
    assert [t["met"] for t in pack.figures["thresholds"]] == [True, False]


def test_the_pdf_binds_the_members_letters_in(generated):
    _bid, users, pack = generated
    reader = PdfReader(io.BytesIO(packs.read_file(pack, "pdf")))
    texts = [page.extract_text() or "" for page in reader.pages]
    outline = reader.outline
    at = next(i for i, item in enumerate(outline) if not isinstance(item, list) and item.title.endswith("bound in"))
    bound = outline[at + 1]
    assert len(bound) == 2
    for user in users[:2]:
        entry = next(child for child in bound if child.title == user.organisation.name)
        divider = reader.get_destination_page_number(entry)
        assert f"Letter of commitment from {user.organisation.name}" in texts[divider + 1]


def test_a_letter_that_cannot_be_bound_still_travels_in_the_zip(generated, monkeypatch):
    bid, _users, _pack = generated
    from app.pdf import binding

    def refuse(index, name, content, digest, member):
        return binding.BoundLetter(index, name, content, digest, member, reason="the PDF has no pages")

    monkeypatch.setattr(binding, "_check", refuse)
    pack = packs.generate_pack(bid.created_by, bid)
    text = " ".join(pdf_text(packs.read_file(pack, "pdf")).split())
    assert "Letters not bound in" in text and "not bound in because the PDF has no pages" in text
    archive = zipfile.ZipFile(io.BytesIO(packs.read_file(pack, "zip")))
    assert len([n for n in archive.namelist() if n.startswith("letters/")]) == 2
