"""Typed SQLAlchemy models, one module per aggregate."""

from app.models.audit import AuditEvent, BidEvent
from app.models.bid import DEFAULT_REMINDER_PLAN, TRANSITIONS, Bid, BidStatus
from app.models.body import BodyIdentity
from app.models.documents import BidPack, FunderLink, FunderLinkAccess, Letter
from app.models.impact_return import (
    COUNTED,
    ImpactReturn,
    LockException,
    ReturnReminder,
    ReturnRevision,
    ReturnStatus,
)
from app.models.invitation import Invitation, InvitationStatus, JoinRequest, JoinRequestStatus
from app.models.organisation import Organisation, OrganisationKind, Role, User
from app.models.outbox import EmailMessage, EmailStatus
from app.models.pledge import LIVE_STATUSES, Pledge, PledgeRevision, PledgeStatus
from app.models.programme import (
    DEFAULT_RETURN_REMINDERS,
    BidEvidence,
    Measure,
    MeasureKind,
    MeasureSet,
    MeasureUnit,
    Participant,
    Period,
    Programme,
)
from app.models.reminder import ConvenorSend, ReminderSend, ReminderSlot
from app.models.token import ApiToken
from app.models.types import UTCDateTime, utcnow

__all__ = [
    "COUNTED",
    "DEFAULT_REMINDER_PLAN",
    "DEFAULT_RETURN_REMINDERS",
    "LIVE_STATUSES",
    "TRANSITIONS",
    "ApiToken",
    "AuditEvent",
    "Bid",
    "BidEvent",
    "BidEvidence",
    "BidPack",
    "BidStatus",
    "BodyIdentity",
    "ConvenorSend",
    "EmailMessage",
    "EmailStatus",
    "FunderLink",
    "FunderLinkAccess",
    "ImpactReturn",
    "Invitation",
    "InvitationStatus",
    "JoinRequest",
    "JoinRequestStatus",
    "Letter",
    "LockException",
    "Measure",
    "MeasureKind",
    "MeasureSet",
    "MeasureUnit",
    "Organisation",
    "OrganisationKind",
    "Participant",
    "Period",
    "Pledge",
    "PledgeRevision",
    "PledgeStatus",
    "Programme",
    "ReminderSend",
    "ReminderSlot",
    "ReturnReminder",
    "ReturnRevision",
    "ReturnStatus",
    "Role",
    "UTCDateTime",
    "User",
    "utcnow",
]
