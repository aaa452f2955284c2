"""Funder access: a private, expiring, revocable link to one version of a submitted bid's pack.

Raises NotFound (no such bid, pack or link for this user), ValidationFailed (name, email or version),
InvalidTransition (the bid is not submitted yet) and TokenInvalid (a tampered, expired or revoked link;
``reason`` is "tampered", "expired" or "revoked").
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from app import notifications
from app.extensions import db
from app.infra import clock, tokens
from app.models import Bid, BidPack, BidStatus, FunderLink, FunderLinkAccess, User
from app.services import audit, private_links
from app.services.access import is_bid_convenor
from app.services.errors import InvalidTransition, NotFound, TokenInvalid, require

PURPOSE = "funder"
MAX_NAME = 200


def create_link(actor: User, bid: Bid, *, name: str, email: str, version: int | None = None) -> tuple[FunderLink, str]:
    """Make a link for a named person at the funder, email it to them, and return it with its token."""
    if not is_bid_convenor(actor, bid):
        raise NotFound("No such bid.")
    if bid.status != BidStatus.SUBMITTED:
        raise InvalidTransition("Mark the bid as submitted before giving the funder access.")
    errors: dict[str, list[str]] = {"name": [], "email": [], "version": []}
    name = " ".join((name or "").split())
    if not name:
        errors["name"].append("Enter the name of the person at the funder.")
    elif len(name) > MAX_NAME or any(ord(ch) < 32 for ch in name):
        errors["name"].append(f"Enter a name of at most {MAX_NAME} characters.")
    try:
        email = validate_email((email or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        errors["email"].append("Enter an email address in the right format, like name@funder.org.uk.")
    stmt = sa.select(BidPack).where(BidPack.bid_id == bid.id)
    stmt = stmt.where(BidPack.version == version) if version else stmt.order_by(BidPack.version.desc()).limit(1)
    pack = db.session.scalar(stmt)
    if pack is None:
        errors["version"].append(
            "Choose a version of the bid pack." if version else "Generate the bid pack before giving the funder access."
        )
    require(errors)
    now = clock.now()
    link = FunderLink(
        bid_id=bid.id,
        pack_id=pack.id,
        name=name,
        email=email,
        token_hash=secrets.token_hex(32),  # replaced below, once the id the token signs is known
        expires_at=now + timedelta(days=current_app.config["FUNDER_LINK_DAYS"]),
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(link)
    db.session.flush()
    token, link.token_hash = tokens.make(PURPOSE, link.id)
    db.session.flush()
    audit.record(
        "funder_link.created",
        actor=actor,
        bid=bid,
        subject=link,
        after={"name": name, "email": email, "version": pack.version, "expires_at": link.expires_at},
    )
    notifications.queue(
        email,
        "funder_link",
        f"Bid pack: {bid.title}",
        bid=bid,
        link=link,
        pack=pack,
        path=f"/f/{token}",
        convening_body=bid.organisation.name,
        sender=actor.name,
    )
    return link, token


def revoke_link(actor: User, bid: Bid, link_id: int) -> FunderLink:
    """Stop a link working at once. Revoking twice is harmless."""
    link = _link_for_convenor(actor, bid, link_id)
    if link.revoked_at is None:
        link.revoked_at = clock.now()
        audit.record("funder_link.revoked", actor=actor, bid=bid, subject=link, after={"name": link.name})
    return link


def get_link(actor: User, bid: Bid, link_id: int) -> FunderLink:
    """One of the bid's funder links, for its convenors (NotFound otherwise)."""
    return _link_for_convenor(actor, bid, link_id)


def _link_for_convenor(actor: User, bid: Bid, link_id: int) -> FunderLink:
    if not is_bid_convenor(actor, bid):
        raise NotFound("No such bid.")
    link = db.session.get(FunderLink, link_id)
    if link is None or link.bid_id != bid.id:
        raise NotFound("No such link.")
    return link


def links_for(actor: User, bid: Bid) -> list[FunderLink]:
    if not is_bid_convenor(actor, bid):
        raise NotFound("No such bid.")
    return list(
        db.session.scalars(sa.select(FunderLink).where(FunderLink.bid_id == bid.id).order_by(FunderLink.id.desc()))
    )


def accesses_for(links: list[FunderLink], *, limit: int = 200) -> dict[int, list[FunderLinkAccess]]:
    """The latest uses of each link, newest first, in one query."""
    if not links:
        return {}
    rows = db.session.scalars(
        sa.select(FunderLinkAccess)
        .where(FunderLinkAccess.link_id.in_([link.id for link in links]))
        .order_by(FunderLinkAccess.id.desc())
        .limit(limit * len(links))
    )
    found: dict[int, list[FunderLinkAccess]] = {link.id: [] for link in links}
    for row in rows:
        if len(found[row.link_id]) < limit:
            found[row.link_id].append(row)
    return found


def link_state(link: FunderLink) -> str:
    return private_links.state(link)


def open_link(token: str) -> FunderLink:
    """The link a token opens, if it is genuine, unrevoked, unexpired and its bid is submitted."""
    link = private_links.signed_link(
        FunderLink,
        PURPOSE,
        token,
        expired="This link has expired. Ask the convenor of the bid for a new one if you still need the pack.",
    )
    bid = db.session.get(Bid, link.bid_id)
    if bid is None or bid.status != BidStatus.SUBMITTED or link.pack.bid_id != bid.id:
        raise TokenInvalid("revoked", "This link is no longer available. Ask the convenor of the bid for a new one.")
    return link


def record_access(link: FunderLink, what: str, ip_address: str | None) -> FunderLinkAccess:
    """Log one use of a link: the page, or which file."""
    access = FunderLinkAccess(link_id=link.id, at=clock.now(), what=what[:100], ip_address=(ip_address or "")[:64])
    db.session.add(access)
    return access


def letter_in_pack(link: FunderLink, sha256: str) -> dict:
    """A letter the link's pack version carries, by digest; NotFound for anything else."""
    for entry in link.pack.figures.get("letter_files", []):
        if entry["sha256"] == sha256:
            return entry
    raise NotFound("No such letter in this bid pack.")
