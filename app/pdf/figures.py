"""Figures derived from a PackData for the documents: member order, regional split, the pledge timeline."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.pdf.data import PackData, PackMember, PackRegion, PackTimelinePoint
from app.pdf.text import display_line
from app.regions import REGIONS
from app.text import LONDON, london_date

_CODE_BY_NAME = {name: code for code, name in REGIONS.items()}
NO_REGION_CODE = "NONE"


def sorted_members(data: PackData) -> list[PackMember]:
    """Members by amount pledged, largest first; ties by name then identifier so the order is stable."""
    return sorted(
        data.members,
        key=lambda m: (-m.amount_pence, display_line(m.organisation_name).casefold(), m.identifier or ""),
    )


def region_rows(data: PackData) -> list[PackRegion]:
    """All twelve ITL1 regions in ONS order (zeros where nobody pledged), then any others given.

    Uses ``data.regions`` when the pack carries them; otherwise splits each pledge evenly across its
    regions, handing the odd pence and homes to the first regions so the totals add up exactly.
    """
    given = list(data.regions) if data.regions else _split_members(data)
    by_code = {r.code: r for r in given}
    rows = [by_code.pop(code, PackRegion(code, name, 0, 0, 0)) for code, name in REGIONS.items()]
    return rows + [r for r in given if r.code in by_code]


def _split_members(data: PackData) -> list[PackRegion]:
    money: dict[str, int] = {}
    homes: dict[str, int] = {}
    members: dict[str, int] = {}
    for member in data.members:
        codes = [_CODE_BY_NAME.get(name, name) for name in member.regions] or [NO_REGION_CODE]
        for i, code in enumerate(codes):
            money[code] = money.get(code, 0) + _share(member.amount_pence, len(codes), i)
            homes[code] = homes.get(code, 0) + _share(member.homes, len(codes), i)
            members[code] = members.get(code, 0) + 1
    names = dict(REGIONS) | {NO_REGION_CODE: "No region given"}
    return [PackRegion(code, names.get(code, code), money[code], homes[code], members[code]) for code in money]


def _share(total: int, parts: int, index: int) -> int:
    base, rem = divmod(total, parts)
    return base + (1 if index < rem else 0)


@dataclass(frozen=True)
class Timeline:
    """Cumulative pledged totals in time order, and whether they were derived from first-pledge times."""

    points: list[PackTimelinePoint]
    derived: bool


def timeline(data: PackData) -> Timeline:
    """The pack's timeline, or one rebuilt from members' first-pledge times and current amounts."""
    if data.timeline:
        return Timeline(sorted(data.timeline, key=lambda p: p.at), derived=False)
    points: list[PackTimelinePoint] = []
    running = 0
    for member in sorted(data.members, key=lambda m: m.pledged_at):
        running += member.amount_pence
        points.append(PackTimelinePoint(member.pledged_at, running))
    return Timeline(points, derived=True)


@dataclass(frozen=True)
class TimelineRow:
    """One period of the timeline table."""

    label: str
    change_pence: int
    cumulative_pence: int


def timeline_rows(points: list[PackTimelinePoint], max_rows: int = 16) -> list[TimelineRow]:
    """The timeline by day, or by week or month when there are too many days for a small table."""
    if not points:
        return []
    for period in ("day", "week", "month"):
        buckets: OrderedDict[date, int] = OrderedDict()
        for point in points:
            buckets[_period_start(point.at, period)] = point.cumulative_pence  # last value wins
        if len(buckets) <= max_rows or period == "month":
            break
    rows: list[TimelineRow] = []
    previous = 0
    items = list(buckets.items())
    if len(items) > max_rows:  # months still too many: keep the most recent
        previous = items[-max_rows - 1][1]
        items = items[-max_rows:]
    for start, cumulative in items:
        rows.append(TimelineRow(_period_label(start, period), cumulative - previous, cumulative))
        previous = cumulative
    return rows


def _period_start(at: datetime, period: str) -> date:
    day = at.astimezone(LONDON).date()
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _period_label(start: date, period: str) -> str:
    if period == "week":
        return "Week of " + london_date(start, "EEE d MMM yyyy")
    if period == "month":
        return london_date(start, "MMMM yyyy")
    return london_date(start, "EEE d MMM yyyy")
