"""Response models of the after-the-bid operations: the outcome, grants, the delivery figures."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from app.api.fields import ResponseBody
from app.api.responses import Bid, Money, Named, Outcome, When, page_of

__all__ = ["Outcome"]


class SubmittedBid(Bid):
    warnings: list[str] = Field(description="The scheme thresholds the bid does not meet (it is submitted anyway).")


class Recipient(ResponseBody):
    name: str
    charity_number: str | None
    company_number: str | None
    identifier: str | None
    org_id: str | None = Field(description="The recipient's org-id, from its identifier or numbers; null for none.")


class Location(ResponseBody):
    name: str
    gss_code: str | None
    gss_type: Literal["LAD", "RGN", "CTRY"] | None
    region: str | None


class Grant(ResponseBody):
    id: int
    bid_id: int
    organisation: Named
    reference: str = Field(description="The stable part of the grant's 360Giving id.")
    recipient: Recipient
    amount_pence: int
    amount: Money
    funder_pence: int
    match_pence: int
    award_date: date
    title: str
    description: str
    planned_start: date | None
    planned_end: date | None
    location: Location
    version: int = Field(description="Send it back in If-Match to edit or delete safely.")
    created_at: When
    updated_at: When


GrantPage = page_of(Grant, "GrantPage")


class ImportResult(ResponseBody):
    imported: int
    grants: list[Grant]


class Figures(ResponseBody):
    granted_pence: int
    pledged_pence: int
    percent: float
    grants: int
    recipients: int


class MemberFigures(Figures):
    organisation: Named


class RegionFigures(Figures):
    code: str | None
    name: str


class PlaceFigures(Figures):
    name: str
    gss_code: str | None


class MonthFigures(Figures):
    month: str = Field(description="YYYY-MM")


class TotalFigures(Figures):
    members: int
    members_with_grants: int


class Duplicate(ResponseBody):
    key: str = Field(description="The recipients' name as the directory folds names.")
    names: list[str]
    identities: int
    look_alike: bool = Field(description="True when the names are alike only once accents are folded: a warning.")


class Delivery(ResponseBody):
    totals: TotalFigures
    members: list[MemberFigures] = Field(description="Every member for the convenors; a member's own row for it.")
    by_region: list[RegionFigures]
    by_local_authority: list[PlaceFigures]
    by_month: list[MonthFigures]
    shared_recipients: int
    possible_duplicates: list[Duplicate] = Field(None, description="Convenors only.")
