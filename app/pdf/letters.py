"""The letters of commitment in the bid pack: the table of letters, and a divider page before each bound letter."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.platypus import CondPageBreak, LongTable, PageBreak, Paragraph, Spacer, Table

from app.money import format_pence
from app.pdf.binding import BoundLetter
from app.pdf.data import PackData, PackMember
from app.pdf.figures import sorted_members
from app.pdf.layout import PageRef, anchor
from app.pdf.paged import PagedTable
from app.pdf.sections import CELL_LEADING, CELL_PAD_Y, cell
from app.pdf.styles import (
    BODY,
    BOLD,
    CELL,
    COVER_KICKER,
    FRAME_WIDTH,
    H1,
    H2,
    MONO,
    MUTED,
    NOTE,
    data_table_style,
    key_value_style,
)
from app.pdf.text import display_line, markup
from app.text import compact_count, format_count

WIDTHS = [104, 88, 240, 50]  #: the digest needs 240 pt in 6 pt mono; "Not bound" needs 50
HEAD = CELL.clone("LetterHead", fontName=BOLD, textColor="white")
NAME_STYLE = H1.clone("DividerName", fontSize=22, leading=27, spaceAfter=14)
KICKER = COVER_KICKER.clone("DividerKicker", textColor=MUTED, fontSize=9, leading=12)
DIGEST = BODY.clone("Digest", fontName=MONO, fontSize=8.5, leading=11, spaceAfter=0)
VALUE = BODY.clone("DividerValue", fontSize=9, leading=12, spaceAfter=0)  #: the size of key_value_style's cells


def _page_cell(letter: BoundLetter | None):
    if letter is None:  # the file did not come with the data (only when a caller passes no letters)
        return "—"
    return PageRef(letter.key) if letter.bound else "Not bound"


def bound_in(letters: list[BoundLetter]) -> list[BoundLetter]:
    return [letter for letter in letters if letter.bound]


def table(data: PackData, letters: list[BoundLetter]) -> list:
    """Every member's letter with its SHA-256 and the page where it is bound in; letters not bound, with why."""
    story: list = [
        CondPageBreak(160),
        Spacer(1, 10),
        anchor(Paragraph("Letters of commitment", H1), "letters", "Letters of commitment"),
    ]
    by_digest = {letter.sha256: letter for letter in letters}
    with_letter = [m for m in sorted_members(data) if m.letter_sha256]
    missing = len(data.members) - len(with_letter)
    bound = bound_in(letters)
    intro = (
        f"{format_count(len(with_letter))} of {format_count(len(data.members))} members have uploaded a letter of "
        "commitment. The SHA-256 digest identifies each file exactly: a copy whose digest matches is the letter "
        "the member uploaded."
    )
    if missing:
        intro += f" {format_count(missing)} members have not uploaded one yet."
    if bound:
        intro += (
            f" {format_count(len(bound))} letters are bound in at the end of this pack, each after a divider page "
            "naming the organisation, its pledge and the digest; the page column says where."
        )
    story.append(Paragraph(intro, BODY))
    if with_letter:
        rows = [[Paragraph(h, HEAD) for h in ("Organisation", "File", "SHA-256", "Page")]]
        for m in with_letter:
            rows.append(
                [
                    cell(display_line(m.organisation_name, 300), WIDTHS[0]),
                    cell(display_line(m.letter_filename, 120) or "—", WIDTHS[1]),
                    m.letter_sha256.lower(),
                    _page_cell(by_digest.get(m.letter_sha256.lower())),
                ]
            )
        styles = {continued: data_table_style((3,), mono_cols=(2,), continued=continued) for continued in (False, True)}
        for style in styles.values():
            style.add("FONT", (2, 1), (2, -1), MONO, 6, 10)

        def make_table(part: list[list], _last: bool, continued: bool) -> LongTable:
            return LongTable(part, colWidths=WIDTHS, repeatRows=1, style=styles[continued], hAlign="LEFT")

        story.append(PagedTable(rows[0], rows[1:], make_table, line_height=CELL_LEADING, padding=2 * CELL_PAD_Y))
    others = [letter for letter in letters if letter.member is None]
    if others:
        rows = [[Paragraph(h, HEAD) for h in ("File", "Size", "SHA-256", "Page")]]
        for letter in others:
            rows.append(
                [
                    cell(display_line(letter.name, 120), WIDTHS[0]),
                    f"{compact_count(len(letter.content))}B",
                    letter.sha256,
                    _page_cell(letter),
                ]
            )
        style = data_table_style((1, 3), mono_cols=(2,))
        style.add("FONT", (2, 1), (2, -1), MONO, 6, 10)
        story += [
            Paragraph("Other files supplied with this pack", H2),
            Paragraph("No member's current letter has these digests (No matching member).", BODY),
            LongTable(rows, colWidths=WIDTHS, repeatRows=1, style=style, hAlign="LEFT"),
        ]
    refused = [letter for letter in letters if not letter.bound]
    if refused:
        story.append(Paragraph("Letters not bound in", H2))
        for letter in refused:
            who = display_line(letter.member.organisation_name, 200) if letter.member else "No matching member"
            story.append(
                Paragraph(
                    f"<b>{escape(who)}</b> ({escape(display_line(letter.name, 120))}): not bound in because "
                    f"{escape(letter.reason or '')}. The file travels unchanged in the ZIP bid pack.",
                    BODY,
                )
            )
    return story


def _pledge_text(member: PackMember) -> str:
    status = "confirmed" if member.status == "confirmed" else "indicative"
    return f"{format_pence(member.amount_pence)} ({status}), covering {format_count(member.homes)} homes"


def dividers(letters: list[BoundLetter]) -> list:
    """A divider page before each bound letter, with a bookmark per organisation; the letters follow them."""
    bound = bound_in(letters)
    story: list = []
    for number, letter in enumerate(bound, start=1):
        member = letter.member
        name = display_line(member.organisation_name, 300) if member else "No matching member"
        if number > 1:
            story.append(PageBreak())
        else:
            story.append(anchor(Spacer(1, 0), "bound", "Letters of commitment, bound in", closed=True))
        rows = [
            ["Organisation", Paragraph(markup(name), VALUE)],
            ["Identifier", display_line(member.identifier, 80) if member and member.identifier else "—"],
            ["Pledge", _pledge_text(member) if member else "—"],
            ["File", Paragraph(markup(display_line(letter.name, 150)), VALUE)],
            ["SHA-256", Paragraph(letter.sha256, DIGEST)],
            ["Pages", f"{letter.pages} page{'' if letter.pages == 1 else 's'}, following this one"],
        ]
        story += [
            Spacer(1, 90),
            Paragraph(f"LETTER OF COMMITMENT {number} OF {len(bound)}", KICKER),
            anchor(
                Paragraph(markup(name), NAME_STYLE), letter.key, display_line(name, 120), 1, insert_after=letter.pages
            ),
            Table(rows, colWidths=[90, FRAME_WIDTH - 90], style=key_value_style(), hAlign="LEFT"),
            Spacer(1, 12),
            Paragraph(
                "The pages that follow are the letter exactly as the member uploaded it. Its SHA-256 digest above "
                "matches the file of the same name in the ZIP bid pack.",
                NOTE,
            ),
        ]
    return story
