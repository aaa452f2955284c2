"""Pledges: make, amend, confirm and withdraw, with optimistic locking and the deadline clock.

Raises ValidationFailed, StaleVersion, BidNotOpen, NotFound and PermissionDenied.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import notifications
from app.extensions import db
from app.infra import clock, metrics
from app.infra.after_commit import after_commit
from app.models import Bid, Pledge, PledgeRevision, PledgeStatus, User
from app.money import MAX_PENCE, format_pence
from app.regions import normalise_regions
from app.services import audit
from app.services.access import is_bid_convenor, is_bid_member
from app.services.errors import BidNotOpen, NotFound, PermissionDenied, StaleVersion, ValidationFailed, require

MAX_STATEMENT = 5000
MAX_HOMES = 10_000_000
FIELDS = ("amount_pence", "homes", "regions", "statement", "status", "accept_terms")


def current_pledge(bid: Bid, organisation_id: int) -> Pledge | None:
    """The organisation's pledge row for the bid (live or withdrawn), if any."""
    return db.session.scalar(_current_query(), {"bid_id": bid.id, "organisation_id": organisation_id})


@functools.cache
def _current_query() -> sa.Select:
    """An organisation's pledge to a bid (built once, the two ids as parameters)."""
    return sa.select(Pledge).where(
        Pledge.bid_id == sa.bindparam("bid_id"), Pledge.organisation_id == sa.bindparam("organisation_id")
    )


def check_open(bid: Bid, now: datetime, *, started: bool) -> bool:
    """Whether a pledge write is allowed now; returns True when it falls in the grace window.

    The clock decides, whatever the stored status says: at or after the deadline writes are refused,
    except during a grace window for organisations that had started before the deadline. ``now`` is the
    moment the write reached the server (``clock.received_at``), so "before the deadline" means received
    strictly before it.
    """
    if not bid.is_open:
        raise BidNotOpen(f"This bid is {bid.status}: pledges can no longer be made or changed.")
    if bid.takes_pledges_from(now, started=started):
        return bid.in_grace_at(now)
    raise BidNotOpen(
        f"The deadline passed at {clock.format_uk(bid.deadline)}: pledges can no longer be made or changed. "
        "Contact the convenor if you think this is wrong."
    )


def validate(values: dict[str, Any], bid: Bid) -> dict[str, Any]:
    """Check pledge values against the bid's rules; messages per field."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(FIELDS))
    for name in unknown:
        errors[name] = ["Unknown field."]
    amount = values.get("amount_pence")
    if amount is None:
        errors.setdefault("amount_pence", []).append("Enter the amount your organisation pledges.")
    elif isinstance(amount, bool) or not isinstance(amount, int):
        errors.setdefault("amount_pence", []).append("The amount must be a whole number of pence.")
    elif amount <= 0:
        errors.setdefault("amount_pence", []).append("The amount must be more than £0.")
    elif amount > MAX_PENCE:
        errors.setdefault("amount_pence", []).append("That amount is too large to be a real pledge.")
    elif bid.min_pledge_pence and amount < bid.min_pledge_pence:
        errors.setdefault("amount_pence", []).append(
            f"The minimum pledge for this bid is {format_pence(bid.min_pledge_pence)}."
        )
    homes = values.get("homes")
    if homes is None:
        errors.setdefault("homes", []).append("Enter the number of homes the pledge covers.")
    elif isinstance(homes, bool) or not isinstance(homes, int):
        errors.setdefault("homes", []).append("Enter the number of homes as a whole number.")
    elif homes < 0:
        errors.setdefault("homes", []).append("The number of homes cannot be negative.")
    elif homes > MAX_HOMES:
        errors.setdefault("homes", []).append("That is more homes than any organisation owns.")
    regions = values.get("regions")
    clean_regions: list[str] = []
    if not isinstance(regions, list) or not regions:
        errors.setdefault("regions", []).append("Choose at least one region the pledge covers.")
    else:
        try:
            clean_regions = normalise_regions(
                [r for r in regions if isinstance(r, str)]
                if all(isinstance(r, str) for r in regions)
                else [str(r) for r in regions]
            )
        except ValueError as exc:
            errors.setdefault("regions", []).append(str(exc))
    statement = values.get("statement") or ""
    if not isinstance(statement, str):
        errors.setdefault("statement", []).append("The statement must be text.")
        statement = ""
    statement = statement.replace("\x00", "").strip()
    if len(statement) > MAX_STATEMENT:
        errors.setdefault("statement", []).append(
            f"The statement must be {MAX_STATEMENT:,} characters or fewer (it has {len(statement):,})."
        )
    status = values.get("status")
    if status not in ("indicative", "confirmed"):
        errors.setdefault("status", []).append("Say whether the pledge is indicative or confirmed by your board.")
    if values.get("accept_terms") is not True:
        errors.setdefault("accept_terms", []).append("You must accept the bid's terms to pledge.")
    require(errors)
    return {
        "amount_pence": amount,
        "homes": homes,
        "regions": clean_regions,
        "statement": statement,
        "status": PledgeStatus(status),
    }


def _counted(write):
    """Count the write in the metrics: accepted once committed, or refused as stale, closed or invalid."""

    @functools.wraps(write)
    def run(*args, **kwargs):
        try:
            pledge = write(*args, **kwargs)
        except StaleVersion:
            metrics.pledge_write("stale")
            raise
        except BidNotOpen:
            metrics.pledge_write("closed")
            raise
        except ValidationFailed:
            metrics.pledge_write("invalid")
            raise
        after_commit(db.session(), lambda: metrics.pledge_write("accepted"))
        return pledge

    return run


class _Unread:
    """``save_pledge``'s default: the caller has not read the organisation's pledge in this transaction."""


UNREAD: Any = _Unread()


@_counted
def save_pledge(
    actor: User, bid: Bid, values: dict[str, Any], *, expected_version: int | None, pledge: Pledge | None = UNREAD
) -> Pledge:
    """Create or amend the actor's organisation's pledge.

    ``expected_version`` is the version the form was opened on: 0 for a new pledge, None to overwrite
    unconditionally (API without If-Match). A mismatch raises StaleVersion carrying the current values.
    ``pledge`` is the organisation's pledge as the caller read it with ``current_pledge`` in this transaction
    (None: it has none), so that it is not read twice; by default it is read here.

    An amendment's rows (the pledge's UPDATE, its revision, audit row and live event) are written in one
    flush; a first pledge's INSERT is flushed first, because the other rows name its id.
    """
    _require_member(actor, bid)
    # Judged, and recorded, at the moment the request reached the server: queueing for the database
    # afterwards must not turn a write made before the deadline into a late one.
    now = clock.received_at()
    if pledge is UNREAD:
        pledge = current_pledge(bid, actor.organisation_id)
    in_grace = check_open(bid, now, started=bid.had_started(pledge))
    clean = validate(values, bid)
    _check_version(pledge, expected_version)
    if pledge is None:
        pledge = Pledge(
            bid_id=bid.id,
            organisation_id=actor.organisation_id,
            created_by_id=actor.id,
            updated_by_id=actor.id,
            terms_accepted_at=now,
            created_at=now,
            updated_at=now,
            in_grace=in_grace,
            **clean,
        )
        db.session.add(pledge)
        _flush()  # the pledge's id, for the rows below
        action, before, version = "created", None, 1
    else:
        before = pledge.snapshot()
        was_live = pledge.is_live
        for key, value in clean.items():
            setattr(pledge, key, value)
        pledge.updated_by_id = actor.id
        pledge.updated_at = now
        pledge.terms_accepted_at = now
        pledge.in_grace = pledge.in_grace or in_grace
        if not was_live:
            action = "reinstated"
        elif before["status"] == "indicative" and clean["status"] == PledgeStatus.CONFIRMED:
            action = "confirmed"
        else:
            action = "amended"
        if was_live and pledge.snapshot() == before:
            return pledge  # nothing changed: no revision, no event
        version = pledge.version + 1  # what the flush's versioned UPDATE makes it
    _record(actor, bid, pledge, action, before, version)
    # The receipt names the version the flush below makes (the pledge still holds the one it replaces).
    notifications.queue(
        actor.email,
        "pledge_receipt",
        f"Your pledge to {bid.title}",
        bid=bid,
        pledge=pledge,
        user=actor,
        action=action,
        version=version,
    )
    _flush()  # the change's rows in one go; a concurrent change to the pledge is refused here
    return pledge


@_counted
def withdraw_pledge(actor: User, bid: Bid, *, expected_version: int | None) -> Pledge:
    _require_member(actor, bid)
    now = clock.received_at()  # as in save_pledge
    pledge = current_pledge(bid, actor.organisation_id)
    if pledge is None or not pledge.is_live:
        raise NotFound("Your organisation has no pledge to withdraw.")
    check_open(bid, now, started=True)
    _check_version(pledge, expected_version)
    before = pledge.snapshot()
    pledge.status = PledgeStatus.WITHDRAWN
    pledge.updated_by_id = actor.id
    pledge.updated_at = now
    version = pledge.version + 1
    _record(actor, bid, pledge, "withdrawn", before, version)
    notifications.queue(
        actor.email,
        "pledge_receipt",
        f"Your pledge to {bid.title} is withdrawn",
        bid=bid,
        pledge=pledge,
        user=actor,
        action="withdrawn",
        version=version,
    )
    _flush()
    return pledge


def _check_version(pledge: Pledge | None, expected: int | None) -> None:
    if expected is None:
        return
    current_version = pledge.version if pledge is not None else 0
    if expected != current_version:
        raise StaleVersion(
            "Someone from your organisation changed this pledge after you opened the form, so your change "
            "was not saved. The current values are shown; make your change again if it is still needed.",
            current=_current_values(pledge),
        )


def _current_values(pledge: Pledge | None) -> dict:
    if pledge is None:
        return {}
    return {
        **pledge.snapshot(),
        "version": pledge.version,
        "updated_at": pledge.updated_at.isoformat(),
        "updated_by": pledge.updated_by.name if pledge.updated_by else None,
    }


def _flush() -> None:
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        # Another writer got there first (same version, or two first pledges at once). The caller
        # rolls the transaction back, as it does for every domain error.
        raise StaleVersion(
            "Someone from your organisation saved this pledge at the same moment, so your change was not "
            "saved. Reload the form to see the current values."
        ) from None


def _record(actor: User, bid: Bid, pledge: Pledge, action: str, before: dict | None, version: int) -> None:
    """Add the change's revision, audit row and live event (``version``: the pledge's version once flushed)."""
    after = pledge.snapshot()
    db.session.add(
        PledgeRevision(
            pledge_id=pledge.id,
            bid_id=bid.id,
            organisation_id=pledge.organisation_id,
            version=version,
            action=action,
            actor_id=actor.id,
            before=before,
            after=after,
            created_at=pledge.updated_at,
        )
    )
    audit.record(f"pledge.{action}", actor=actor, bid=bid, subject=pledge, before=before, after=after)
    audit.emit(
        bid,
        f"pledge.{action}",
        {
            "organisation": _organisation_name(actor),
            "amount_pence": pledge.amount_pence,
            "homes": pledge.homes,
            "status": str(pledge.status),
            "previous_amount_pence": (before or {}).get("amount_pence"),
            "previous_status": (before or {}).get("status"),
        },
        organisation_id=pledge.organisation_id,
    )


def _organisation_name(actor: User) -> str:
    """The actor's organisation's name; its lazy load (when the caller did not load it with the user, as the
    pages and the API do) must not flush the change half-way."""
    with db.session.no_autoflush:
        return actor.organisation.name


def revisions_for(actor: User, bid: Bid, pledge_id: int) -> tuple[Pledge, list[PledgeRevision]]:
    """A pledge's history, for its own organisation and the bid's convenors; NotFound for anyone else."""
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.bid_id != bid.id:
        raise NotFound("No such pledge.")
    allowed = is_bid_convenor(actor, bid) or (
        is_bid_member(actor, bid) and actor.organisation_id == pledge.organisation_id
    )
    if not allowed:
        raise NotFound("No such pledge.")
    rows = db.session.scalars(
        sa.select(PledgeRevision).where(PledgeRevision.pledge_id == pledge.id).order_by(PledgeRevision.version.desc())
    ).all()
    return pledge, list(rows)


def _require_member(actor: User, bid: Bid) -> None:
    if not is_bid_member(actor, bid):
        if is_bid_convenor(actor, bid):
            raise PermissionDenied("Convenors cannot pledge; members of the organisations pledge.")
        raise NotFound("No such bid.")
