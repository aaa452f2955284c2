"""The member's returns pages: the programme's periods and statuses, the return form, "same as last month",
and, once submitted, the consortium's figures (small numbers suppressed) beside the organisation's own."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.imports import Column, TableRefused, read_table
from app.infra import clock
from app.models import ReturnStatus
from app.returns import charts
from app.returns.blueprint import bp
from app.returns.forms import ReturnForm, UploadForm, input_text, parse_figure
from app.services.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from app.services.returns import periods, programmes, totals
from app.services.returns import returns as service
from app.units import format_figure
from app.web.forms import FLASH, Refused, call_service
from app.web.support import ActionForm, form_version
from app.web.transaction import done_writing


def programme_page(programme):
    """The member's page: every period's status, and the consortium's figures for the periods submitted."""
    now = clock.now()
    org_id = current_user.organisation_id
    mine = service.returns_for(programme, org_id)
    rows = totals.for_members(totals.series(programme, medians=True))
    by_key = {r["period"]: r for r in rows}
    listed = [
        (p, mine.get(p.id), service.status_for(p, mine.get(p.id), org_id, now)) for p in reversed(programme.periods)
    ]
    submitted = [
        r
        for r in rows
        if any(
            p.key == r["period"] and ret and ret.status in (ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED)
            for p, ret, _ in listed
        )
    ]
    return render_template(
        "returns/member.html",
        programme=programme,
        listed=listed,
        rows=rows,
        by_key=by_key,
        submitted=submitted,
        mine=mine,
        fmt=format_figure,
        chart=lambda code: charts.bars(rows, code),
        codes=[m.code for m in programme.current_set.measures],
    )


def _member_period(programme_id: int, key: str):
    programme = programmes.get_for_viewer(current_user, programme_id)
    if not programmes.is_participant(current_user, programme):
        raise PermissionDenied("Convenors do not make returns; the organisations taking part do.")
    period = periods.find_period(programme, key)
    if period is None:
        raise NotFound("No such period.")
    return programme, period


@bp.route("/programmes/<int:programme_id>/periods/<key>/return", methods=["GET", "POST"])
@login_required
def edit_return(programme_id: int, key: str):
    programme, period = _member_period(programme_id, key)
    org_id = current_user.organisation_id
    ret = service.current_return(period, org_id)
    measures = period.measure_set.measures
    form = ReturnForm()
    entered = _entered_from(ret, measures)
    field_errors: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    conflict = None
    status = 200
    if request.method == "GET":
        form.version.data = str(ret.version if ret else 0)
        form.story.data = ret.story if ret else ""
        form.story_shareable.data = bool(ret and ret.story_shareable)
    else:  # a POST: its CSRF token was checked by the app's CSRF handler before this view
        entered = _entered_from_request(measures)
        values, comments, field_errors = _read(measures, entered, submit=form.action.data == "submit")
        if not field_errors:

            def save():
                return service.save_return(
                    current_user,
                    programme,
                    period,
                    values,
                    comments,
                    form.story.data or "",
                    submit=form.action.data == "submit",
                    expected_version=form_version(form.version.data),
                    confirm=bool(form.confirm.data),
                    story_shareable=bool(form.story_shareable.data),
                )

            saved = call_service(form, save, apart=(ValidationFailed, StaleVersion))
            if not isinstance(saved, Refused):
                flash(
                    "Return submitted. Thank you." if saved.status == ReturnStatus.SUBMITTED else "Draft saved.",
                    "success",
                )
                return redirect(url_for("returns.show", programme_id=programme.id))
            error = saved.error
            if isinstance(error, service.OutliersFound):
                warnings = error.warnings
            elif isinstance(error, StaleVersion):
                ret = service.current_return(period, org_id)
                conflict = error.message
                entered = _entered_from(ret, measures)
                form.version.data = str(ret.version if ret else 0)
                form.story.data = ret.story if ret else ""
            elif isinstance(error, ValidationFailed):
                field_errors = error.errors
                form.form_errors.extend(error.errors.get("values", []))
        status = 409 if conflict or (form.form_errors and not field_errors) else 422
        done_writing()
    return _form_page(programme, period, ret, form, entered, field_errors, warnings, conflict, status)


def _form_page(programme, period, ret, form, entered, field_errors, warnings=None, conflict=None, status=200):
    now = clock.received_at()
    org_id = current_user.organisation_id
    return render_template(
        "returns/form.html",
        programme=programme,
        period=period,
        ret=ret,
        measures=period.measure_set.measures,
        form=form,
        entered=entered,
        field_errors=field_errors,
        warnings=warnings or {},
        conflict=conflict,
        locked=service.is_locked(period, org_id, now),
        late=now >= period.due_at,
        has_previous=service.previous_values(period, org_id) is not None,
        copy_form=ActionForm(),
        upload_form=UploadForm(),
        fmt=format_figure,
        status_text=service.status_for(period, ret, org_id, now),
    ), status


def _entered_from(ret, measures) -> dict[str, dict]:
    values = ret.values if ret else {}
    comments = ret.comments if ret else {}
    return {
        m.code: {
            "text": input_text(m.unit, values.get(m.code)),
            "not_collected": ret is not None
            and m.code in values
            and values.get(m.code) is None
            and ret.status != ReturnStatus.DRAFT,
            "comment": comments.get(m.code, ""),
        }
        for m in measures
    }


def _entered_from_request(measures) -> dict[str, dict]:
    return {
        m.code: {
            "text": request.form.get(f"v-{m.code}", ""),
            "not_collected": bool(request.form.get(f"nc-{m.code}")),
            "comment": request.form.get(f"c-{m.code}", ""),
        }
        for m in measures
    }


def _read(measures, entered, *, submit: bool):
    values, comments, errors = {}, {}, {}
    for m in measures:
        item = entered[m.code]
        try:
            figure = parse_figure(m, item["text"])
        except ValueError as exc:
            errors[f"values.{m.code}"] = [str(exc)]
            continue
        if figure is not None and item["not_collected"]:
            errors[f"values.{m.code}"] = [f"{m.label}: give a figure or tick “not collected”, not both."]
        elif figure is None and not item["not_collected"] and submit:
            errors[f"values.{m.code}"] = [f"{m.label}: enter a figure (0 if none) or tick “not collected”."]
        values[m.code] = figure
        if item["comment"].strip():
            comments[m.code] = item["comment"]
    return values, comments, errors


@bp.post("/programmes/<int:programme_id>/periods/<key>/return/copy")
@login_required
def copy_previous(programme_id: int, key: str):
    """ "Same as last month": the previous period's figures saved as this period's draft."""
    programme, period = _member_period(programme_id, key)
    form = ActionForm()
    if not form.validate_on_submit():  # CSRF only: the app's CSRF handler answers first
        abort(400)
    org_id = current_user.organisation_id
    previous = service.previous_values(period, org_id)
    ret = service.current_return(period, org_id)
    if previous is None:
        flash("There is no earlier return to copy.", "error")
    elif ret is not None and ret.status != ReturnStatus.DRAFT:
        flash("This return is already submitted: change the figures on the form instead.", "error")
    else:
        codes = {m.code for m in period.measure_set.measures}
        done = call_service(
            None,
            lambda: service.save_return(
                current_user,
                programme,
                period,
                {c: v for c, v in previous.items() if c in codes},
                ret.comments if ret else {},
                ret.story if ret else "",
                submit=False,
                expected_version=ret.version if ret else 0,
            ),
            message_to=FLASH,
        )
        if not isinstance(done, Refused):
            flash("Last month's figures are copied into a draft: check them, then submit.", "success")
    return redirect(url_for("returns.edit_return", programme_id=programme.id, key=key))


#: what a cell may say for "not collected" in an uploaded return
NOT_COLLECTED = {"not collected", "n/a", "na", "-"}


@bp.post("/programmes/<int:programme_id>/periods/<key>/return/upload")
@login_required
def upload_return(programme_id: int, key: str):
    """A CSV or XLSX with one column per measure code and one row of figures, saved as a draft to check."""
    programme, period = _member_period(programme_id, key)
    org_id = current_user.organisation_id
    ret = service.current_return(period, org_id)
    measures = period.measure_set.measures
    form = ReturnForm(formdata=None, version=str(ret.version if ret else 0), story=ret.story if ret else "")
    upload = UploadForm()
    entered = _entered_from(ret, measures)
    if not upload.validate_on_submit():
        form.form_errors.append("Choose a CSV or XLSX file to upload.")
        done_writing()
        return _form_page(programme, period, ret, form, entered, {}, status=422)
    file = upload.file.data
    columns = [Column(m.code, m.code, aliases=(m.label,), required=True) for m in measures]
    try:
        table = read_table(
            file.read(),
            columns,
            filename=file.filename,
            header="required",
            max_rows=1,
            max_bytes=1024 * 1024,
            noun="file",
        )
    except TableRefused as exc:
        form.form_errors.append(exc.message)
        done_writing()
        return _form_page(programme, period, ret, form, entered, {}, status=422)
    row = table.rows[0].values
    entered = {
        m.code: {
            "text": "" if row.get(m.code, "").casefold() in NOT_COLLECTED else row.get(m.code, ""),
            "not_collected": row.get(m.code, "").casefold() in NOT_COLLECTED,
            "comment": entered[m.code]["comment"],
        }
        for m in measures
    }
    values, comments, errors = _read(measures, entered, submit=True)  # every cell: a figure or "not collected"
    if ret is not None and ret.status != ReturnStatus.DRAFT:
        errors = errors or {"values": ["This return is already submitted: change the figures on the form instead."]}
    if not errors:
        saved = call_service(
            form,
            lambda: service.save_return(
                current_user,
                programme,
                period,
                values,
                comments,
                ret.story if ret else "",
                submit=False,
                expected_version=ret.version if ret else 0,
            ),
            apart=(ValidationFailed, StaleVersion),
        )
        if not isinstance(saved, Refused):
            flash("The file's figures are saved as a draft: check them, then submit.", "success")
            return redirect(url_for("returns.edit_return", programme_id=programme.id, key=key))
        errors = getattr(saved.error, "errors", None) or {"values": [saved.error.message]}
    form.form_errors.extend(errors.pop("values", []))
    done_writing()
    return _form_page(programme, period, ret, form, entered, errors, status=422)
