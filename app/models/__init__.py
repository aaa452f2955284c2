"""Typed SQLAlchemy models, one module per aggregate."""

from app.models.account import AccountLink, LinkPurpose, UserSession
from app.models.audit import AuditEvent, BidEvent
from app.models.bid import DEFAULT_REMINDER_PLAN, OUTCOMES, TRANSITIONS, Bid, BidStatus
from app.models.body import BodyIdentity
from app.models.delivery import GRANT_FIELDS, BidOutcome, Grant
from app.models.directory import DirectoryContact, DirectoryEntry, DirectoryTag, entry_invitations, entry_tags
from app.models.documents import BidPack, FunderLink, FunderLinkAccess, Letter
from app.models.impact_return import (
    COUNTED,
    ImpactReturn,
    LockException,
    ReturnReminder,
    ReturnRevision,
    ReturnStatus,
    SummaryLink,
)
from app.models.invitation import (
    Invitation,
    InvitationLink,
    InvitationStatus,
    JoinRequest,
    JoinRequestStatus,
    LinkEnd,
)
from app.models.organisation import Organisation, OrganisationKind, Role, User
from app.models.outbox import EmailMessage, EmailStatus
from app.models.pledge import LIVE_STATUSES, Pledge, PledgeRevision, PledgeStatus
from app.models.pledge_shares import PledgeRegionShare
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
from app.models.stored_file import stored_file_chunks, stored_files
from app.models.token import ApiToken
from app.models.types import UTCDateTime, utcnow

__all__ = [
    "COUNTED",
    "DEFAULT_REMINDER_PLAN",
    "DEFAULT_RETURN_REMINDERS",
    "GRANT_FIELDS",
    "LIVE_STATUSES",
    "OUTCOMES",
    "TRANSITIONS",
    "AccountLink",
    "ApiToken",
    "AuditEvent",
    "Bid",
    "BidEvent",
    "BidEvidence",
    "BidOutcome",
    "BidPack",
    "BidStatus",
    "BodyIdentity",
    "ConvenorSend",
    "DirectoryContact",
    "DirectoryEntry",
    "DirectoryTag",
    "EmailMessage",
    "EmailStatus",
    "FunderLink",
    "FunderLinkAccess",
    "Grant",
    "ImpactReturn",
    "Invitation",
    "InvitationLink",
    "InvitationStatus",
    "JoinRequest",
    "JoinRequestStatus",
    "Letter",
    "LinkEnd",
    "LinkPurpose",
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
    "PledgeRegionShare",
    "PledgeRevision",
    "PledgeStatus",
    "Programme",
    "ReminderSend",
    "ReminderSlot",
    "ReturnReminder",
    "ReturnRevision",
    "ReturnStatus",
    "Role",
    "SummaryLink",
    "UTCDateTime",
    "User",
    "UserSession",
    "entry_invitations",
    "entry_tags",
    "stored_file_chunks",
    "stored_files",
    "utcnow",
]
