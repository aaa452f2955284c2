"""Bid packs: a frozen, versioned snapshot of a bid as PDF, XLSX, CSV and ZIP, with digests and figures.

Raises NotFound (no such bid or pack for this user), InvalidTransition (a draft or cancelled bid has no
pack; a bid with an outcome still has one, showing it), and Conflict (a letter's stored file is missing or
altered, so the pack would be incomplete).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.exports import build_csv, build_xlsx, build_zip
from app.extensions import db
from app.infra import clock, files, storage
from app.models import Bid, BidOutcome, BidPack, BidStatus, Letter, Organisation, Pledge, PledgeRevision, User
from app.models.bid import OUTCOMES
from app.models.pledge import LIVE_STATUSES
from app.money import split_evenly
from app.pdf import build_pdf
from app.pdf.data import PackData, PackMember, PackOutcome, PackRegion, PackThreshold, PackTimelinePoint
from app.regions import REGIONS, region_names
from app.services import audit, body, letters, totals
from app.services.access import is_bid_convenor
from app.services.errors import Conflict, InvalidTransition, NotFound
from app.services.returns import evidence as returns_evidence

#: kind → file name in the pack's folder (and in the ZIP). The ZIP itself is stored beside them.
FILE_NAMES = {"pdf": "bid-pack.pdf", "xlsx": "pledges.xlsx", "csv": "pledges.csv", "zip": "bid-pack.zip"}
KIND_LABELS = {"pdf": "Bid pack (PDF)", "xlsx": "Pledges (Excel)", "csv": "Pledges (CSV)", "zip": "Everything (ZIP)"}
#: After the outcome a new version can still be made: it shows the outcome as recorded then.
GENERATES_IN = (BidStatus.OPEN, BidStatus.CLOSED, BidStatus.SUBMITTED, *OUTCOMES)
#: Figures compared between versions: key, label, kind (money or count).
FIGURES = (
    ("total_pence", "Total pledged", "money"),
    ("confirmed_pence", "Confirmed", "money"),
    ("indicative_pence", "Indicative", "money"),
    ("homes", "Homes covered", "count"),
    ("members", "Member organisations", "count"),
    ("letters", "Letters of commitment", "count"),
    ("in_grace", "Saved in the grace window", "count"),
)
MEMBER_FIELDS = ("amount_pence", "homes", "status", "regions", "letter_sha256", "in_grace")


def pack_key(bid_id: int, version: int) -> str:
    """The version's folder in file storage (app.infra.storage): ``packs/<bid>/<version>``."""
    return f"packs/{int(bid_id)}/{int(version)}"


def pack_dir(bid_id: int, version: int) -> Path:
    """The version's folder in the local backend, under PACK_DIR."""
    return Path(current_app.config["PACK_DIR"]) / str(bid_id) / str(version)


@storage.catalogue
def _stored_packs():
    for bid_id, version, stored in db.session.execute(sa.select(BidPack.bid_id, BidPack.version, BidPack.files)):
        for name, entry in (stored or {}).items():
            yield f"{pack_key(bid_id, version)}/{name}", entry["sha256"]


@dataclass(frozen=True)
class PackPlan:
    """What the next version will hold, read from the database (see ``prepare_pack``)."""

    data: PackData
    keys: list[tuple[int, list[str]]]
    letter_files: dict[str, bytes]


def generate_pack(actor: User, bid: Bid) -> BidPack:
    """Build every document of the next version from the database as it stands, store them, and record it.

    All in the caller's transaction. The web page and the API instead read (``prepare_pack``), end that
    transaction, build the documents (``build_documents``, seconds for a large bid) and then record them in
    a short write transaction (``record_pack``), so that building holds no lock: on SQLite a write
    transaction holds the whole database's write lock, and every pledge would wait for the PDF.
    """
    plan = prepare_pack(actor, bid)
    return record_pack(actor, bid, plan, build_documents(plan.data, plan.letter_files))


def prepare_pack(actor: User, bid: Bid) -> PackPlan:
    """Read everything the next version shows, numbered one past the latest. Only reads."""
    _check_can_generate(actor, bid)
    # One generation per bid at a time (PostgreSQL row lock; SQLite already serialises writers).
    db.session.execute(sa.select(Bid.id).where(Bid.id == bid.id).with_for_update())
    version = _latest_version(bid) + 1
    now = clock.now()
    members, keys, letter_files = _members(bid)
    # Regions and thresholds from the same rows as the members table, so every figure in the pack agrees.
    snapshot = totals.Totals(
        as_of=now,
        pledged_pence=sum(m.amount_pence for m in members),
        homes=sum(m.homes for m in members),
        members_pledged=len(members),
        target_pence=bid.target_pence,
        target_homes=bid.target_homes,
    )
    data = PackData(
        bid_id=bid.id,
        bid_title=bid.title,
        scheme=bid.scheme,
        funder_name=bid.funder_name,
        convenor_name=bid.organisation.name,
        case=bid.summary or "",
        terms=bid.terms or "",
        target_pence=bid.target_pence,
        target_homes=bid.target_homes,
        deadline=bid.deadline,
        generated_at=now,
        generated_by=f"{actor.name}, {actor.organisation.name}",
        version=version,
        members=tuple(members),
        thresholds=tuple(PackThreshold(t.label, t.required, t.actual, t.met) for t in totals.thresholds(bid, snapshot)),
        regions=tuple(regions(members, keys)),
        timeline=tuple(timeline(bid, until=now)),
        opened_at=bid.opened_at,
        body=body.pack_body(bid.organisation),
        evidence=returns_evidence.for_pack(bid, now),
        outcome=outcome_for_pack(bid),
    )
    return PackPlan(data=data, keys=keys, letter_files=letter_files)


def outcome_for_pack(bid: Bid) -> PackOutcome | None:
    """The bid's recorded outcome, frozen for the pack; None while it has none."""
    found = db.session.scalar(sa.select(BidOutcome).where(BidOutcome.bid_id == bid.id))
    if found is None:
        return None
    return PackOutcome(
        result=found.result,
        amount_awarded_pence=found.amount_awarded_pence,
        award_date=found.award_date,
        grant_reference=found.grant_reference,
        spend_by=found.spend_by,
        reason=found.reason or "",
    )


def record_pack(actor: User, bid: Bid, plan: PackPlan, documents: dict[str, bytes]) -> BidPack:
    """Store the built documents as the planned version and record it (the caller commits).

    Raises Conflict when another version was recorded since the plan was read (two convenors at once).
    """
    _check_can_generate(actor, bid)
    db.session.execute(sa.select(Bid.id).where(Bid.id == bid.id).with_for_update())
    data = plan.data
    if _latest_version(bid) >= data.version:
        raise Conflict(
            f"Version {data.version} of the bid pack was generated by someone else at the same moment. "
            "Generate the pack again to make the next version."
        )
    pack = BidPack(
        bid_id=bid.id,
        version=data.version,
        created_at=data.generated_at,
        created_by_id=actor.id,
        figures=figures_of(data, plan.keys, plan.letter_files),
        files={name: {"sha256": files.sha256(content), "size": len(content)} for name, content in documents.items()},
    )
    db.session.add(pack)
    db.session.flush()
    storage.store_folder(pack_key(bid.id, data.version), documents)
    audit.record(
        "pack.generated",
        actor=actor,
        bid=bid,
        subject=pack,
        after={"version": data.version, **{k: pack.figures[k] for k, _label, _kind in FIGURES}},
    )
    return pack


def _check_can_generate(actor: User, bid: Bid) -> None:
    if not is_bid_convenor(actor, bid):
        raise NotFound("No such bid.")
    if bid.status not in GENERATES_IN:
        raise InvalidTransition(f"A {bid.status} bid has no bid pack: open the bid first.")


def _latest_version(bid: Bid) -> int:
    return db.session.scalar(sa.select(sa.func.max(BidPack.version)).where(BidPack.bid_id == bid.id)) or 0


def build_documents(data: PackData, letter_files: dict[str, bytes]) -> dict[str, bytes]:
    """The four documents of a pack, by file name. Pure: data in, bytes out."""
    # Imported here so that the web app starts without loading reportlab and openpyxl until a pack is made.

    pdf = build_pdf(data, list(letter_files.items()))
    xlsx = build_xlsx(data)
    csv = build_csv(data)
    archive, _manifest = build_zip(
        {FILE_NAMES["pdf"]: pdf, FILE_NAMES["xlsx"]: xlsx, FILE_NAMES["csv"]: csv, **letter_files}, data
    )
    return {FILE_NAMES["pdf"]: pdf, FILE_NAMES["xlsx"]: xlsx, FILE_NAMES["csv"]: csv, FILE_NAMES["zip"]: archive}


def _members(bid: Bid) -> tuple[list[PackMember], list[tuple[int, list[str]]], dict[str, bytes]]:
    """Live pledges with their organisation and current letter, in one query. Released pledges (a lost or
    withdrawn bid's) are history, not money the bid holds: a pack generated after such an outcome lists none.

    Returns the members, each member's (organisation id, region codes) for comparing versions, and the
    letters' bytes by their name in the ZIP.
    """
    rows = db.session.execute(
        sa.select(Pledge, Organisation.name, Organisation.identifier, Letter.sha256)
        .join(Organisation, Organisation.id == Pledge.organisation_id)
        .outerjoin(Letter, sa.and_(Letter.pledge_id == Pledge.id, Letter.superseded_at.is_(None)))
        .where(Pledge.bid_id == bid.id, Pledge.status.in_(LIVE_STATUSES), Pledge.released_at.is_(None))
        .order_by(Pledge.amount_pence.desc(), Organisation.name, Pledge.id)
    ).all()
    members: list[PackMember] = []
    keys: list[tuple[int, list[str]]] = []
    letter_files: dict[str, bytes] = {}
    for pledge, name, identifier, digest in rows:
        entry = None
        if digest:
            try:
                content = letters.read_content(digest)
            except NotFound as exc:
                raise Conflict(f"The letter of commitment from {name} cannot be read: {exc.message}")
            entry = f"letters/{letters.download_name(name, digest)}"
            if entry in letter_files and letter_files[entry] != content:
                entry = f"letters/{letters.download_name(name, digest)[:-4]}-{pledge.id}.pdf"
            letter_files[entry] = content
        members.append(
            PackMember(
                organisation_name=name,
                identifier=identifier,
                regions=tuple(region_names(pledge.regions)),
                homes=pledge.homes,
                amount_pence=pledge.amount_pence,
                status=str(pledge.status),
                statement=pledge.statement or "",
                pledged_at=pledge.created_at,
                updated_at=pledge.updated_at,
                letter_sha256=digest,
                letter_filename=entry,
                in_grace=pledge.in_grace,
            )
        )
        keys.append((pledge.organisation_id, list(pledge.regions or [])))
    return members, keys, letter_files


def regions(members: list[PackMember], keys: list[tuple[int, list[str]]]) -> list[PackRegion]:
    """Money, homes and members per ITL1 region; a pledge is split evenly across its regions, to the penny."""
    by_code = {code: [0, 0, 0] for code in REGIONS}
    for member, (_organisation_id, codes) in zip(members, keys, strict=True):
        codes = [c for c in codes if c in by_code]
        shares = zip(
            codes,
            split_evenly(member.amount_pence, len(codes)),
            split_evenly(member.homes, len(codes)),
            strict=True,
        )
        for code, amount, homes in shares:
            by_code[code][0] += amount
            by_code[code][1] += homes
            by_code[code][2] += 1
    return [PackRegion(code, REGIONS[code], *figures) for code, figures in by_code.items()]


def timeline(bid: Bid, *, until: datetime | None = None) -> list[PackTimelinePoint]:
    """The cumulative live total after every pledge change: the running sum of each revision's recorded change
    to the total (``PledgeRevision.amount_change_pence``), in one query."""
    running = 0
    points: list[PackTimelinePoint] = []
    for at, change in db.session.execute(
        sa.select(PledgeRevision.created_at, PledgeRevision.amount_change_pence)
        .where(PledgeRevision.bid_id == bid.id, PledgeRevision.created_at <= (until or clock.now()))
        .order_by(PledgeRevision.created_at, PledgeRevision.id)
    ):
        running += change
        points.append(PackTimelinePoint(at, running))
    return points


def figures_of(data: PackData, keys: list[tuple[int, list[str]]], letter_files: dict[str, bytes]) -> dict:
    """The figures a pack records: headline numbers, each member as it stood, and the letters it carries."""
    member_list = []
    for m, (organisation_id, region_codes) in zip(data.members, keys, strict=True):
        member_list.append(
            {
                "organisation_id": organisation_id,
                "name": m.organisation_name,
                "identifier": m.identifier,
                "amount_pence": m.amount_pence,
                "homes": m.homes,
                "status": m.status,
                "regions": region_codes,
                "letter_sha256": m.letter_sha256,
                "in_grace": m.in_grace,
            }
        )
    owners = {m.letter_filename: m.organisation_name for m in data.members if m.letter_filename}
    return {
        "total_pence": data.total_pence,
        "confirmed_pence": data.confirmed_pence,
        "indicative_pence": data.indicative_pence,
        "homes": data.total_homes,
        "members": len(data.members),
        "letters": len(letter_files),
        "in_grace": sum(1 for m in data.members if m.in_grace),
        "target_pence": data.target_pence,
        "target_homes": data.target_homes,
        "thresholds": [
            {"label": t.label, "met": t.met, "required": t.required, "actual": t.actual} for t in data.thresholds
        ],
        "member_list": member_list,
        "letter_files": [
            {"name": name, "sha256": files.sha256(content), "size": len(content), "organisation": owners.get(name, "")}
            for name, content in sorted(letter_files.items())
        ],
    }


def packs_for(actor: User, bid: Bid) -> list[BidPack]:
    """Every version of the bid's pack, newest first (convenors only)."""
    if not is_bid_convenor(actor, bid):
        raise NotFound("No such bid.")
    return list(db.session.scalars(sa.select(BidPack).where(BidPack.bid_id == bid.id).order_by(BidPack.version.desc())))


def get_pack(actor: User, bid: Bid, version: int) -> BidPack:
    if not is_bid_convenor(actor, bid):
        raise NotFound("No such bid.")
    pack = db.session.scalar(sa.select(BidPack).where(BidPack.bid_id == bid.id, BidPack.version == version))
    if pack is None:
        raise NotFound("No such version of the bid pack.")
    return pack


def read_file(pack: BidPack, kind: str) -> bytes:
    """A stored document of the pack, checked against the digest recorded when it was generated."""
    return _stored(storage.read, pack, kind)


def stream_file(pack: BidPack, kind: str) -> storage.Opened:
    """A stored document of the pack checked against its digest, to stream in chunks (NotFound as ``read_file``)."""
    return _stored(storage.open_verified, pack, kind)


def _stored(reader, pack: BidPack, kind: str):
    name = FILE_NAMES.get(kind)
    if name is None or name not in pack.files:
        raise NotFound("No such file in this bid pack.")
    try:
        return reader(f"{pack_key(pack.bid_id, pack.version)}/{name}", pack.files[name]["sha256"])
    except storage.FileMissing:
        raise NotFound("This bid pack's file is missing from storage.") from None
    except storage.FileDamaged:
        raise NotFound("This bid pack's file in storage does not match its recorded digest.") from None


def download_name(bid: Bid, pack: BidPack, kind: str) -> str:
    stem = files.slug(bid.title, fallback="bid")
    return f"{stem}-v{pack.version}-{FILE_NAMES[kind]}"


@dataclass
class Changes:
    """What changed from one pack version to the next."""

    figures: list[tuple[str, str, int, int]] = field(default_factory=list)  #: label, kind, before, after
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[tuple[dict, dict, list[str]]] = field(default_factory=list)  #: before, after, fields

    @property
    def none(self) -> bool:
        return not (self.figures or self.added or self.removed or self.changed)


def compare(previous: BidPack, pack: BidPack) -> Changes:
    """Figures that moved, and members added, removed or changed between two versions."""
    changes = Changes()
    for key, label, kind in FIGURES:
        before, after = previous.figures.get(key, 0), pack.figures.get(key, 0)
        if before != after:
            changes.figures.append((label, kind, before, after))
    old = {_member_key(m): m for m in previous.figures.get("member_list", [])}
    new = {_member_key(m): m for m in pack.figures.get("member_list", [])}
    changes.added = [m for key, m in new.items() if key not in old]
    changes.removed = [m for key, m in old.items() if key not in new]
    for key, after in new.items():
        before = old.get(key)
        if before is not None:
            moved = [f for f in MEMBER_FIELDS if before.get(f) != after.get(f)]
            if moved:
                changes.changed.append((before, after, moved))
    return changes


def _member_key(member: dict):
    return member.get("organisation_id") or member.get("name")


def history(actor: User, bid: Bid) -> list[tuple[BidPack, Changes | None]]:
    """Each version, newest first, with what changed since the version before it."""
    packs = packs_for(actor, bid)
    return [(pack, compare(packs[i + 1], pack) if i + 1 < len(packs) else None) for i, pack in enumerate(packs)]
