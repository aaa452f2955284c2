"""The tabular import reader: encodings, separators, quoting, headers by name, limits, workbooks."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from app.imports import Column, TableRefused, offer_back, read_table
from app.imports.reader import detect_separator

COLUMNS = [
    Column("name", "organisation name", ("organisation", "name")),
    Column("email", "contact email", ("email",), required=True),
    Column("homes", "homes", ("homes owned",)),
]


def values(table):
    return [(r.line, r.values["name"], r.values["email"]) for r in table.rows]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("organisation,email\nSociété Générale,a@b.example\n".encode(), "UTF-8"),
        ("\ufefforganisation,email\nSociété Générale,a@b.example\n".encode(), "UTF-8 with BOM"),
        ("organisation,email\nSociété Générale,a@b.example\n".encode("cp1252"), "Windows-1252"),
        ("organisation,email\nSociété Générale,a@b.example\n", "text"),
    ],
    ids=["utf-8", "utf-8-bom", "windows-1252", "pasted-text"],
)
def test_each_encoding_reads_the_same_rows(data, encoding):
    table = read_table(data, COLUMNS)
    assert table.encoding == encoding
    assert values(table) == [(2, "Société Générale", "a@b.example")]


def test_windows_1252_punctuation_is_kept():
    data = "organisation,email\nO’Brien “Homes” – Wales,a@b.example\n".encode("cp1252")
    assert read_table(data, COLUMNS).rows[0].values["name"] == "O’Brien “Homes” – Wales"


def test_bytes_in_neither_encoding_are_named():
    # 0x81 is undefined in Windows-1252 and not valid UTF-8 on its own.
    data = b"organisation,email\nAlpha\x81,a@b.example\n"
    with pytest.raises(TableRefused) as refused:
        read_table(data, COLUMNS)
    message = refused.value.message
    assert message.startswith("The file is neither UTF-8 nor Windows-1252 text: byte 25 (line 2) is not UTF-8")
    assert "is not Windows-1252" in message


def test_broken_utf8_after_a_bom_is_named():
    with pytest.raises(TableRefused, match=r"starts as UTF-8 but byte 23 \(line 2\) is not UTF-8"):
        read_table(b"\xef\xbb\xbforganisation,email\n\xe9,a@b.example\n", COLUMNS)


def test_utf16_is_refused_by_name():
    with pytest.raises(TableRefused, match="UTF-16"):
        read_table("organisation,email\n".encode("utf-16"), COLUMNS)


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("organisation,email\nAlpha,a@x.example\nBeta,b@x.example\n", ","),
        ("organisation;email\nAlpha, Ltd;a@x.example\nBeta;b@x.example\n", ";"),
        ("organisation\temail\nAlpha, Ltd\ta@x.example\nBeta\tb@x.example\n", "\t"),
        ("organisation,email\nAlpha, Ltd\ta@x.example\nBeta\tb@x.example\n", "\t"),
        ('organisation,email\n"Alpha; Beta",a@x.example\nGamma,g@x.example\n', ","),
    ],
    ids=[
        "comma",
        "semicolon-with-commas-in-names",
        "tab-with-commas-in-names",
        "comma-header-over-tabs",
        "quoted-semi",
    ],
)
def test_separator_is_detected_per_input(text, separator):
    table = read_table(text, COLUMNS)
    assert table.separator == separator
    assert table.has_header
    assert [r.values["email"] for r in table.rows] == [
        "a@x.example",
        "g@x.example" if "Gamma" in text else "b@x.example",
    ]
    assert table.rows[0].values["name"] in {"Alpha, Ltd", "Alpha", "Alpha; Beta"}


def test_comma_header_over_tab_rows_keeps_commas_in_names():
    table = read_table("organisation,email\nWheatley Housing Group, Ltd\tw@x.example\n", COLUMNS)
    assert values(table) == [(2, "Wheatley Housing Group, Ltd", "w@x.example")]


def test_a_single_line_without_separator_defaults_to_comma():
    assert detect_separator("just one value") == ","


def test_quoted_fields_with_commas_and_newlines_keep_their_line_numbers():
    text = 'organisation,email\n"Alpha, Beta\nand Gamma",a@x.example\n"Delta ""D"" Homes",d@x.example\n'
    table = read_table(text, COLUMNS)
    assert values(table) == [(2, "Alpha, Beta\nand Gamma", "a@x.example"), (4, 'Delta "D" Homes', "d@x.example")]


def test_blank_lines_are_skipped_and_line_numbers_stay_true():
    table = read_table("organisation,email\n\nAlpha,a@x.example\n  \nBeta,b@x.example\n", COLUMNS)
    assert [r.line for r in table.rows] == [3, 5]


def test_crlf_line_endings():
    table = read_table(b"organisation,email\r\nAlpha,a@x.example\r\nBeta,b@x.example\r\n", COLUMNS)
    assert values(table) == [(2, "Alpha", "a@x.example"), (3, "Beta", "b@x.example")]


def test_columns_are_matched_by_header_name_and_alias_in_any_order():
    table = read_table("Contact E-mail,Homes Owned,Organisation\na@x.example,1200,Alpha\n", COLUMNS)
    assert table.columns == ["email", "homes", "name"]
    assert table.rows[0].values == {"name": "Alpha", "email": "a@x.example", "homes": "1200"}


def test_without_a_header_columns_are_taken_in_order_and_extras_kept():
    table = read_table("Alpha,a@x.example,12,surplus\n", COLUMNS)
    assert not table.has_header
    row = table.rows[0]
    assert row.values == {"name": "Alpha", "email": "a@x.example", "homes": "12"}
    assert row.extra == ["surplus"]
    assert row.cells == ["Alpha", "a@x.example", "12", "surplus"]


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        ("", {}, "The list is empty."),
        ("\n  \n", {}, "The list is empty."),
        ("organisation,email\n", {}, "The list has a header but no rows."),
        ("organisation,email,phone\nA,a@x.example,1\n", {}, "The column ‘phone’ is not read here."),
        (
            "organisation,homes\nA,1\n",
            {},
            "There is no ‘contact email’ column (the columns found are ‘organisation’, ‘homes’).",
        ),
        (
            "email,e-mail\na@x.example,b@x.example\n",
            {},
            "The columns ‘email’ and ‘e-mail’ both give the contact email.",
        ),
        ("Alpha,a@x.example\n", {"header": "required"}, "The first row must name the columns"),
        (
            "organisation,email\n" + "A,a@x.example\n" * 11,
            {"max_rows": 10},
            "The list has 11 rows; at most 10 are read at a time.",
        ),
        ("x" * 2000, {"max_bytes": 1024}, "The list is 0.0 MB; the largest accepted is 0.0 MB."),
        ("a\x00b", {}, "The file is not a CSV text file or an XLSX workbook."),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", {}, "The file looks like an XLSX workbook but could not be opened"),
    ],
    ids=[
        "empty",
        "blank",
        "header-only",
        "unknown-column",
        "missing-required",
        "twice",
        "header-required",
        "too-many-rows",
        "too-large",
        "nul",
        "broken-xlsx",
    ],
)
def test_whole_input_refusals_say_why(data, kwargs, message):
    with pytest.raises(TableRefused) as refused:
        read_table(data, COLUMNS, **kwargs)
    assert refused.value.message.startswith(message)


def test_unknown_columns_can_be_ignored():
    table = read_table("organisation,email,phone\nA,a@x.example,1\n", COLUMNS, unknown_columns="ignore")
    assert table.rows[0].values["email"] == "a@x.example"


def test_ten_thousand_rows():
    text = "organisation,email\n" + "".join(f"Member {i},m{i}@x.example\n" for i in range(10_000))
    table = read_table(text.encode(), COLUMNS, max_rows=10_000)
    assert len(table.rows) == 10_000
    assert table.rows[-1].line == 10_001
    assert table.rows[-1].values["email"] == "m9999@x.example"


def workbook_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_first_sheet_with_numbers_and_blank_rows():
    data = workbook_bytes(
        [
            ["Organisation", "Email", "Homes"],
            ["Alpha, Ltd", "a@x.example", 1200],
            [None, None, None],
            ["Grŵp", "g@x.example", 3.0],
        ]
    )
    table = read_table(data, COLUMNS, filename="list.xlsx")
    assert table.encoding == "XLSX"
    assert table.separator is None
    assert [(r.line, r.values["name"], r.values["homes"]) for r in table.rows] == [
        (2, "Alpha, Ltd", "1200"),
        (4, "Grŵp", "3"),
    ]


def test_xlsx_formula_cell_reads_as_its_saved_value_never_evaluated():
    # openpyxl never evaluates a formula: a cell reads as the value the spreadsheet saved (none here).
    table = read_table(
        workbook_bytes([["Organisation", "Email"], ["=1+1", "a@x.example"], ["Beta", "b@x.example"]]), COLUMNS
    )
    assert [r.values["name"] for r in table.rows] == ["", "Beta"]


def test_xlsx_text_that_looks_like_a_formula_stays_text():
    book = Workbook()
    book.active.append(["Organisation", "Email"])
    book.active.append(["x", "a@x.example"])
    book.active["A2"].value = "=cmd"
    book.active["A2"].data_type = "s"
    out = io.BytesIO()
    book.save(out)
    assert read_table(out.getvalue(), COLUMNS).rows[0].values["name"] == "=cmd"


def test_offer_back_quotes_what_needs_it_in_the_inputs_separator():
    table = read_table('organisation,email\n"Wheatley Housing Group, Ltd",\nBeta,b@x.example\n', COLUMNS)
    assert offer_back(table.rows[:1], table.separator) == '"Wheatley Housing Group, Ltd",\n'
    again = read_table(offer_back(table.rows[:1], table.separator), COLUMNS)
    assert again.rows[0].values["name"] == "Wheatley Housing Group, Ltd"
    tabbed = read_table("organisation\temail\nA, B\ta@x.example\n", COLUMNS)
    assert offer_back(tabbed.rows, tabbed.separator) == "A, B\ta@x.example\n"
