"""Single-use emailed links for accounts: issued with a purpose-salted signed token whose SHA-256 is stored, read
back once, and revoked by a newer link of the same purpose for the same person.

Raises TokenInvalid (tampered, superseded, used, expired).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock, tokens
from app.models import AccountLink, LinkPurpose, Organisation, User
from app.services.errors import TokenInvalid

TAMPERED = "This link is not complete or has been changed. Copy the whole link from the email, or ask for a new one."
SUPERSEDED = "A newer link was sent after this one, so this one no longer works. Use the link in the latest email."
USED = "This link has already been used. Each link works once."
EXPIRED = "This link has expired."


def issue(
    purpose: LinkPurpose,
    *,
    minutes: int,
    user: User | None = None,
    organisation: Organisation | None = None,
    email: str | None = None,
    created_by: User | None = None,
    as_manager: bool = False,
) -> tuple[str, AccountLink]:
    """A new link (its token, to put in an email, and its row). Earlier open links of the same purpose for the
    same user (or, for a colleague's invitation, the same organisation and address) stop working."""
    now = clock.now()
    for earlier in links_still_open(purpose, user=user, organisation=organisation, email=email):
        earlier.revoked_at = now
    link = AccountLink(
        purpose=purpose,
        user_id=user.id if user is not None else None,
        organisation_id=organisation.id if organisation is not None else None,
        email=email,
        as_manager=as_manager,
        created_by_id=created_by.id if created_by is not None else None,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    db.session.add(link)
    db.session.flush()
    token, digest = tokens.make(purpose.value, link.id)
    link.token_hash = digest
    return token, link


def links_still_open(
    purpose: LinkPurpose,
    *,
    user: User | None = None,
    organisation: Organisation | None = None,
    email: str | None = None,
) -> list[AccountLink]:
    """The links of this purpose not yet used or revoked, for the user (or the organisation and address)."""
    stmt = sa.select(AccountLink).where(
        AccountLink.purpose == purpose, AccountLink.used_at.is_(None), AccountLink.revoked_at.is_(None)
    )
    if user is not None:
        stmt = stmt.where(AccountLink.user_id == user.id)
    else:
        stmt = stmt.where(AccountLink.organisation_id == organisation.id, AccountLink.email == email)
    return list(db.session.scalars(stmt.order_by(AccountLink.id)))


def read(purpose: LinkPurpose, token: str, *, lock: bool = False) -> AccountLink:
    """The open link a token names, or TokenInvalid with the reason (``tampered``, ``superseded``, ``used``,
    ``expired``). ``lock`` takes the row for update (PostgreSQL), so two uses at once cannot both succeed."""
    link_id = tokens.read(purpose.value, token)
    if link_id is None:
        raise TokenInvalid("tampered", TAMPERED)
    stmt = sa.select(AccountLink).where(AccountLink.id == link_id, AccountLink.purpose == purpose)
    link = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if link is None or link.token_hash != tokens.digest(token):
        raise TokenInvalid("tampered", TAMPERED)
    if link.used_at is not None:
        raise TokenInvalid("used", USED)
    if link.revoked_at is not None:
        raise TokenInvalid("superseded", SUPERSEDED)
    if clock.now() >= link.expires_at:
        raise TokenInvalid("expired", EXPIRED)
    return link


def mark_used(link: AccountLink) -> None:
    link.used_at = clock.now()
