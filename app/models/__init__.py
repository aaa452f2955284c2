"""Typed SQLAlchemy models, one module per aggregate."""

from app.models.audit import AuditEvent, BidEvent
from app.models.bid import DEFAULT_REMINDER_PLAN, OUTCOMES, TRANSITIONS, Bid, BidStatus
from app.models.body import BodyIdentity
from app.models.delivery import GRANT_FIELDS, BidOutcome, Grant
from app.models.documents import BidPack, FunderLink, FunderLinkAccess, Letter
from app.models.invitation import Invitation, InvitationStatus, JoinRequest, JoinRequestStatus
from app.models.organisation import Organisation, OrganisationKind, Role, User
from app.models.outbox import EmailMessage, EmailStatus
from app.models.pledge import LIVE_STATUSES, Pledge, PledgeRevision, PledgeStatus
from app.models.reminder import ConvenorSend, ReminderSend, ReminderSlot
from app.models.token import ApiToken
from app.models.types import UTCDateTime, utcnow

__all__ = [
    "DEFAULT_REMINDER_PLAN",
    "GRANT_FIELDS",
    "LIVE_STATUSES",
    "OUTCOMES",
    "TRANSITIONS",
    "ApiToken",
    "AuditEvent",
    "Bid",
    "BidEvent",
    "BidOutcome",
    "BidPack",
    "BidStatus",
    "BodyIdentity",
    "ConvenorSend",
    "EmailMessage",
    "EmailStatus",
    "FunderLink",
    "FunderLinkAccess",
    "Grant",
    "Invitation",
    "InvitationStatus",
    "JoinRequest",
    "JoinRequestStatus",
    "Letter",
    "Organisation",
    "OrganisationKind",
    "Pledge",
    "PledgeRevision",
    "PledgeStatus",
    "ReminderSend",
    "ReminderSlot",
    "Role",
    "UTCDateTime",
    "User",
    "utcnow",
]
