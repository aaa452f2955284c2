"""Grant pages: a member's grants (the convenors read every member's), record, edit and delete one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.delivery.blueprint import bp
from app.delivery.forms import GrantForm, GrantImportForm
from app.money import pence_to_pounds_text
from app.services import grant_import, grants
from app.services.errors import StaleVersion
from app.services.grant_values import validate_grant
from app.web.forms import FLASH, Refused, add_rule_errors, call_service, has_errors
from app.web.support import ActionForm, form_version, load_bid, member_bid

GRANT_MAP = {"amount_pence": "amount", "funder_pence": "funder_amount", "match_pence": "funder_amount"}


@bp.get("/bids/<int:bid_id>/grants")
@login_required
def grants_index(bid_id: int):
    bid = load_bid(bid_id)
    if not bid.in_delivery:
        abort(404)
    rows = grants.list_grants(current_user, bid)
    return render_template("delivery/grants.html", bid=bid, grants=rows, action_form=ActionForm())


@bp.route("/bids/<int:bid_id>/grants/new", methods=["GET", "POST"])
@login_required
def new_grant(bid_id: int):
    bid = member_bid(bid_id)
    if not bid.in_delivery:
        abort(404)
    form = GrantForm()
    if request.method == "POST" and not _valid(form):
        pass
    elif request.method == "POST":
        saved = call_service(form, lambda: grants.create_grant(current_user, bid, form.values()), GRANT_MAP)
        if not isinstance(saved, Refused):
            flash(f"Grant to {saved.recipient_name} recorded.", "success")
            return redirect(url_for("delivery.grants_index", bid_id=bid.id))
    status = 422 if request.method == "POST" else 200
    return render_template("delivery/grant_form.html", bid=bid, form=form, grant=None), status


@bp.route("/bids/<int:bid_id>/grants/<int:grant_id>/edit", methods=["GET", "POST"])
@login_required
def edit_grant(bid_id: int, grant_id: int):
    bid = member_bid(bid_id)
    grant = grants.get_grant(current_user, bid, grant_id)
    form = GrantForm()
    if request.method == "GET":
        _fill(form, grant)
    elif _valid(form):

        def save():
            version = form_version(form.version.data)
            return grants.update_grant(current_user, bid, grant, form.values(), expected_version=version)

        saved = call_service(form, save, GRANT_MAP, apart=(StaleVersion,))
        if isinstance(saved, Refused):
            form.form_errors.append(saved.error.message)
        else:
            flash("Grant updated.", "success")
            return redirect(url_for("delivery.grants_index", bid_id=bid.id))
    status = 422 if request.method == "POST" else 200
    return render_template("delivery/grant_form.html", bid=bid, form=form, grant=grant), status


@bp.post("/bids/<int:bid_id>/grants/<int:grant_id>/delete")
@login_required
def delete_grant(bid_id: int, grant_id: int):
    bid = member_bid(bid_id)
    grant = grants.get_grant(current_user, bid, grant_id)
    if not ActionForm().validate_on_submit():
        abort(400)

    def delete():
        grants.delete_grant(current_user, bid, grant, expected_version=form_version(request.form.get("version")))
        return True

    if not isinstance(call_service(None, delete, message_to=FLASH), Refused):
        flash("Grant deleted.", "success")
    return redirect(url_for("delivery.grants_index", bid_id=bid.id))


@bp.route("/bids/<int:bid_id>/grants/import", methods=["GET", "POST"])
@login_required
def import_grants(bid_id: int):
    bid = member_bid(bid_id)
    if not bid.in_delivery:
        abort(404)
    form = GrantImportForm()
    problems = None
    if request.method == "POST" and form.validate_on_submit():
        upload = form.file.data
        uploaded = upload is not None and bool(getattr(upload, "filename", ""))
        data = upload.read() if uploaded else (form.rows.data or "")
        name = upload.filename if uploaded else None
        made = call_service(
            form,
            lambda: grant_import.import_grants(current_user, bid, data, filename=name),
            {"file": "file" if uploaded else "rows"},
            apart=(grant_import.ImportRefused,),
        )
        if isinstance(made, Refused) and isinstance(made.error, grant_import.ImportRefused):
            problems = made.error.problems
            form.form_errors.append(made.error.message)
        elif not isinstance(made, Refused):
            flash(f"{len(made)} grant{'s' if len(made) != 1 else ''} imported.", "success")
            return redirect(url_for("delivery.grants_index", bid_id=bid.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "delivery/import.html", bid=bid, form=form, problems=problems, columns=grant_import.COLUMNS
    ), status


def _valid(form: GrantForm) -> bool:
    """The form's own checks, and where they fail the service's too, so every problem is listed at once."""
    if form.validate_on_submit() and not has_errors(form):
        return True
    if not form.csrf_token.errors:
        add_rule_errors(form, lambda: validate_grant(form.values()), GRANT_MAP)
    return False


def _fill(form: GrantForm, grant) -> None:
    for name in (
        "recipient_name",
        "recipient_charity_number",
        "recipient_company_number",
        "recipient_identifier",
        "title",
        "description",
        "location_name",
        "location_gss",
    ):
        getattr(form, name).data = getattr(grant, name) or ""
    form.amount.data = pence_to_pounds_text(grant.amount_pence)
    form.funder_amount.data = pence_to_pounds_text(grant.funder_pence) if grant.funder_pence else ""
    for name in ("award_date", "planned_start", "planned_end"):
        value = getattr(grant, name)
        getattr(form, name).data = value.isoformat() if value else ""
    form.region.data = grant.region or ""
    form.version.data = str(grant.version)
