"""What each response body holds, field by field, as Pydantic models: the OpenAPI description's components.

The serializers (app/api/serializers.py) build the bodies; these models describe them, and the conformance
test (Schemathesis) checks every response against them. Every field is required and nothing else is allowed,
except where a field says it may be absent (``= None``) or null (``| None``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.api.fields import ResponseBody
from app.regions import REGIONS

When = Annotated[datetime, Field(description="ISO 8601 with offset (UTC).")]
Money = Annotated[str, Field(description="The amount formatted as GBP, e.g. £6,250,000.")]
RegionCode = Literal[tuple(REGIONS)]  # type: ignore[valid-type]
BidStatus = Literal["draft", "open", "closed", "submitted", "cancelled", "won", "lost", "withdrawn"]


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI reference naming the kind of problem, e.g. /api/v1/problems/bid-closed.")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = None
    errors: dict[str, list[str]] = Field(
        None, description="Per-field messages: field name (dotted for nested values) → messages."
    )
    current: dict[str, Any] = Field(None, description="On a stale write: the values as they now stand.")
    reason: str = Field(None, description="Why an invitation token cannot be used.")
    request_id: str = Field(
        None, description="The request's id (also the X-Request-ID response header): quote it when reporting a fault."
    )


class Named(ResponseBody):
    id: int
    name: str


class RegionTotal(ResponseBody):
    code: str
    name: str
    members: int
    amount_pence: int = None
    amount: Money = None
    homes: int = None


class Threshold(ResponseBody):
    label: str
    required: str
    actual: str
    met: bool


class Totals(ResponseBody):
    status: BidStatus
    deadline: When
    as_of: When
    pledged_pence: int
    pledged: Money
    target_pence: int
    target: Money
    percent: int = Field(ge=0, le=100)
    confirmed_pence: int
    indicative_pence: int
    homes: int
    target_homes: int
    members_pledged: int
    confirmed_members: int
    invited: int
    accepted: int
    declined: int
    not_responded: int
    expired: int
    by_region: list[RegionTotal] = Field(
        description="Amounts and homes are left out for members when the bid hides amounts."
    )
    thresholds: list[Threshold]


class BidSummary(ResponseBody):
    id: int
    title: str
    funder_name: str
    scheme: str
    summary: str
    terms: str
    status: BidStatus
    target_pence: int
    target: Money
    target_homes: int
    min_pledge_pence: int | None
    min_total_pence: int | None
    min_members: int | None
    show_amounts: bool
    grace_minutes: int
    deadline: When
    convening_body: Named
    version: int = Field(description="Send it back in If-Match to edit safely.")
    created_at: When
    opened_at: datetime | None
    closed_at: datetime | None


class Outcome(ResponseBody):
    result: Literal["won", "lost", "withdrawn"]
    amount_awarded_pence: int | None
    amount_awarded: Money | None
    award_date: date | None
    grant_reference: str | None
    conditions: str
    spend_by: date | None
    grants_due_by: date | None
    reason: str
    feedback: str
    delivery_closed_at: datetime | None
    recorded_at: When
    updated_at: When
    version: int = Field(description="Send it back in If-Match to correct safely.")


class Bid(BidSummary):
    totals: Totals
    outcome: Outcome | None = Field(None, description="Once recorded: won, lost or withdrawn, and its details.")


class Pledge(ResponseBody):
    id: int
    bid_id: int
    organisation: Named
    amount_pence: int
    amount: Money
    homes: int
    regions: list[RegionCode]
    statement: str
    status: Literal["indicative", "confirmed", "withdrawn"]
    in_grace: bool
    released_at: datetime | None = Field(description="When the bid was lost or withdrawn: the money is released.")
    version: int
    created_at: When
    updated_at: When
    updated_by: str | None


class PledgingOrganisation(ResponseBody):
    id: int
    name: str
    identifier: str | None


class MemberPledge(ResponseBody):
    id: int
    organisation: PledgingOrganisation
    amount_pence: int
    amount: Money
    homes: int
    regions: list[RegionCode]
    statement: str
    status: Literal["indicative", "confirmed"]
    in_grace: bool
    has_letter: bool
    created_at: When
    updated_at: When


class Revision(ResponseBody):
    version: int
    action: str
    actor: Named | None
    created_at: When
    before: dict[str, Any] | None
    after: dict[str, Any]


class Invitation(ResponseBody):
    id: int
    organisation_name: str
    email: str
    state: Literal["sent", "accepted", "declined", "pledged", "expired", "revoked"]
    organisation_id: int | None
    sent_at: When
    expires_at: When
    responded_at: datetime | None
    send_count: int
    decline_reason: str | None
    possible_match: str | None = Field(
        description="An existing organisation the invited name matches or looks like, which this convening body "
        "has not worked with: not linked unless its managers approve the invitee."
    )
    awaiting_approval: bool = Field(
        description="The invitee asked to join an existing organisation and waits for its managers."
    )


class InviteResult(ResponseBody):
    line: int = Field(description="1-based position in the request's list.")
    organisation_name: str
    email: str
    status: Literal["invited", "refused"]
    reason: str | None
    invitation: Invitation | None


class InviteReport(ResponseBody):
    invited: int
    refused: int
    results: list[InviteResult]


class ReminderSent(ResponseBody):
    group: str
    sent: int = Field(description="People reminded now.")
    already_sent: int = Field(description="People this send_id had already reached, not reminded again.")
    send_id: str


class User(ResponseBody):
    id: int
    name: str
    email: str
    role: Literal["convenor", "member"]
    organisation: Named


class AcceptedBid(ResponseBody):
    id: int
    title: str


class JoiningOrganisation(BaseModel):
    name: str


class PendingJoin(ResponseBody):
    id: int
    status: Literal["pending"]
    organisation: JoiningOrganisation


class Accepted(ResponseBody):
    user: User | None
    join_request: PendingJoin | None = Field(
        description="Set when the invitation names an organisation that already has people: no account exists "
        "until one of its managers approves."
    )
    bid: AcceptedBid
    api_token: str | None = Field(description="A new API token for a new account, shown once.")
    api_token_id: int | None


class JoinRequest(ResponseBody):
    id: int
    name: str
    email: str
    status: Literal["pending", "approved", "refused", "cancelled"]
    created_at: When
    decided_at: datetime | None
    invited_by: str
    bid: AcceptedBid
    invited_as: str


class JoinRequestList(ResponseBody):
    items: list[JoinRequest]


class AuditEvent(ResponseBody):
    id: int
    created_at: When
    action: str
    actor: Named | None
    organisation_id: int | None
    subject_type: str | None
    subject_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class PackFile(ResponseBody):
    kind: Literal["pdf", "xlsx", "csv", "zip"]
    name: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    url: str = Field(description="Where to download it (GET, with the same token).")


class PackFigures(ResponseBody):
    total_pence: int
    total: Money
    confirmed_pence: int
    indicative_pence: int
    homes: int
    members: int
    letters: int
    in_grace: int
    target_pence: int | None
    target_homes: int | None


class Pack(ResponseBody):
    version: int = Field(ge=1)
    created_at: When
    created_by: Named | None
    figures: PackFigures
    files: list[PackFile]


def page_of(item: type[BaseModel], name: str) -> type[ResponseBody]:
    """A page of a list: ``{"items": [...], "page", "per_page", "total"}``."""
    return create_model(
        name,
        __base__=ResponseBody,
        __module__=__name__,
        items=(list[item], ...),
        page=(int, Field(ge=1)),
        per_page=(int, Field(ge=1, le=100)),
        total=(int, Field(ge=0)),
    )


BidPage = page_of(BidSummary, "BidPage")
MemberPledgePage = page_of(MemberPledge, "MemberPledgePage")
RevisionPage = page_of(Revision, "RevisionPage")
InvitationPage = page_of(Invitation, "InvitationPage")
AuditPage = page_of(AuditEvent, "AuditPage")
PackPage = page_of(Pack, "PackPage")


class Me(ResponseBody):
    id: int
    name: str
    email: str
    role: Literal["convenor", "member"]
    manager: bool = Field(description="Whether you manage your organisation's team and profile.")
    organisation: Named
    email_change_pending: str | None = Field(
        description="A new address waiting for its confirmation link to be used; the email stays as it is until then."
    )


class Organisation(ResponseBody):
    id: int
    name: str
    kind: Literal["convenor", "member"]
    identifier: str | None
    homes_owned: int | None
    regions: list[str]
    website: str | None


class TeamMember(ResponseBody):
    id: int
    name: str
    email: str
    manager: bool
    last_login_at: datetime | None


class Team(ResponseBody):
    items: list[TeamMember]
