"""A convening body's directory: the filtered, sorted, paginated list; one organisation's page and history.

Only the body's convenors see its directory; a member sees its own organisation's entries. Raises
PermissionDenied (not a convenor) and NotFound (another body's entry, or one the member is not).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from app.extensions import db
from app.models import (
    LIVE_STATUSES,
    Bid,
    DirectoryContact,
    DirectoryEntry,
    DirectoryTag,
    Invitation,
    Letter,
    Organisation,
    Pledge,
    User,
    entry_invitations,
    entry_tags,
)
from app.services.errors import NotFound, PermissionDenied

PAGE_SIZE = 50
SORTS = ("name", "identifier", "homes", "bids", "pledged", "added")


@dataclass
class Filter:
    """What the convenor asked the list for; the same on the page, the export, the API and inviting."""

    q: str = ""
    tag: str = ""
    region: str = ""
    pledged: str = ""  #: "yes", "no" or "" (either)
    sort: str = "name"
    descending: bool = False
    page: int = 1
    ids: list[int] | None = None  #: hand-picked entries

    @classmethod
    def from_args(cls, args) -> Filter:
        sort = args.get("sort", "name")
        try:
            page = max(1, int(args.get("page", 1)))
        except (TypeError, ValueError):
            page = 1
        return cls(
            q=(args.get("q") or "").strip()[:200],
            tag=(args.get("tag") or "").strip()[:80],
            region=(args.get("region") or "").strip()[:4],
            pledged=args.get("pledged") if args.get("pledged") in ("yes", "no") else "",
            sort=sort if sort in SORTS else "name",
            descending=args.get("dir") == "desc",
            page=page,
        )

    def args(self, **changes) -> dict:
        """Query-string arguments for a link to this filter with ``changes``, blanks left out."""
        values = {
            "q": self.q,
            "tag": self.tag,
            "region": self.region,
            "pledged": self.pledged,
            "sort": self.sort if self.sort != "name" else "",
            "dir": "desc" if self.descending else "",
            "page": self.page if self.page > 1 else "",
        } | changes
        return {k: v for k, v in values.items() if v not in ("", None)}


@dataclass
class Row:
    entry: DirectoryEntry
    name: str
    identifier: str | None
    homes: int | None
    regions: list[str]
    bids: int
    pledged_pence: int
    primary: DirectoryContact | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Page:
    rows: list[Row]
    total: int
    page: int
    pages: int
    filter: Filter


def body_of(actor: User) -> int:
    """The convening body whose directory ``actor`` works in. Raises PermissionDenied for anyone else."""
    if not actor.is_convenor:
        raise PermissionDenied("Only a convening body's convenors see its directory.")
    return actor.organisation_id


def _columns(body_id: int):
    org = aliased(Organisation)
    linked = DirectoryEntry.organisation_id.is_not(None)
    name = sa.case((linked, org.name), else_=DirectoryEntry.name)
    identifier = sa.case((linked, org.identifier), else_=DirectoryEntry.identifier)
    homes = sa.case((linked, org.homes_owned), else_=DirectoryEntry.homes_owned)
    regions = sa.case((linked, org.regions), else_=DirectoryEntry.regions)
    bids = (
        sa.select(sa.func.count(sa.distinct(Invitation.bid_id)))
        .join(entry_invitations, entry_invitations.c.invitation_id == Invitation.id)
        .where(entry_invitations.c.entry_id == DirectoryEntry.id)
        .scalar_subquery()
    )
    pledged = (
        # cast: PostgreSQL's sum of a bigint is numeric, and money is integer pence
        sa.select(sa.cast(sa.func.coalesce(sa.func.sum(Pledge.amount_pence), 0), sa.BigInteger))
        .join(Bid, Bid.id == Pledge.bid_id)
        .where(
            Pledge.organisation_id == DirectoryEntry.organisation_id,
            Bid.organisation_id == body_id,
            Pledge.status.in_(LIVE_STATUSES),
        )
        .scalar_subquery()
    )
    return org, {
        "name": name,
        "identifier": identifier,
        "homes": homes,
        "regions": regions,
        "bids": bids,
        "pledged": pledged,
    }


def filtered(body_id: int, flt: Filter):
    """(select of DirectoryEntry with its shown columns, the columns) for the body's entries matching ``flt``."""
    org, cols = _columns(body_id)
    query = (
        sa.select(DirectoryEntry, *(c.label(k) for k, c in cols.items()))
        .outerjoin(org, org.id == DirectoryEntry.organisation_id)
        .where(DirectoryEntry.body_id == body_id)
        # each page's contacts and tags in one query apiece, whatever the page's length
        .options(selectinload(DirectoryEntry.contacts), selectinload(DirectoryEntry.tags))
    )
    if flt.ids is not None:
        query = query.where(DirectoryEntry.id.in_(flt.ids))
    if flt.q:
        like = f"%{flt.q.casefold()}%"
        contact = sa.exists().where(
            DirectoryContact.entry_id == DirectoryEntry.id, sa.func.lower(DirectoryContact.email).like(like)
        )
        query = query.where(
            sa.or_(
                sa.func.lower(cols["name"]).like(like),
                sa.func.lower(sa.func.coalesce(cols["identifier"], "")).like(like),
                contact,
            )
        )
    if flt.tag:
        query = query.where(
            sa.exists()
            .where(entry_tags.c.entry_id == DirectoryEntry.id)
            .where(DirectoryTag.id == entry_tags.c.tag_id, DirectoryTag.name_key == flt.tag.casefold())
        )
    if flt.region:
        query = query.where(sa.cast(cols["regions"], sa.Text).like(f'%"{flt.region}"%'))
    if flt.pledged == "yes":
        query = query.where(cols["pledged"] > 0)
    elif flt.pledged == "no":
        query = query.where(cols["pledged"] == 0)
    return query, cols


def list_entries(actor: User, flt: Filter, *, per_page: int = PAGE_SIZE) -> Page:
    """One page of the actor's body's directory. Raises PermissionDenied for a non-convenor."""
    body_id = body_of(actor)
    query, cols = filtered(body_id, flt)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    flt.page = min(flt.page, pages)
    rows = _rows(db.session.execute(_ordered(query, cols, flt).limit(per_page).offset((flt.page - 1) * per_page)))
    _fill(rows)
    return Page(rows, total, flt.page, pages, flt)


def all_entries(actor: User, flt: Filter) -> list[Row]:
    """Every entry matching the filter, in its order (for the export and for inviting)."""
    query, cols = filtered(body_of(actor), flt)
    rows = _rows(db.session.execute(_ordered(query, cols, flt)))
    _fill(rows)
    return rows


def _ordered(query, cols, flt: Filter):
    key = {"added": DirectoryEntry.id}.get(flt.sort) or cols[flt.sort]
    if flt.sort == "name":
        key = sa.func.lower(key)
    primary = key.desc() if flt.descending else key.asc()
    return query.order_by(primary.nulls_last() if flt.sort in ("identifier", "homes") else primary, DirectoryEntry.id)


def _rows(result) -> list[Row]:
    return [
        Row(r[0], r.name, r.identifier, r.homes, list(r.regions or []), int(r.bids or 0), int(r.pledged or 0))
        for r in result
    ]


def _fill(rows: list[Row]) -> None:
    """The primary contact and the tags of each row (loaded with the page)."""
    for row in rows:
        row.primary = row.entry.primary_contact
        row.tags = [t.name for t in row.entry.tags]


def tags_of(actor: User) -> list[DirectoryTag]:
    return list(
        db.session.scalars(
            sa.select(DirectoryTag).where(DirectoryTag.body_id == body_of(actor)).order_by(DirectoryTag.name)
        )
    )


def get_entry(actor: User, entry_id: int, *, convenor: bool = False) -> DirectoryEntry:
    """The entry, for its body's convenors or (unless ``convenor``) its own organisation's members.

    Raises NotFound for anyone else (another body's convenor included), PermissionDenied for a member asking
    for a convenor's action on their own entry.
    """
    entry = db.session.get(
        DirectoryEntry, entry_id, options=[selectinload(DirectoryEntry.contacts), selectinload(DirectoryEntry.tags)]
    )
    if entry is None:
        raise NotFound("No such organisation in your directory.")
    if actor.is_convenor and entry.body_id == actor.organisation_id:
        return entry
    if not actor.is_convenor and entry.organisation_id == actor.organisation_id:
        if convenor:
            raise PermissionDenied("Only the convening body's convenors can change its directory.")
        return entry
    raise NotFound("No such organisation in your directory.")


def entries_of_member(actor: User) -> list[DirectoryEntry]:
    """The directory entries of the actor's own organisation, one per convening body it works with."""
    return list(
        db.session.scalars(
            sa.select(DirectoryEntry)
            .where(DirectoryEntry.organisation_id == actor.organisation_id)
            .order_by(DirectoryEntry.id)
        )
    )


@dataclass
class HistoryRow:
    bid: Bid
    invitation: Invitation | None
    pledge: Pledge | None
    letters: int

    @property
    def released_at(self):
        """When the pledge was released (its bid lost or withdrawn); None while the bid holds it."""
        return self.pledge.released_at if self.pledge else None


@dataclass
class History:
    rows: list[HistoryRow]
    invited: int
    responded: int
    pledged_pence: int
    homes: int
    #: of ``pledged_pence``: pledges released because their bid was lost or withdrawn (kept as history)
    released_pence: int = 0
    released: int = 0


def history(entry: DirectoryEntry) -> History:
    """The organisation's history across its body's bids: invitation, response, pledge (released ones too, marked
    as such), letters; with totals."""
    invitations = {
        inv.bid_id: inv
        for inv in db.session.scalars(
            sa.select(Invitation)
            .join(entry_invitations, entry_invitations.c.invitation_id == Invitation.id)
            .where(entry_invitations.c.entry_id == entry.id)
            .order_by(Invitation.id)
        )
    }
    pledges, letters = {}, {}
    if entry.organisation_id:
        pledges = {
            p.bid_id: p
            for p in db.session.scalars(
                sa.select(Pledge)
                .join(Bid, Bid.id == Pledge.bid_id)
                .where(Pledge.organisation_id == entry.organisation_id, Bid.organisation_id == entry.body_id)
            )
        }
        letters = dict(
            db.session.execute(
                sa.select(Letter.bid_id, sa.func.count())
                .join(Bid, Bid.id == Letter.bid_id)
                .where(
                    Letter.organisation_id == entry.organisation_id,
                    Bid.organisation_id == entry.body_id,
                    Letter.superseded_at.is_(None),
                )
                .group_by(Letter.bid_id)
            ).all()
        )
    bid_ids = set(invitations) | set(pledges)
    bids = (
        db.session.scalars(sa.select(Bid).where(Bid.id.in_(bid_ids)).order_by(Bid.deadline.desc())) if bid_ids else []
    )
    rows = [HistoryRow(b, invitations.get(b.id), pledges.get(b.id), letters.get(b.id, 0)) for b in bids]
    live = [r.pledge for r in rows if r.pledge and r.pledge.status in LIVE_STATUSES]
    return History(
        rows,
        invited=len(invitations),
        responded=sum(1 for i in invitations.values() if i.responded_at is not None),
        pledged_pence=sum(p.amount_pence for p in live),
        homes=sum(p.homes for p in live),
        released_pence=sum(p.amount_pence for p in live if p.released_at is not None),
        released=sum(1 for p in live if p.released_at is not None),
    )
