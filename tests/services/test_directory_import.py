"""Importing into the directory: the report per row, duplicates in the file and against the directory, refusals."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from app.extensions import db
from app.models import AuditEvent, DirectoryContact, DirectoryEntry, DirectoryTag
from app.services import directory_edits, directory_import
from app.services.errors import PermissionDenied, ValidationFailed
from tests.factories import ConvenorFactory, UserFactory

HEADER = "Organisation,Email,Contact name,Identifier,Homes,Regions,Tags\n"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def outcomes(report):
    return [(r.line, r.outcome, r.reason) for r in report.rows]


def test_rows_added_updated_skipped_and_refused_with_reasons(ctx):
    convenor = ConvenorFactory()
    directory_edits.add_organisation(convenor, {"name": "Existing Homes"}, contact={"email": "old@existing.example"})
    directory_edits.add_organisation(convenor, {"name": "Known Id", "identifier": "GB-COH-00000001"})
    text = HEADER + "\n".join(
        [
            '"Alpha, Homes",a@alpha.example,Ann,GB-COH-12345678,"1,200",NW;WAL,Wales;CECI network',  # 2 added
            "Existing Homes,new@existing.example,,,,,",  # 3 updated: new contact
            "Existing Homes,old@existing.example,,,,,",  # 4 skipped
            "Existing Homes Ltd,x@existing.example,,,,,",  # 5 refused: possible duplicate
            "Other,o@x.example,,GB-COH-00000001,,,",  # 6 refused: identifier
            "Beta Homes,not-an-email,,,,,",  # 7 refused: email
            "=cmd,c@x.example,,,,,",  # 8 refused: formula
            "Gamma,g@x.example,,,12 homes,,",  # 9 refused: homes
            "Delta,d@x.example,,,,XX,",  # 10 refused: region
            "Alpha, Homes,second@alpha.example,,,,,",  # 11 refused: too many values (unquoted comma)
            '"Alpha, Homes",second@alpha.example,Bob,,,,',  # 12 updated: second contact, flagged
            "Grwp Cynefin,g@cynefin.example,,,,,",  # 13 added
            "Grŵp Cynefin,h@cynefin.example,,,,,",  # 14 added with a warning
        ]
    )
    report = directory_import.import_directory(convenor, text)
    got = {line: (outcome, reason) for line, outcome, reason in outcomes(report)}
    assert {k: v[0] for k, v in got.items()} == {
        2: "added",
        3: "updated",
        4: "skipped",
        5: "refused",
        6: "refused",
        7: "refused",
        8: "refused",
        9: "refused",
        10: "refused",
        11: "refused",
        12: "updated",
        13: "added",
        14: "added",
    }
    assert got[5][1].startswith("Possible duplicate of Existing Homes")
    assert got[6][1] == "Possible duplicate: Known Id has the identifier GB-COH-00000001. Use that name to update it."
    assert got[7][1].startswith("Enter a valid email address")
    assert "spreadsheet formula" in got[8][1]
    assert got[9][1] == "Enter the number of homes owned as a whole number, for example 12400."
    assert got[10][1] == "Unknown region: XX."
    assert got[11][1] == "This line has more values than the header has columns (is there an unquoted comma?)."
    assert got[12][1] == "The same organisation as line 2, with another email: added as a second contact."
    assert got[14][1] == "Added; note that Grwp Cynefin has the same letters with different accents."
    assert report.summary() == "3 added, 2 updated, 1 skipped, 7 refused."
    alpha = db.session.scalar(sa.select(DirectoryEntry).where(DirectoryEntry.name == "Alpha, Homes"))
    assert (alpha.identifier, alpha.homes_owned, alpha.regions) == ("GB-COH-12345678", 1200, ["NW", "WAL"])
    assert sorted(t.name for t in alpha.tags) == ["CECI network", "Wales"]
    assert [(c.email, c.name, c.is_primary) for c in alpha.contacts] == [
        ("a@alpha.example", "Ann", True),
        ("second@alpha.example", "Bob", False),
    ]
    offered = report.refused_text().splitlines()
    assert offered[0] == "organisation,email,contact name,identifier,homes,regions,tags"
    assert offered[1] == "Existing Homes Ltd,x@existing.example,,,,,"
    assert offered[7] == "Alpha, Homes,second@alpha.example,,,,,"
    assert len(offered) == 8
    assert db.session.scalar(sa.select(AuditEvent.after).where(AuditEvent.action == "directory.imported"))["added"] == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"Alpha,a@x.example\n", "The first row must name the columns"),
        (b"Email,Phone\na@x.example,1\n", "There is no \u2018organisation\u2019 column"),
        (b"Organisation,Fax\nA,1\n", "The column \u2018Fax\u2019 is not read here."),
        (b"Organisation,Email\nA\x81,a@x.example\n", "The file is neither UTF-8 nor Windows-1252 text"),
        (b"PK\x03\x04broken", "The file looks like an XLSX workbook but could not be opened"),
    ],
    ids=["empty", "no-header", "no-organisation", "wrong-column", "encoding", "broken-xlsx"],
)
def test_whole_file_refusals_save_nothing(ctx, data, message):
    convenor = ConvenorFactory()
    with pytest.raises(ValidationFailed) as refused:
        directory_import.import_directory(convenor, data)
    assert refused.value.errors["file"][0].startswith(message)
    assert count(DirectoryEntry) == count(DirectoryContact) == count(DirectoryTag) == 0


def test_members_cannot_import(ctx):
    with pytest.raises(PermissionDenied):
        directory_import.import_directory(UserFactory(), HEADER + "A,a@x.example,,,,,\n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_each_encoding_and_separator(ctx, encoding, separator):
    convenor = ConvenorFactory()
    text = f"Organisation{separator}Email\nCaffi Cymru – Société{separator}a@x.example\n"
    report = directory_import.import_directory(convenor, text.encode(encoding))
    assert report.summary() == "1 added, 0 updated, 0 skipped, 0 refused."
    assert db.session.scalar(sa.select(DirectoryEntry.name)) == "Caffi Cymru – Société"


def test_quoted_newline_in_a_name_is_refused_on_its_own_line(ctx):
    convenor = ConvenorFactory()
    report = directory_import.import_directory(
        convenor, 'Organisation,Email\n"Two\nLines",a@x.example\nOne,b@x.example\n'
    )
    assert outcomes(report)[0][:2] == (2, "refused")
    assert "one line" in outcomes(report)[0][2]
    assert outcomes(report)[1][:2] == (4, "added")


def test_xlsx_import(ctx):
    convenor = ConvenorFactory()
    book = Workbook()
    for row in [["Organisation", "Email", "Homes"], ["Alpha", "a@x.example", 1200], ["Beta", "b@x.example", None]]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    report = directory_import.import_directory(convenor, out.getvalue(), "list.xlsx")
    assert report.summary() == "2 added, 0 updated, 0 skipped, 0 refused."
    assert db.session.scalar(sa.select(DirectoryEntry.homes_owned).where(DirectoryEntry.name == "Alpha")) == 1200


def test_ten_thousand_rows(ctx):
    convenor = ConvenorFactory()
    text = "Organisation,Email\n" + "".join(f"Member {i},m{i}@x.example\n" for i in range(10_000))
    report = directory_import.import_directory(convenor, text)
    assert report.count("added") == 10_000
    assert count(DirectoryContact) == 10_000
    with pytest.raises(ValidationFailed, match="Check"):
        directory_import.import_directory(convenor, text + "One more,z@x.example\n")


def test_a_second_import_fills_blanks_reuses_tags_and_leaves_other_bodies_alone(ctx):
    convenor, other = ConvenorFactory(), ConvenorFactory()
    directory_import.import_directory(other, HEADER + "Shared Name,s@other.example,,,,,Wales\n")
    first = directory_import.import_directory(convenor, HEADER + "Alpha Homes,a@alpha.example,,,,,Wales\n")
    assert first.summary() == "1 added, 0 updated, 0 skipped, 0 refused."
    alpha = db.session.scalar(sa.select(DirectoryEntry).where(DirectoryEntry.name == "Alpha Homes"))
    assert (alpha.homes_owned, [t.name for t in alpha.tags]) == (None, ["Wales"])  # loaded before the next import
    text = HEADER + "\n".join(
        [
            "Alpha Homes,a@alpha.example,,,500,,wales;Scotland",  # 2 updated: homes and a new tag; Wales is there
            "Shared Name,s@mine.example,,,,,",  # 3 added: another body's entry of that name is not seen
            "Shared Name,,,,40,NW,",  # 4 updated: fills the row added on line 3
            "Alpha Homes,a@alpha.example,,,900,,Wales",  # 5 skipped: homes already filled, nothing new
        ]
    )
    report = directory_import.import_directory(convenor, text)
    assert [(line, outcome) for line, outcome, _ in outcomes(report)] == [
        (2, "updated"),
        (3, "added"),
        (4, "updated"),
        (5, "skipped"),
    ]
    assert report.rows[0].reason == "Added homes owned, tags."
    assert report.rows[2].reason == "Added homes owned, regions."
    assert report.rows[3].reason == "The same as line 2."
    # The entry the session already held shows what the import wrote.
    assert (alpha.homes_owned, [t.name for t in alpha.tags]) == (500, ["Scotland", "Wales"])
    assert [c.email for c in alpha.contacts] == ["a@alpha.example"]
    body_tags = sa.select(DirectoryTag.name).where(DirectoryTag.body_id == convenor.organisation_id)
    assert sorted(db.session.scalars(body_tags)) == ["Scotland", "Wales"]  # "wales" is the same tag
    mine = db.session.scalar(
        sa.select(DirectoryEntry).where(
            DirectoryEntry.body_id == convenor.organisation_id, DirectoryEntry.name == "Shared Name"
        )
    )
    assert (mine.homes_owned, mine.regions, [(c.email, c.is_primary) for c in mine.contacts]) == (
        40,
        ["NW"],
        [("s@mine.example", True)],
    )
    theirs = db.session.scalar(sa.select(DirectoryEntry).where(DirectoryEntry.body_id == other.organisation_id))
    assert (theirs.homes_owned, [c.email for c in theirs.contacts]) == (None, ["s@other.example"])
    events = db.session.scalars(
        sa.select(AuditEvent.after).where(AuditEvent.action == "directory.imported").order_by(AuditEvent.id)
    ).all()
    assert events[-1] == {"added": 1, "updated": 2, "skipped": 1, "refused": 0, "file": "paste"}
