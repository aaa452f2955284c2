"""The directory: a convening body's organisations with their contacts and tags; create, change, merge, import."""

from __future__ import annotations

from typing import Annotated

from flask import request

from app.api.auth import caller
from app.api.blueprint import bp
from app.api.fields import Body, Region, ResponseBody, Text, body_config, field
from app.api.helpers import ID, ok
from app.api.operations import describe, reply
from app.api.responses import Money, RegionCode, When
from app.api.serializers import page, when
from app.api.validation import page_args, read_body
from app.extensions import db
from app.money import format_pence
from app.services import directory, directory_edits, directory_import, directory_merge
from app.services.directory import Filter
from app.services.errors import ValidationFailed

CSV, XLSX = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Contact(ResponseBody):
    id: int
    name: str
    email: str
    job_title: str
    primary: bool
    has_account: bool


class DirectoryOrganisation(ResponseBody):
    id: int
    name: str
    identifier: str | None
    homes_owned: int | None
    regions: list[RegionCode]
    website: str | None
    tags: list[str]
    has_account: bool
    contacts: list[Contact]
    bids_invited: int
    pledged_pence: int
    pledged: Money
    created_at: When


class DirectoryPage(ResponseBody):
    items: list[DirectoryOrganisation]
    page: int
    per_page: int
    total: int


class ImportResult(ResponseBody):
    line: int
    organisation: str
    email: str
    outcome: str
    reason: str


class ImportReport(ResponseBody):
    added: int
    updated: int
    skipped: int
    refused: int
    rows: list[ImportResult]
    refused_text: str


class ContactBody(Body, total=False):
    """The organisation's first (primary) contact."""

    __pydantic_config__ = body_config("email")

    name: Annotated[Text, field(max_length=200)]
    email: Annotated[Text, field(max_length=254)]
    job_title: Annotated[Text, field(max_length=200)]


class OrganisationBody(Body, total=False):
    """An organisation's profile as the body keeps it, and its tags (``name`` required on create)."""

    __pydantic_config__ = body_config()

    name: Annotated[Text, field(max_length=200)]
    identifier: Annotated[Text | None, field("org-id, e.g. GB-SHPE-L0026.", max_length=40)]
    homes_owned: Annotated[int | None, field(minimum=0, maximum=50_000_000)]
    regions: Annotated[list[Region], field(max_items=12)]
    website: Annotated[Text | None, field(max_length=300)]
    tags: Annotated[list[Annotated[Text, field(max_length=80)]], field(max_items=50)]
    contact: Annotated[ContactBody, field("The primary contact (create only).")]


class MergeBody(Body, total=False):
    """The organisation this one becomes part of."""

    __pydantic_config__ = body_config("into")

    into: Annotated[int, field("The surviving organisation's id.", minimum=1, maximum=2147483647)]


def serialise(entry, bids: int | None = None, pledged: int | None = None) -> dict:
    profile = entry.profile()
    if bids is None or pledged is None:
        history = directory.history(entry)
        bids, pledged = history.invited, history.pledged_pence
    return {
        "id": entry.id,
        **profile,
        "tags": [t.name for t in entry.tags],
        "has_account": entry.organisation_id is not None,
        "contacts": [
            {
                "id": c.id,
                "name": c.name,
                "email": c.email,
                "job_title": c.job_title,
                "primary": c.is_primary,
                "has_account": c.user_id is not None,
            }
            for c in entry.contacts
        ],
        "bids_invited": bids,
        "pledged_pence": pledged,
        "pledged": format_pence(pledged),
        "created_at": when(entry.created_at),
    }


@bp.get("/directory/organisations")
@describe(
    "listDirectory",
    "Your body's directory, filtered and paginated (convenors).",
    tag="directory",
    replies={200: reply(DirectoryPage, "A page of organisations, by name.")},
    errors=(403,),
    paged=True,
    query=("tag", "region", "q", "pledged"),
)
def list_directory():
    page_number, per_page = page_args()
    flt = Filter.from_args(request.args)
    flt.page = page_number
    result = directory.list_entries(caller(), flt, per_page=per_page)
    items = [serialise(row.entry, row.bids, row.pledged_pence) for row in result.rows]
    return ok(page(items, page=page_number, per_page=per_page, total=result.total))


@bp.post("/directory/organisations")
@describe(
    "createDirectoryOrganisation",
    "Add an organisation to your body's directory (convenors).",
    tag="directory",
    body=OrganisationBody,
    replies={201: reply(DirectoryOrganisation, "The organisation added.", location=True)},
    errors=(403,),
)
def create_directory_organisation():
    values = read_body()
    contact, tags = values.pop("contact", None), values.pop("tags", [])
    entry = directory_edits.add_organisation(caller(), values, contact=contact, tags=tags)
    db.session.flush()
    return ok(serialise(entry, 0, 0), 201, location=f"{bp.url_prefix}/directory/organisations/{entry.id}")


@bp.get(f"/directory/organisations/<{ID}:entry_id>")
@describe(
    "getDirectoryOrganisation",
    "One organisation of your body's directory (convenors), or your own organisation's entry (members).",
    tag="directory",
    replies={200: reply(DirectoryOrganisation, "The organisation.")},
    errors=(404,),
)
def get_directory_organisation(entry_id: int):
    return ok(serialise(directory.get_entry(caller(), entry_id)))


@bp.patch(f"/directory/organisations/<{ID}:entry_id>")
@describe(
    "updateDirectoryOrganisation",
    "Change the profile your body keeps for an organisation without an account, or its tags (convenors).",
    tag="directory",
    body=OrganisationBody,
    replies={200: reply(DirectoryOrganisation, "The organisation as changed.")},
    errors=(403, 404),
)
def update_directory_organisation(entry_id: int):
    entry = directory.get_entry(caller(), entry_id, convenor=True)
    values = read_body()
    if "contact" in values:
        raise ValidationFailed({"contact": ["Contacts are not changed here."]})
    directory_edits.update_organisation(caller(), entry, values)
    return ok(serialise(entry))


@bp.post(f"/directory/organisations/<{ID}:entry_id>/merge")
@describe(
    "mergeDirectoryOrganisation",
    "Merge this organisation into another of your directory: every reference moves to it (convenors).",
    tag="directory",
    body=MergeBody,
    replies={200: reply(DirectoryOrganisation, "The surviving organisation.")},
    errors=(403, 404, 409),
)
def merge_directory_organisation(entry_id: int):
    entry = directory.get_entry(caller(), entry_id, convenor=True)
    values = read_body()
    if "into" not in values:
        raise ValidationFailed({"into": ["Give the id of the organisation to merge into."]})
    survivor = directory.get_entry(caller(), values["into"], convenor=True)
    return ok(serialise(directory_merge.merge_entries(caller(), entry, survivor)))


@bp.post("/directory/import")
@describe(
    "importDirectory",
    "Import organisations and contacts from a CSV or XLSX file sent as the body; a report per row (convenors).",
    tag="directory",
    raw_body=(CSV, XLSX),
    replies={200: reply(ImportReport, "What happened to each row.")},
    errors=(403,),
)
def import_directory():
    data = request.get_data(cache=False)
    kind = (request.mimetype or "").lower()
    if kind not in (CSV, XLSX):
        raise ValidationFailed({"file": [f"Send the file with Content-Type {CSV} or {XLSX}."]})
    report = directory_import.import_directory(caller(), data, "upload.xlsx" if kind == XLSX else None)
    return ok(
        {o: report.count(o) for o in ("added", "updated", "skipped", "refused")}
        | {
            "rows": [
                {"line": r.line, "organisation": r.name, "email": r.email, "outcome": r.outcome, "reason": r.reason}
                for r in report.rows
            ],
            "refused_text": report.refused_text(),
        }
    )
