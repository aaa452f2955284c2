"""Palette, page geometry, paragraph and table styles for the bid pack PDF."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from app.pdf import typeface

# Page geometry (A4 portrait).
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = MARGIN_RIGHT = 20 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 22 * mm
FRAME_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT

# A calm palette with good contrast on white.
NAVY = colors.HexColor("#1d3557")
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#cbd2d9")
ZEBRA = colors.HexColor("#f3f6f9")
PALE = colors.HexColor("#e8eef5")
ACCENT = colors.HexColor("#c8553d")  #: target lines and markers
TEAL = colors.HexColor("#2a7f84")  #: homes
GOOD = colors.HexColor("#1e6b38")
BAD = colors.HexColor("#a4262c")
WHITE = colors.white

#: Light to dark, for the coverage map; index 0 is "no homes covered".
SCALE = [
    colors.HexColor("#f1f3f5"),
    colors.HexColor("#cfe0f0"),
    colors.HexColor("#8db7dc"),
    colors.HexColor("#4a82b8"),
    colors.HexColor("#1d3557"),
]

# Embedded Unicode TrueType faces (app/pdf/typeface.py): every UK organisation's name prints as itself.
typeface.register()
FONT = typeface.REGULAR
BOLD = typeface.BOLD
OBLIQUE = typeface.ITALIC
MONO = typeface.MONO


def _style(name: str, **kw) -> ParagraphStyle:
    base = {"fontName": FONT, "fontSize": 10, "leading": 14, "textColor": INK, "alignment": TA_LEFT}
    return ParagraphStyle(name, **(base | kw))


COVER_KICKER = _style("CoverKicker", fontName=BOLD, fontSize=11, leading=14, textColor=colors.HexColor("#a8c5e2"))
COVER_TITLE = _style("CoverTitle", fontName=BOLD, fontSize=28, leading=33, textColor=WHITE, spaceAfter=6)
COVER_SUB = _style("CoverSub", fontSize=13, leading=17, textColor=WHITE)
COVER_LABEL = _style("CoverLabel", fontName=BOLD, fontSize=8, leading=10, textColor=MUTED)
COVER_VALUE = _style("CoverValue", fontSize=11, leading=14, spaceAfter=8)
COVER_HEADLINE = _style("CoverHeadline", fontSize=14, leading=19, textColor=NAVY)

H1 = _style("H1", fontName=BOLD, fontSize=18, leading=22, textColor=NAVY, spaceAfter=8, keepWithNext=1)
H2 = _style(
    "H2", fontName=BOLD, fontSize=12.5, leading=16, textColor=NAVY, spaceBefore=10, spaceAfter=5, keepWithNext=1
)
H3 = _style("H3", fontName=BOLD, fontSize=10.5, leading=13, textColor=NAVY, spaceBefore=8, spaceAfter=1)
BODY = _style("Body", spaceAfter=7)
SMALL = _style("Small", fontSize=8.5, leading=11, textColor=MUTED, spaceAfter=4)
NOTE = _style("Note", fontSize=8, leading=10, textColor=MUTED, spaceBefore=3, spaceAfter=8)
META = _style("Meta", fontSize=8.5, leading=11, textColor=MUTED, spaceAfter=3)
STATEMENT = _style("Statement", fontSize=9, leading=12.5, spaceAfter=4)
CELL = _style("Cell", fontSize=8, leading=10)
CELL_RIGHT = _style("CellRight", fontSize=8, leading=10, alignment=TA_RIGHT)
CELL_MONO = _style("CellMono", fontName=MONO, fontSize=7, leading=9)
CARD_LABEL = _style("CardLabel", fontName=BOLD, fontSize=8, leading=10, textColor=MUTED)
CARD_FIGURE = _style("CardFigure", fontName=BOLD, fontSize=17, leading=21, textColor=NAVY)
CARD_NOTE = _style("CardNote", fontSize=8.5, leading=11, textColor=INK)
TOC_ENTRY = _style("TocEntry", fontSize=10.5, leading=18)

CELL_FONT_SIZE = 8
CELL_PAD = 4


def data_table_style(
    numeric_cols: tuple[int, ...] = (), totals: bool = False, mono_cols: tuple[int, ...] = (), continued: bool = False
):
    """The one style for data tables: navy header, light zebra, hairlines, numbers right-aligned.

    One TableStyle per table (no per-row commands) keeps thousand-row tables fast. ``continued`` is for a
    table's continuation on a later page: the hairline above its first row, as reportlab's own split adds.
    """
    cmds = [
        ("FONT", (0, 0), (-1, -1), FONT, CELL_FONT_SIZE, 10),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("FONT", (0, 0), (-1, 0), BOLD, CELL_FONT_SIZE, 10),
        ("TEXTCOLOR", (0, 0), (-1, 0), WHITE),
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [WHITE, ZEBRA]),
        *([("LINEABOVE", (0, 1), (-1, 1), 0.25, RULE)] if continued else []),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for col in numeric_cols:
        cmds.append(("ALIGN", (col, 0), (col, -1), "RIGHT"))
    for col in mono_cols:
        cmds.append(("FONT", (col, 1), (col, -1), MONO, 6.3, 10))
    if totals:
        cmds += [
            ("FONT", (0, -1), (-1, -1), BOLD, CELL_FONT_SIZE, 10),
            ("BACKGROUND", (0, -1), (-1, -1), PALE),
            ("LINEABOVE", (0, -1), (-1, -1), 1, NAVY),
        ]
    return TableStyle(cmds)


def key_value_style() -> TableStyle:
    """Two-column label/value tables (thresholds, further details)."""
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), FONT, 9, 12),
            ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
    )
