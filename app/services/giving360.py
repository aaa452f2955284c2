"""A won bid's grants as 360Giving data: built from the grants, validated, and refused until every grant passes.

Each grant is checked against the project's JSON Schema (app/exports/giving360_schema.json) with jsonschema,
and every text value is searched for email addresses (personal data is never published). ``build`` returns
the package and the failing grants with their reasons; ``export`` raises ExportRefused while any fails,
unless asked to leave the failing grants out.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from jsonschema import Draft202012Validator

from app.exports import giving360 as files
from app.exports.schema_check import compile_schema
from app.extensions import db
from app.infra.links import path_for
from app.models import Bid, Grant, Organisation, User
from app.regions import REGION_GSS, REGIONS
from app.services.access import is_bid_convenor
from app.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.services.grant_values import find_email, gss_type, recipient_org_id
from app.text import iso_utc

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "exports" / "giving360_schema.json"
VERSION = "1.4"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")


class ExportRefused(ValidationFailed):
    """Some grants fail the checks: ``problems`` lists each with its reasons; ``errors`` has them by grant id."""

    type_slug = "export-refused"
    title = "The 360Giving export is refused"

    def __init__(self, problems: list[dict]):
        many = len(problems) != 1
        super().__init__(
            {f"grants/{p['id']}": p["reasons"] for p in problems},
            f"{len(problems):,} grant{'s' if many else ''} cannot be published yet: fix {'them' if many else 'it'}, "
            f"or export without {'them' if many else 'it'}.",
        )
        self.problems = problems


@dataclass
class Export:
    package: dict[str, Any]
    meta: list[tuple[str, str]]
    problems: list[dict] = field(default_factory=list)
    left_out: int = 0

    @property
    def grants(self) -> list[dict]:
        return self.package["grants"]


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def validator() -> Draft202012Validator:
    """The whole grant schema (the tests validate whole grants with it)."""
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


@cache
def fast_check():
    """The same schema compiled into a predicate (app.exports.schema_check): only a grant it rejects is walked
    by jsonschema, for the reasons."""
    return compile_schema(schema())


def prefix_of(bid: Bid) -> str:
    """The publisher part of every id: the convening body's org-id, or ``cbm-<its number>`` without one."""
    body = bid.organisation
    return _UNSAFE_ID.sub("-", body.identifier) if body.identifier else f"cbm-{body.id}"


def as_360_grant(
    grant: Grant, bid: Bid, prefix: str, source: str, member: Organisation | None = None
) -> dict[str, Any]:
    """One grant in the standard's JSON shape. Fields left blank are left out. ``grant`` is a Grant or a row of
    the grants table; ``member`` the organisation that made it (the grant's own, when not given)."""
    member = member or grant.organisation
    return _maker(bid, prefix, source, {member.id: member})(grant)


def _maker(bid: Bid, prefix: str, source: str, members: dict[int, Organisation]):
    """``as_360_grant`` for many grants of one bid: what they share (the programme, each member as funder) is
    worked out once, and the grants hold the same lists (the package is written out, never changed in place)."""
    programme = [{"code": f"{prefix}-BID-{bid.id}", "title": bid.scheme}]
    funders = {
        org_id: [{"id": member.identifier or f"360G-{prefix}-ORG-{member.id}", "name": member.name}]
        for org_id, member in members.items()
    }
    grant_prefix, recipient_prefix = f"360G-{prefix}-", f"360G-{prefix}-R-"

    def make(grant) -> dict[str, Any]:
        amount = grant.amount_pence
        charity, company = grant.recipient_charity_number, grant.recipient_company_number
        recipient: dict[str, Any] = {
            "id": recipient_org_id(grant.recipient_identifier, charity, company)
            or recipient_prefix + hashlib.sha1(grant.recipient_key.encode()).hexdigest()[:12],  # noqa: S324 (an id)
            "name": grant.recipient_name,
        }
        if charity:
            recipient["charityNumber"] = charity
        if company:
            recipient["companyNumber"] = company
        out: dict[str, Any] = {
            "id": grant_prefix + grant.reference,
            "title": grant.title,
            "description": grant.description,
            "currency": "GBP",
            "amountAwarded": amount / 100 if amount % 100 else amount // 100,
            "awardDate": grant.award_date.isoformat(),
            "recipientOrganization": [recipient],
            "fundingOrganization": funders[grant.organisation_id],
            "grantProgramme": programme,
            "dateModified": iso_utc(grant.updated_at),
            "dataSource": source,
        }
        start, end = grant.planned_start, grant.planned_end
        if start or end:
            dates = {}
            if start:
                dates["startDate"] = start.isoformat()
            if end:
                dates["endDate"] = end.isoformat()
            out["plannedDates"] = [dates]
        location = _location(grant)
        if location:
            out["beneficiaryLocation"] = [location]
        return out

    return make


def _location(grant: Grant) -> dict[str, Any] | None:
    """The most precise place given: the local authority with its GSS code, else the region's GSS code."""
    if grant.location_gss:
        return {
            "name": grant.location_name,
            "countryCode": "GB",
            "geoCode": grant.location_gss,
            "geoCodeType": gss_type(grant.location_gss),
        }
    if grant.region:
        code = REGION_GSS[grant.region]
        return {
            "name": grant.location_name or REGIONS[grant.region],
            "countryCode": "GB",
            "geoCode": code,
            "geoCodeType": gss_type(code),
        }
    if grant.location_name:
        return {"name": grant.location_name, "countryCode": "GB"}
    return None


def check(grant: dict[str, Any]) -> list[str]:
    """What is wrong with one grant, as sentences (empty when it may be published): jsonschema's messages
    against the project's schema, then any email address in its text."""
    reasons = []
    if not fast_check()(grant):
        reasons = sorted(_reason(error.absolute_path, error.message) for error in validator().iter_errors(grant))
    reasons.extend(f"{where}: contains an email address ({address}); remove it" for where, address in _emails(grant))
    return reasons


def _reason(path, message: str) -> str:
    return f"{'/'.join(str(p) for p in path) or 'grant'}: {message}"


def _emails(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(where, address) for each text value holding an email address. An address needs an ``@``: a grant
    whose text has none is passed over without the walk."""
    if not path and "@" not in json.dumps(value, ensure_ascii=False, default=str):
        return []
    if isinstance(value, str):
        address = find_email(value)
        return [(path or "grant", address)] if address else []
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in _emails(v, f"{path}/{k}" if path else k)]
    if isinstance(value, list):
        return [hit for i, v in enumerate(value) for hit in _emails(v, f"{path}/{i}")]
    return []


def build(actor: User, bid: Bid, *, now: datetime) -> Export:
    """Every grant of the bid as 360Giving data, with the grants that fail and why (for the bid's convenors)."""
    if not is_bid_convenor(actor, bid):
        raise PermissionDenied("Only the bid's convenors export its grants.")
    if not bid.in_delivery:
        raise InvalidTransition("Only a won bid has grants to publish.")
    prefix = prefix_of(bid)
    base = current_app.config["BASE_URL"].rstrip("/")
    source = base + path_for("delivery.dashboard", bid_id=bid.id)
    # Plain rows, and each member organisation once: at 20,000 grants, ORM objects cost more than the checks.
    grants = db.session.execute(sa.select(*Grant.__table__.c).where(Grant.bid_id == bid.id).order_by(Grant.id))
    members = {
        org.id: org
        for org in db.session.scalars(
            sa.select(Organisation).where(
                Organisation.id.in_(sa.select(Grant.organisation_id).where(Grant.bid_id == bid.id))
            )
        )
    }
    make = _maker(bid, prefix, source, members)
    items, problems = [], []
    for grant in grants:
        item = make(grant)
        reasons = check(item)
        if reasons:
            problems.append(
                {
                    "grant_id": grant.id,
                    "id": item["id"],
                    "title": grant.title,
                    "organisation": members[grant.organisation_id].name,
                    "reasons": reasons,
                }
            )
        items.append(item)
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):  # references are unique in the database; this guards the export itself
        raise InvalidTransition("Two grants share an id: the export is refused.")
    body = bid.organisation
    publisher = {"identifier": body.identifier or f"360G-{prefix}", "name": body.name, "prefix": f"360G-{prefix}"}
    package = {
        "version": VERSION,
        "title": f"Grants made under {bid.title}",
        "description": f"Grants made by the members of {bid.title} ({bid.funder_name}, {bid.scheme}).",
        "license": LICENSE,
        "publisher": publisher,
        "modified": iso_utc(now),
        "grants": items,
    }
    meta = [
        ("Title", package["title"]),
        ("Description", package["description"]),
        ("Publisher:Name", publisher["name"]),
        ("Publisher:Identifier", publisher["identifier"]),
        ("Publisher:Prefix", publisher["prefix"]),
        ("License", LICENSE),
        ("Modified", package["modified"]),
        ("Schema Version", VERSION),
    ]
    return Export(package, meta, problems)


def export(actor: User, bid: Bid, *, now: datetime, leave_out_failing: bool = False) -> Export:
    """The package to offer: refused (ExportRefused) while any grant fails, unless ``leave_out_failing``, when the
    failing grants are dropped and counted in ``left_out``."""
    result = build(actor, bid, now=now)
    if result.problems and not leave_out_failing:
        raise ExportRefused(result.problems)
    if result.problems:
        failing = {p["id"] for p in result.problems}
        result.package["grants"] = [g for g in result.grants if g["id"] not in failing]
        result.left_out = len(failing)
    return result


def render(result: Export, form: str) -> bytes:
    """The export as ``json``, ``csv`` or ``xlsx`` bytes."""
    if form == "json":
        return files.to_json(result.package)
    if form == "csv":
        return files.to_csv(result.grants)
    return files.to_xlsx(result.grants, result.meta)
