"""The convenor's members table, one page at a time: sorted and searched in SQL, 50 rows a page, in two queries
whatever the number of members (the page's counts, then its rows). The totals row comes from
``totals.compute`` (every member, not just the page). Raises nothing: callers check access first.

What the query string may ask for (``MemberQuery.from_args``), and what happens to anything else:

- ``sort``: ``amount`` (default, largest first), ``name`` (A to Z), ``homes`` (most first) or ``updated``
  (latest first); anything else sorts by amount and says so.
- ``dir``: ``asc`` or ``desc`` reverses or keeps a sort's own direction; anything else is ignored.
- ``q``: part of an organisation's name or identifier, any case; longer than ``MAX_SEARCH`` characters it
  is not applied, and the page says so.
- ``page``: a whole number from 1; beyond the last page it shows the last, below 1 or not a number the first,
  and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import Bid, Letter, Organisation, Pledge
from app.models.pledge import LIVE_STATUSES
from app.services import totals
from app.services.totals import MemberRow

PAGE_SIZE = 50
MAX_SEARCH = 100
#: sort key → whether it runs largest / latest / Z first by default
SORTS = {"amount": True, "name": False, "homes": True, "updated": True}
SORT_WORDS = {"amount": "amount", "name": "organisation name", "homes": "homes", "updated": "last changed"}


@dataclass(frozen=True)
class MemberQuery:
    """What the page asked the members table for, already checked; ``notes`` say what was not understood."""

    sort: str = "amount"
    descending: bool = True
    q: str = ""
    page: int = 1
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_args(cls, args) -> MemberQuery:
        notes = []
        sort = args.get("sort") or "amount"
        if sort not in SORTS:
            notes.append("That sort order is not one this table offers: sorted by amount, largest first.")
            sort = "amount"
        direction = args.get("dir")
        descending = SORTS[sort] if direction not in ("asc", "desc") else direction == "desc"
        q = " ".join((args.get("q") or "").split())
        if len(q) > MAX_SEARCH:
            notes.append(f"Search: enter at most {MAX_SEARCH} characters; this search is not applied.")
            q = ""
        raw = (args.get("page") or "1").strip()
        page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
        if page < 1:
            notes.append("That page number is not a whole number from 1: showing the first page.")
            page = 1
        return cls(sort, descending, q, page, tuple(notes))

    def args(self, **changes) -> dict:
        """Query-string arguments for a link to this view with ``changes``, defaults left out."""
        values = {
            "sort": self.sort if self.sort != "amount" else "",
            "dir": ("desc" if self.descending else "asc") if self.descending != SORTS[self.sort] else "",
            "q": self.q,
            "page": self.page if self.page > 1 else "",
        } | changes
        return {k: v for k, v in values.items() if v not in ("", None)}

    def sort_args(self, key: str) -> dict:
        """The link for a column heading: its own direction first, reversed when it is already the sort."""
        descending = not self.descending if key == self.sort else SORTS[key]
        direction = "" if descending == SORTS[key] else ("desc" if descending else "asc")
        return self.args(sort="" if key == "amount" else key, dir=direction, page="")

    @property
    def key(self) -> tuple:
        """Views with the same key show the same rows (for caches of rendered pages)."""
        return (self.sort, self.descending, self.q.casefold(), self.page)

    @property
    def sorted_words(self) -> str:
        order = {
            "amount": ("smallest first", "largest first"),
            "name": ("A to Z", "Z to A"),
            "homes": ("fewest first", "most first"),
            "updated": ("earliest first", "latest first"),
        }[self.sort][self.descending]
        return f"{SORT_WORDS[self.sort]}, {order}"


@dataclass
class MemberPage:
    rows: list[MemberRow]
    query: MemberQuery
    matching: int  #: members matching the search (all of them without one)
    members: int  #: every member with a live pledge
    letters: int  #: of those, how many have a current letter
    page: int  #: the page shown (the last when a later one was asked for)
    pages: int
    notes: list[str] = field(default_factory=list)  #: what in the query was not understood, and what was done
    per_page: int = PAGE_SIZE

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.matching else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _matches(q: str):
    if not q:
        return sa.true()
    like = "%" + q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(
        sa.func.lower(Organisation.name).like(like, escape="\\"),
        sa.func.lower(sa.func.coalesce(Organisation.identifier, "")).like(like, escape="\\"),
    )


def _order(query: MemberQuery) -> list:
    column = {
        "amount": Pledge.amount_pence,
        "name": sa.func.lower(Organisation.name),
        "homes": Pledge.homes,
        "updated": Pledge.updated_at,
    }[query.sort]
    primary = column.desc() if query.descending else column.asc()
    return [primary, sa.func.lower(Organisation.name), Pledge.id]


def member_page(bid: Bid, query: MemberQuery | None = None, *, per_page: int = PAGE_SIZE) -> MemberPage:
    """One page of the bid's live pledges with their organisations (two queries: the counts, read from the
    pledges and the bid's letters without the organisations unless there is a search, then the page's rows). A
    page beyond the last shows the last, with a note saying so."""
    query = query or MemberQuery()
    live = sa.and_(Pledge.bid_id == bid.id, Pledge.status.in_(LIVE_STATUSES))
    with_letter = (
        sa.select(sa.func.count(sa.distinct(Letter.pledge_id)))
        .join(Pledge, Pledge.id == Letter.pledge_id)
        .where(Letter.bid_id == bid.id, Letter.superseded_at.is_(None), live)
        .scalar_subquery()
    )
    counts = sa.select(sa.func.count(), with_letter).select_from(Pledge).where(live)
    if query.q:  # the organisations' names are read only for a search
        matches = _matches(query.q)
        counts = counts.add_columns(sa.func.coalesce(sa.func.sum(sa.case((matches, 1), else_=0)), 0)).join(
            Organisation, Organisation.id == Pledge.organisation_id
        )
    members, letters, *searched = db.session.execute(counts).one()
    matching = searched[0] if searched else members
    pages = max(1, math.ceil(int(matching) / per_page))
    page, notes = min(query.page, pages), list(query.notes)
    if query.page > pages:
        notes.append(f"There is no page {query.page}: showing the last page, {pages} of {pages}.")
    rows = db.session.execute(
        totals.member_columns()
        .join(Organisation, Organisation.id == Pledge.organisation_id)
        .where(live, _matches(query.q))
        .order_by(*_order(query))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return MemberPage(
        [totals.member_row(r) for r in rows],
        query,
        int(matching),
        int(members),
        int(letters),
        page,
        pages,
        notes,
        per_page,
    )


def row_for(bid: Bid, organisation_id: int) -> MemberRow | None:
    """One organisation's row as the table shows it, or None without a live pledge (one query): for replacing
    a single row of a page already shown."""
    rows = totals.member_rows(bid, organisation_id=organisation_id)
    return rows[0] if rows else None
