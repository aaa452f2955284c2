"""After a rush round: the database must hold exactly what the clients were told was saved.

For every organisation: the pledge equals its last accepted write (amount, homes, regions, status,
version); there is exactly one revision per accepted write, with the values that write sent; exactly one
audit row and one live event per accepted write; no stale form's values were ever saved.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa


def verify_round(app, bid_id: int, organisation_ids: list[int], outcomes, stale_pounds: str) -> dict:
    from app.extensions import db
    from app.models import AuditEvent, BidEvent, Pledge, PledgeRevision
    from app.money import parse_pounds

    stale_pence = parse_pounds(stale_pounds)
    checks = {"organisations": 0, "lost": 0, "revision_mismatch": 0, "audit_mismatch": 0, "event_mismatch": 0}
    problems: list[str] = []
    with app.app_context():
        session = db.session
        pledges = {p.organisation_id: p for p in session.scalars(sa.select(Pledge).where(Pledge.bid_id == bid_id))}
        revisions: dict[int, list[PledgeRevision]] = {}
        for rev in session.scalars(sa.select(PledgeRevision).where(PledgeRevision.bid_id == bid_id)):
            revisions.setdefault(rev.pledge_id, []).append(rev)
        audits = Counter(
            session.scalars(
                sa.select(AuditEvent.subject_id).where(
                    AuditEvent.bid_id == bid_id, AuditEvent.subject_type == "Pledge", AuditEvent.action.like("pledge.%")
                )
            )
        )
        events = Counter(
            session.scalars(
                sa.select(BidEvent.organisation_id).where(BidEvent.bid_id == bid_id, BidEvent.kind.like("pledge.%"))
            )
        )
        stale_saved = sum(
            1 for revs in revisions.values() for r in revs if (r.after or {}).get("amount_pence") == stale_pence
        ) + sum(1 for p in pledges.values() if p.amount_pence == stale_pence)
        for outcome in outcomes:
            checks["organisations"] += 1
            org_id = organisation_ids[outcome.index]
            pledge = pledges.get(org_id)
            accepted = outcome.accepted
            if not accepted:
                if pledge is not None:
                    checks["lost"] += 1
                    problems.append(f"org {outcome.index}: a pledge exists but no write was accepted")
                continue
            last = accepted[-1]
            if pledge is None or not _matches(pledge, last):
                checks["lost"] += 1
                problems.append(f"org {outcome.index}: final state {_state(pledge)} != last accepted {last}")
                continue
            revs = sorted(revisions.get(pledge.id, []), key=lambda r: r.version)
            expected_versions = [w["version"] for w in accepted]
            if [r.version for r in revs] != expected_versions or any(
                r.after["amount_pence"] != w["amount_pence"] for r, w in zip(revs, accepted, strict=False)
            ):
                checks["revision_mismatch"] += 1
                problems.append(f"org {outcome.index}: revisions {[r.version for r in revs]} != {expected_versions}")
            if audits.get(pledge.id, 0) != len(accepted):
                checks["audit_mismatch"] += 1
                problems.append(
                    f"org {outcome.index}: {audits.get(pledge.id, 0)} audit rows for {len(accepted)} writes"
                )
            if events.get(org_id, 0) != len(accepted):
                checks["event_mismatch"] += 1
                problems.append(f"org {outcome.index}: {events.get(org_id, 0)} live events for {len(accepted)} writes")
        session.remove()
    checks["stale_saved"] = stale_saved
    checks["problems"] = problems
    return checks


def _matches(pledge, write: dict) -> bool:
    return (
        pledge.amount_pence == write["amount_pence"]
        and pledge.homes == int(write["homes"])
        and sorted(pledge.regions or []) == sorted(write["regions"])
        and str(pledge.status) == write["status"]
        and pledge.version == write["version"]
    )


def _state(pledge) -> dict | None:
    if pledge is None:
        return None
    return {
        "amount_pence": pledge.amount_pence,
        "homes": pledge.homes,
        "regions": pledge.regions,
        "status": str(pledge.status),
        "version": pledge.version,
    }
