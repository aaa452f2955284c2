"""The figures a bid pack is built from: plain frozen data, so the builders never touch the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from app.money import format_pence
from app.text import london_date


@dataclass(frozen=True)
class PackMember:
    """One member organisation's live pledge as it stood when the pack was generated."""

    organisation_name: str
    identifier: str | None
    regions: tuple[str, ...]  #: region display names, canonical order
    homes: int
    amount_pence: int
    status: str  #: "confirmed" or "indicative"
    statement: str
    pledged_at: datetime  #: aware UTC, first pledged
    updated_at: datetime  #: aware UTC, last changed
    letter_sha256: str | None = None
    letter_filename: str | None = None
    in_grace: bool = False  #: saved during the grace window after the deadline


@dataclass(frozen=True)
class PackThreshold:
    """A threshold the scheme sets, such as a minimum total or number of members."""

    label: str  #: e.g. "Minimum total match funding"
    required: str  #: formatted, e.g. "£5,000,000"
    actual: str  #: formatted, e.g. "£6,250,000"
    met: bool


@dataclass(frozen=True)
class PackRegion:
    """Money, homes and members for one of the twelve ITL1 regions (pledges split evenly across their regions)."""

    code: str
    name: str
    amount_pence: int
    homes: int
    members: int


@dataclass(frozen=True)
class PackTimelinePoint:
    """The cumulative live total after a pledge change."""

    at: datetime  #: aware UTC
    cumulative_pence: int


@dataclass(frozen=True)
class PackBody:
    """The convening body's identity as its convenors set it: shown on the cover and in the running header."""

    display_name: str
    accent: str | None = None  #: "#rrggbb", checked for contrast with white when saved
    logo: bytes | None = None  #: PNG or JPEG bytes, checked by content when uploaded
    contact_name: str = ""  #: the named contact for funders
    contact_email: str = ""
    contact_phone: str = ""

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_name or self.contact_email or self.contact_phone)


@dataclass(frozen=True)
class PackEvidenceMeasure:
    """One measure's totals over the attached periods (members' view: small numbers suppressed)."""

    label: str
    kind: str  #: "flow" or "stock"
    periods: tuple[str, ...]
    totals: tuple[str, ...]  #: formatted, "fewer than 3" where suppressed
    values: tuple[int, ...]  #: for the chart (0 where suppressed)
    contributors: tuple[int, ...]


@dataclass(frozen=True)
class PackEvidence:
    """Impact returns figures attached to the bid, frozen into the pack version like every other figure."""

    programme_title: str
    period_range: str
    organisations: int  #: organisations that contributed to any period of the range
    as_of: datetime  #: aware UTC
    measures: tuple[PackEvidenceMeasure, ...] = ()


@dataclass(frozen=True)
class PackOutcome:
    """The bid's recorded outcome as it stood when the pack was generated (none before it is recorded)."""

    result: str  #: "won", "lost" or "withdrawn"
    amount_awarded_pence: int | None = None  #: won
    award_date: date | None = None  #: won
    grant_reference: str | None = None  #: the funder's reference
    spend_by: date | None = None
    reason: str = ""  #: lost (or withdrawn): why

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs of what was recorded, formatted for the cover and the summary sheet."""
        rows = [("Outcome", self.result.capitalize())]
        if self.amount_awarded_pence is not None:
            rows.append(("Amount awarded", format_pence(self.amount_awarded_pence)))
        if self.award_date:
            rows.append(("Award date", london_date(self.award_date)))
        if self.grant_reference:
            rows.append(("Funder's reference", self.grant_reference))
        if self.spend_by:
            rows.append(("Spend by", london_date(self.spend_by)))
        if self.reason and self.result != "won":
            rows.append(("Reason", self.reason))
        if self.result != "won":
            rows.append(("Pledges", "Released: the members' money is no longer held for this bid"))
        return rows


@dataclass(frozen=True)
class PackData:
    """Everything in one version of a bid pack."""

    bid_id: int
    bid_title: str
    scheme: str
    funder_name: str
    convenor_name: str  #: the convening body
    case: str  #: the convenor's case for the bid (plain text, paragraphs split by blank lines)
    terms: str
    target_pence: int
    target_homes: int
    deadline: datetime  #: aware UTC
    generated_at: datetime  #: aware UTC
    generated_by: str
    version: int
    members: tuple[PackMember, ...]
    thresholds: tuple[PackThreshold, ...] = ()
    regions: tuple[PackRegion, ...] = ()
    timeline: tuple[PackTimelinePoint, ...] = ()
    opened_at: datetime | None = None
    extras: dict[str, str] = field(default_factory=dict)
    body: PackBody | None = None  #: None: the convening body has set no identity (the default look)
    evidence: PackEvidence | None = None  #: "Evidence from our members", when a programme is attached
    outcome: PackOutcome | None = None  #: the recorded outcome, in versions generated after it

    @property
    def total_pence(self) -> int:
        return sum(m.amount_pence for m in self.members)

    @property
    def total_homes(self) -> int:
        return sum(m.homes for m in self.members)

    @property
    def confirmed_pence(self) -> int:
        return sum(m.amount_pence for m in self.members if m.status == "confirmed")

    @property
    def indicative_pence(self) -> int:
        return sum(m.amount_pence for m in self.members if m.status != "confirmed")
