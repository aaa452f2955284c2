"""Directory pages: thin views over app.services.directory, directory_edits, directory_import, directory_merge."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.directory.forms import ContactForm, ImportForm, MergeForm, NewOrganisationForm, OrganisationForm, TagsForm
from app.exports.directory import directory_csv, directory_xlsx
from app.regions import REGIONS
from app.services import access, directory, directory_edits, directory_import, directory_invites, directory_merge
from app.services.directory import Filter
from app.web.forms import FLASH, Refused, call_service
from app.web.support import ActionForm, load_bid

bp = Blueprint("directory", __name__)


@bp.get("/directory")
@login_required
def index():
    if not current_user.is_convenor:
        return redirect(url_for("directory.mine"))
    flt = Filter.from_args(request.args)
    page = directory.list_entries(current_user, flt)
    inviting = [b for b in access.visible_bids(current_user) if b.takes_invitations]
    return render_template(
        "directory/index.html",
        page=page,
        flt=flt,
        tags=directory.tags_of(current_user),
        regions=REGIONS,
        inviting=inviting,
    )


@bp.get("/directory/mine")
@login_required
def mine():
    """A member's own organisation's entries: one per convening body it works with."""
    if current_user.is_convenor:
        return redirect(url_for("directory.index"))
    entries = directory.entries_of_member(current_user)
    if len(entries) == 1:
        return redirect(url_for("directory.show", entry_id=entries[0].id))
    return render_template("directory/mine.html", entries=entries)


@bp.get("/directory/export.<any(csv, xlsx):kind>")
@login_required
def export(kind: str):
    flt = Filter.from_args(request.args)
    rows = directory.all_entries(current_user, flt)
    if kind == "csv":
        return Response(
            directory_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=directory.csv"},
        )
    return Response(
        directory_xlsx(rows),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=directory.xlsx"},
    )


@bp.route("/directory/organisations/new", methods=["GET", "POST"])
@login_required
def new():
    directory.body_of(current_user)
    form = NewOrganisationForm()
    if request.method == "POST" and form.validate_on_submit():
        entry = call_service(
            form,
            lambda: directory_edits.add_organisation(
                current_user,
                _profile_of(form),
                contact={
                    "name": form.contact_name.data,
                    "email": form.contact_email.data,
                    "job_title": form.contact_job_title.data,
                },
                tags=form.tags.data or "",
            ),
            {"email": "contact_email"},
        )
        if not isinstance(entry, Refused):
            dups = directory_edits.possible_duplicates(entry.body_id, entry.name, entry.identifier, exclude=entry.id)
            flash(
                f"{entry.name} added to your directory."
                + (
                    f" Possible duplicate of {', '.join(d.name for d in dups)}: merge them if they are one."
                    if dups
                    else ""
                ),
                "success" if not dups else "info",
            )
            return redirect(url_for("directory.show", entry_id=entry.id))
    return render_template("directory/new.html", form=form), 422 if request.method == "POST" else 200


def _profile_of(form: OrganisationForm) -> dict:
    return {
        "name": form.name.data,
        "identifier": form.identifier.data,
        "homes_owned": form.homes_owned.data,
        "regions": form.regions.data or [],
        "website": form.website.data,
    }


@bp.route("/directory/organisations/<int:entry_id>", methods=["GET", "POST"])
@login_required
def show(entry_id: int):
    entry = directory.get_entry(current_user, entry_id)
    convenor = current_user.is_convenor
    form = OrganisationForm(prefix="profile") if convenor and not entry.organisation_id else None
    tags_form = TagsForm(prefix="tags") if convenor else None
    status = 200
    if request.method == "POST":
        if not convenor:
            abort(403)
        status = 422
        kind = request.form.get("kind")
        if kind == "profile" and form is not None and form.validate_on_submit():
            saved = call_service(
                form,
                lambda: directory_edits.update_organisation(
                    current_user, entry, _profile_of(form) | {"tags": form.tags.data or ""}
                ),
            )
            if not isinstance(saved, Refused):
                flash("Saved.", "success")
                return redirect(url_for("directory.show", entry_id=entry.id))
        elif kind == "tags" and tags_form is not None and tags_form.validate_on_submit():
            saved = call_service(
                tags_form,
                lambda: directory_edits.update_organisation(current_user, entry, {"tags": tags_form.tags.data}),
            )
            if not isinstance(saved, Refused):
                flash("Tags saved.", "success")
                return redirect(url_for("directory.show", entry_id=entry.id))
    elif form is not None:
        profile = entry.profile()
        form.name.data, form.identifier.data = profile["name"], profile["identifier"]
        form.homes_owned.data = "" if profile["homes_owned"] is None else str(profile["homes_owned"])
        form.regions.data, form.website.data = profile["regions"], profile["website"]
        form.tags.data = ", ".join(t.name for t in entry.tags)
    if tags_form is not None and request.method == "GET":
        tags_form.tags.data = ", ".join(t.name for t in entry.tags)
    return _render_show(entry, form, tags_form), status


def _render_show(entry, form=None, tags_form=None, contact_form=None, merge_form=None):
    convenor = current_user.is_convenor
    duplicates = []
    if convenor:
        profile = entry.profile()
        duplicates = directory_edits.possible_duplicates(
            entry.body_id, profile["name"], profile["identifier"], exclude=entry.id
        )
        merge_form = merge_form or MergeForm(prefix="merge")
        merge_form.into.choices = [(d.entry_id, d.name) for d in duplicates]
    return render_template(
        "directory/organisation.html",
        entry=entry,
        profile=entry.profile(),
        history=directory.history(entry),
        form=form,
        tags_form=tags_form,
        contact_form=contact_form or (ContactForm(prefix="contact") if convenor else None),
        merge_form=merge_form,
        duplicates=duplicates,
        action_form=ActionForm(),
        convenor=convenor,
    )


@bp.post("/directory/organisations/<int:entry_id>/contacts")
@login_required
def add_contact(entry_id: int):
    entry = directory.get_entry(current_user, entry_id, convenor=True)
    form = ContactForm(prefix="contact")
    if form.validate_on_submit():
        contact = call_service(
            form,
            lambda: directory_edits.add_contact(
                current_user,
                entry,
                {
                    "name": form.name.data,
                    "email": form.email.data,
                    "job_title": form.job_title.data,
                    "primary": form.primary.data,
                },
            ),
        )
        if not isinstance(contact, Refused):
            flash(f"{contact.email} added as a contact.", "success")
            return redirect(url_for("directory.show", entry_id=entry.id))
    return _render_show(entry, contact_form=form), 422


@bp.post("/directory/organisations/<int:entry_id>/contacts/<int:contact_id>/primary")
@login_required
def make_primary(entry_id: int, contact_id: int):
    entry = directory.get_entry(current_user, entry_id, convenor=True)
    if ActionForm().validate_on_submit():
        done = call_service(None, lambda: directory_edits.set_primary_contact(current_user, entry, contact_id))
        if not isinstance(done, Refused):
            flash(f"{done.email} is now the primary contact.", "success")
    return redirect(url_for("directory.show", entry_id=entry.id))


@bp.post("/directory/organisations/<int:entry_id>/merge")
@login_required
def merge(entry_id: int):
    entry = directory.get_entry(current_user, entry_id, convenor=True)
    form = MergeForm(prefix="merge")
    if form.validate_on_submit() and form.into.data:
        survivor = directory.get_entry(current_user, form.into.data, convenor=True)
        name = entry.display_name
        done = call_service(
            form, lambda: directory_merge.merge_entries(current_user, entry, survivor), message_to=FLASH
        )
        if not isinstance(done, Refused):
            flash(f"{name} merged into {done.display_name}.", "success")
            return redirect(url_for("directory.show", entry_id=done.id))
    return redirect(url_for("directory.show", entry_id=entry.id))


@bp.get("/directory/duplicates")
@login_required
def duplicates():
    return render_template("directory/duplicates.html", groups=directory_edits.duplicate_groups(current_user))


@bp.route("/directory/import", methods=["GET", "POST"])
@login_required
def import_page():
    directory.body_of(current_user)
    form = ImportForm()
    report = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            upload = form.file.data
            uploaded = upload is not None and bool(getattr(upload, "filename", ""))
            data = upload.read() if uploaded else (form.rows.data or "")
            report = call_service(
                form,
                lambda: directory_import.import_directory(current_user, data, upload.filename if uploaded else None),
                {"file": "file" if uploaded else "rows"},
            )
            if isinstance(report, Refused):
                report = None
            else:
                status = 200
                flash(report.summary(), "success" if not report.refused else "info")
                form.rows.data = report.refused_text()
    return render_template("directory/import.html", form=form, report=report), status


@bp.get("/bids/<int:bid_id>/invitations/directory")
@login_required
def invite_preview(bid_id: int):
    """Choose organisations of the directory for the bid (all, a tag, a filter; then by hand) and see who
    would be emailed and who skipped, before anything is sent."""
    bid = load_bid(bid_id, convenor=True)
    flt = Filter.from_args(request.args)
    contacts = "all" if request.args.get("contacts") == "all" else "primary"
    plan = directory_invites.plan(current_user, bid, flt, contacts=contacts)
    return render_template(
        "directory/invite.html",
        bid=bid,
        flt=flt,
        plan=plan,
        contacts=contacts,
        tags=directory.tags_of(current_user),
        regions=REGIONS,
        action_form=ActionForm(),
    )


@bp.post("/bids/<int:bid_id>/invitations/directory")
@login_required
def invite_send(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    chosen = [int(v) for v in request.form.getlist("contact") if v.isdigit()]
    report = call_service(None, lambda: directory_invites.invite_contacts(current_user, bid, chosen), message_to=FLASH)
    if not isinstance(report, Refused):
        flash(
            f"{len(report.accepted)} invited from your directory"
            + (
                f"; {len(report.refused)} refused: "
                + "; ".join(f"{r.organisation_name} ({r.reason})" for r in report.refused)
                if report.refused
                else ""
            )
            + ".",
            "success" if not report.refused else "info",
        )
        return redirect(url_for("invitations.index", bid_id=bid.id))
    return redirect(url_for("directory.invite_preview", bid_id=bid.id, **request.args))
