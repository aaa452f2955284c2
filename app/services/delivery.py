"""The delivery dashboard of a won bid: granted against pledged, per member and in total, by region, local
authority and month; recipients recognised across members, and possible duplicates by name."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import LIVE_STATUSES, Bid, Grant, Invitation, InvitationStatus, Organisation, Pledge, User
from app.regions import REGIONS
from app.services.access import is_bid_convenor
from app.services.directory_names import accent_folded
from app.services.grant_values import recipient_org_id


@dataclass
class Figures:
    granted_pence: int = 0
    pledged_pence: int = 0
    grants: int = 0
    recipients: set = field(default_factory=set)

    @property
    def percent(self) -> float:
        """Granted as a share of pledged, to one decimal place (0 when nothing was pledged)."""
        return round(100 * self.granted_pence / self.pledged_pence, 1) if self.pledged_pence else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "granted_pence": self.granted_pence,
            "pledged_pence": self.pledged_pence,
            "percent": self.percent,
            "grants": self.grants,
            "recipients": len(self.recipients),
        }


def recipient_identity(identifier, charity, company, key) -> str:
    """Who a recipient is, across members: its org-id when it has one, else its folded name."""
    return recipient_org_id(identifier, charity, company) or f"name:{key}"


def summary(actor: User, bid: Bid) -> dict[str, Any]:
    """The dashboard's figures. A member sees the consortium's totals and breakdowns and its own row only;
    the convenors see every member's row and the possible duplicate recipients."""
    convenor = is_bid_convenor(actor, bid)
    rows = db.session.execute(
        sa.select(
            Grant.organisation_id,
            Grant.amount_pence,
            Grant.award_date,
            Grant.region,
            Grant.location_name,
            Grant.location_gss,
            Grant.recipient_identifier,
            Grant.recipient_charity_number,
            Grant.recipient_company_number,
            Grant.recipient_key,
            Grant.recipient_name,
        ).where(Grant.bid_id == bid.id)
    ).all()
    pledged = dict(
        db.session.execute(
            sa.select(Pledge.organisation_id, Pledge.amount_pence).where(
                Pledge.bid_id == bid.id, Pledge.status.in_(LIVE_STATUSES)
            )
        ).all()
    )
    joined = db.session.execute(
        sa.select(Organisation.id, Organisation.name)
        .join(Invitation, Invitation.organisation_id == Organisation.id)
        .where(Invitation.bid_id == bid.id, Invitation.status == InvitationStatus.ACCEPTED)
        .distinct()
    ).all()
    names = {org_id: name for org_id, name in joined}

    total = Figures(pledged_pence=sum(pledged.values()))
    members: dict[int, Figures] = {org_id: Figures(pledged_pence=pledged.get(org_id, 0)) for org_id in names}
    regions: dict[str, Figures] = defaultdict(Figures)
    places: dict[tuple[str, str | None], Figures] = defaultdict(Figures)
    months: dict[str, Figures] = defaultdict(Figures)
    by_identity: dict[str, set[int]] = defaultdict(set)
    by_key: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for org_id, amount, awarded, region, place, gss, ident, charity, company, key, name in rows:
        who = recipient_identity(ident, charity, company, key)
        for figures in (
            total,
            members.setdefault(org_id, Figures(pledged_pence=pledged.get(org_id, 0))),
            regions[region or ""],
            places[(place or "", gss)],
            months[awarded.strftime("%Y-%m")],
        ):
            figures.granted_pence += amount
            figures.grants += 1
            figures.recipients.add(who)
        by_identity[who].add(org_id)
        by_key[key].add((who, name))

    member_rows = [
        {"organisation": {"id": org_id, "name": names.get(org_id, "")}, **f.as_dict()}
        for org_id, f in sorted(members.items(), key=lambda kv: names.get(kv[0], "").casefold())
        if convenor or org_id == actor.organisation_id
    ]
    out: dict[str, Any] = {
        "totals": {
            **total.as_dict(),
            "members": len(names),
            "members_with_grants": sum(1 for f in members.values() if f.grants),
        },
        "members": member_rows,
        "by_region": [
            {"code": code or None, "name": REGIONS.get(code, "Not given"), **regions[code].as_dict()}
            for code in [*REGIONS, ""]
            if code in regions
        ],
        "by_local_authority": [
            {"name": place or "Not given", "gss_code": gss, **f.as_dict()}
            for (place, gss), f in sorted(places.items(), key=lambda kv: (-kv[1].granted_pence, kv[0][0]))
        ],
        "by_month": [{"month": month, **months[month].as_dict()} for month in sorted(months)],
        "shared_recipients": sum(1 for orgs in by_identity.values() if len(orgs) > 1),
    }
    if convenor:
        out["possible_duplicates"] = possible_duplicates(by_key)
    return out


def possible_duplicates(by_key: dict[str, set[tuple[str, str]]]) -> list[dict[str, Any]]:
    """Recipients that may be one group, as the directory flags its organisations: the same name once case,
    punctuation, "&" and "Ltd" are set aside (``directory_names.duplicate_key``) but recorded differently
    (another spelling, or another identity); and, as a warning only, names alike once accents are folded
    ("Grŵp" and "Grwp")."""
    found: list[dict[str, Any]] = []
    folded: dict[str, set[str]] = defaultdict(set)
    for key, seen in sorted(by_key.items()):
        folded[accent_folded(key)].add(key)
        names, identities = {name for _, name in seen}, {who for who, _ in seen}
        if len(identities) > 1 or len(names) > 1:
            found.append({"key": key, "names": sorted(names), "identities": len(identities), "look_alike": False})
    for key, keys in sorted(folded.items()):
        if len(keys) > 1:
            seen = set().union(*(by_key[k] for k in keys))
            found.append(
                {
                    "key": key,
                    "names": sorted({name for _, name in seen}),
                    "identities": len({who for who, _ in seen}),
                    "look_alike": True,
                }
            )
    return found
