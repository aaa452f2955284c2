"""The convenor's returns pages: programmes, creating one, the dashboard, reviewing a return, lock exceptions."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.models import Bid, ImpactReturn, Organisation
from app.returns import charts
from app.returns.blueprint import bp
from app.returns.forms import LockExceptionForm, ProgrammeForm, QueryForm
from app.returns.member import programme_page
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.returns import evidence as return_evidence
from app.services.returns import participants, periods, programmes, review, totals
from app.services.returns import reminders as return_reminders
from app.services.returns.returns import revisions
from app.units import format_figure
from app.web.forms import FLASH, Refused, apply_errors, call_service
from app.web.support import ActionForm

MEASURE_ROWS = 12


def _convenor_programme(programme_id: int):
    return programmes.get_for_convenor(current_user, programme_id)


@bp.get("/programmes")
@login_required
def index():
    return render_template("returns/index.html", programmes=programmes.visible(current_user))


@bp.route("/programmes/new", methods=["GET", "POST"])
@login_required
def new():
    if not current_user.is_convenor:
        raise PermissionDenied("Only convenors can create programmes.")
    form = ProgrammeForm()
    body_id = current_user.organisation_id
    entries = participants.directory_entries(body_id)
    candidates = programmes.candidate_organisations(body_id)
    cannot = [(e.display_name, participants.skip_reason(e)) for e in entries if participants.skip_reason(e)]
    tags = participants.tag_names(body_id)
    rows = [dict(m) for m in programmes.TEMPLATE] if request.method == "GET" else _measure_rows()
    chosen = {o.id for o in candidates} if request.method == "GET" else _chosen()
    who = request.form.get("who", "chosen") if request.method == "POST" else "chosen"
    tag = (request.form.get("tag") or "")[:100] if who == "tag" else None
    measure_errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        values = {
            "title": form.title.data,
            "description": form.description.data,
            "first_period": form.first_period.data,
            "due_days": _int_or_text(form.due_days.data),
            "lock_days": _int_or_text(form.lock_days.data),
            "measures": [r for r in rows if r.get("code") or r.get("label")],
        }
        made = call_service(
            form,
            lambda: programmes.create_from_directory(
                current_user,
                values,
                organisation_ids=sorted(chosen) if who == "chosen" else None,
                tag=tag,
                everyone=who == "all",
            ),
        )
        created = made if isinstance(made, Refused) else made[0]
        if not isinstance(created, Refused):
            flash(f"The programme “{created.title}” is set up.", "success")
            skipped = made[1].skipped
            if skipped:
                names = "; ".join(f"{name} ({reason})" for name, reason in skipped)
                flash(f"Not taking part, {len(skipped)}: {names}.", "info")
            return redirect(url_for("returns.show", programme_id=created.id))
        if isinstance(created.error, ValidationFailed):
            measure_errors = {
                k: v for k, v in created.error.errors.items() if k.startswith(("measures", "organisation", "tag"))
            }
        status = 422
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 422
    while len(rows) < MEASURE_ROWS:
        rows.append({"code": "", "label": "", "help": "", "unit": "count", "kind": "flow", "required": True})
    return render_template(
        "returns/new.html",
        form=form,
        rows=rows,
        candidates=candidates,
        chosen=chosen,
        cannot=cannot,
        tags=tags,
        who=who,
        tag=tag or "",
        measure_errors=measure_errors,
    ), status


def _int_or_text(text):
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) < 6 else (text or None)


def _chosen() -> set[int]:
    return {int(v) for v in request.form.getlist("organisation_ids") if v.isdigit() and len(v) < 10}


def _measure_rows() -> list[dict]:
    rows = []
    for n in range(MEASURE_ROWS):
        get = lambda name, n=n: (request.form.get(f"m-{n}-{name}") or "").strip()  # noqa: E731
        rows.append(
            {
                "code": get("code").upper(),
                "label": get("label"),
                "help": get("help"),
                "unit": get("unit"),
                "kind": get("kind"),
                "required": bool(get("required")),
            }
        )
    return rows


@bp.get("/programmes/<int:programme_id>")
@login_required
def show(programme_id: int):
    programme = programmes.get_for_viewer(current_user, programme_id)
    if not programmes.is_convenor(current_user, programme):
        return programme_page(programme)
    rows = totals.series(programme)
    latest = rows[-1] if rows else None
    names = _names(latest["missing_organisations"] if latest else [])
    codes = list(latest["measures"]) if latest else [m.code for m in programme.current_set.measures]
    return render_template(
        "returns/dashboard.html",
        programme=programme,
        rows=rows,
        latest=latest,
        names=names,
        codes=codes,
        chart=lambda code: charts.bars(rows, code),
        fmt=format_figure,
        remind_form=ActionForm(),
        returns=_returns_by_period(programme),
        # a social-value column only where the convenor entered licensed unit values (with their source)
        bids=_body_bids(),
        social=bool(latest) and any(c["social_value_source"] for c in latest["measures"].values()),
        # scaled up to the whole sector only when the convenor entered the sector's homes: labelled an estimate
        estimates=bool(latest) and any(c["sector_estimate"] is not None for c in latest["measures"].values()),
    )


def _body_bids():
    return list(
        db.session.scalars(
            sa.select(Bid).where(Bid.organisation_id == current_user.organisation_id).order_by(Bid.id.desc())
        )
    )


#: the dashboard lists the returns of this many latest periods (older ones: the spreadsheet)
LISTED_PERIODS = 3


def _returns_by_period(programme) -> dict[int, list[sa.Row]]:
    """The latest periods' returns (id, organisation's name, status, late) by name, in one query of plain rows
    (not one per organisation, and no ORM objects: at 2,000 organisations building them was most of the page)."""
    latest = [p.id for p in programme.periods[-LISTED_PERIODS:]]
    found: dict[int, list[sa.Row]] = {}
    query = (
        sa.select(ImpactReturn.period_id, ImpactReturn.id, Organisation.name, ImpactReturn.status, ImpactReturn.late)
        .join(Organisation, Organisation.id == ImpactReturn.organisation_id)
        .where(ImpactReturn.period_id.in_(latest))
        .order_by(Organisation.name_key, ImpactReturn.id)
    )
    for row in db.session.execute(query):
        found.setdefault(row.period_id, []).append(row)
    return found


def _names(org_ids: list[int]) -> dict[int, str]:
    if not org_ids:
        return {}
    return dict(
        db.session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))).all()
    )


def _period(programme, key: str):
    period = periods.find_period(programme, key)
    if period is None:
        raise NotFound("No such period.")
    return period


@bp.route("/programmes/<int:programme_id>/periods/<key>/returns/<int:return_id>", methods=["GET"])
@login_required
def review_return(programme_id: int, key: str, return_id: int):
    programme = _convenor_programme(programme_id)
    period = _period(programme, key)
    ret = review.get_return(current_user, programme, return_id)
    if ret.period_id != period.id:
        raise NotFound("No such return.")
    return render_template(
        "returns/review.html",
        programme=programme,
        period=period,
        ret=ret,
        revisions=revisions(ret),
        measures=period.measure_set.measures,
        fmt=format_figure,
        query_form=QueryForm(),
        accept_form=ActionForm(),
        exception_form=LockExceptionForm(organisation_id=str(ret.organisation_id)),
    )


@bp.post("/programmes/<int:programme_id>/periods/<key>/returns/<int:return_id>/accept")
@login_required
def accept(programme_id: int, key: str, return_id: int):
    programme = _convenor_programme(programme_id)
    _period(programme, key)
    form = ActionForm()
    if not form.validate_on_submit():  # CSRF only: the app's CSRF handler answers first
        abort(400)
    done = call_service(None, lambda: review.accept(current_user, programme, return_id), message_to=FLASH)
    if not isinstance(done, Refused):
        flash("Return accepted.", "success")
    return redirect(url_for("returns.review_return", programme_id=programme.id, key=key, return_id=return_id))


@bp.post("/programmes/<int:programme_id>/periods/<key>/returns/<int:return_id>/query")
@login_required
def query(programme_id: int, key: str, return_id: int):
    programme = _convenor_programme(programme_id)
    _period(programme, key)
    form = QueryForm()
    if not form.validate_on_submit():  # CSRF only: the app's CSRF handler answers first
        abort(400)
    done = call_service(
        None, lambda: review.query(current_user, programme, return_id, form.note.data), message_to=FLASH
    )
    if not isinstance(done, Refused):
        flash("The return is reopened to the organisation with your note.", "success")
    return redirect(url_for("returns.review_return", programme_id=programme.id, key=key, return_id=return_id))


@bp.route("/programmes/<int:programme_id>/periods/<key>/exceptions", methods=["GET", "POST"])
@login_required
def lock_exception(programme_id: int, key: str):
    programme = _convenor_programme(programme_id)
    period = _period(programme, key)
    form = LockExceptionForm()
    form.organisation_id.choices = [(str(o.id), o.name) for o in programmes.participants(programme)]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            org = form.organisation_id.data
            org_id = int(org) if org and org.isdigit() and len(org) < 10 else None
            done = call_service(
                form,
                lambda: review.add_lock_exception(
                    current_user, programme, period, org_id, form.reason.data, form.end_date.data
                ),
            )
            if not isinstance(done, Refused):
                flash(f"{period.key} is reopened for {done.organisation.name}.", "success")
                return redirect(url_for("returns.show", programme_id=programme.id))
        elif not form.csrf_token.errors and form.end_date.errors:
            apply_errors(form, ValidationFailed({}))
        status = 422
    return render_template("returns/exception.html", programme=programme, period=period, form=form), status


@bp.post("/programmes/<int:programme_id>/periods/<key>/remind")
@login_required
def remind_missing(programme_id: int, key: str):
    """One click: remind every organisation that has not submitted the period."""
    programme = _convenor_programme(programme_id)
    period = _period(programme, key)
    form = ActionForm()
    if not form.validate_on_submit():  # CSRF only: the app's CSRF handler answers first
        abort(400)
    sent = call_service(
        None, lambda: return_reminders.send_to_missing(current_user, programme, period), message_to=FLASH
    )
    if not isinstance(sent, Refused):
        flash(f"Reminder sent to {sent} organisation{'s' if sent != 1 else ''}.", "success")
    return redirect(url_for("returns.show", programme_id=programme.id))


@bp.post("/programmes/<int:programme_id>/evidence")
@login_required
def attach_evidence(programme_id: int):
    """Attach the programme's figures over a range of periods to one of the body's bids, for its pack."""
    programme = _convenor_programme(programme_id)
    form = ActionForm()
    if not form.validate_on_submit():  # CSRF only: the app's CSRF handler answers first
        abort(400)
    raw = request.form.get("bid_id", "")
    bid_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    done = call_service(
        None,
        lambda: return_evidence.attach_evidence(
            current_user, programme, bid_id, request.form.get("from_period", ""), request.form.get("to_period", "")
        ),
        message_to=FLASH,
    )
    if not isinstance(done, Refused):
        flash("Attached: the bid's next pack will have “Evidence from our members”.", "success")
    return redirect(url_for("returns.show", programme_id=programme.id))
