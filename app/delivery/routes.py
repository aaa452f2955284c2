"""After-the-bid pages: record the outcome, the delivery dashboard, closing delivery, the 360Giving export."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.delivery.blueprint import bp
from app.delivery.forms import OutcomeForm
from app.infra import clock
from app.money import pence_to_pounds_text
from app.services import delivery, giving360, outcomes
from app.services.errors import StaleVersion
from app.web.downloads import send_private
from app.web.forms import FLASH, Refused, add_rule_errors, call_service, has_errors
from app.web.support import ActionForm, form_version, load_bid

OUTCOME_MAP = {"amount_awarded_pence": "amount_awarded"}


@bp.route("/bids/<int:bid_id>/outcome", methods=["GET", "POST"])
@login_required
def outcome(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    current = outcomes.outcome_of(bid)
    form = OutcomeForm()
    if request.method == "GET" and current is not None:
        form.result.data = current.result
        form.amount_awarded.data = (
            pence_to_pounds_text(current.amount_awarded_pence) if current.amount_awarded_pence else ""
        )
        for name in ("award_date", "spend_by", "grants_due_by"):
            value = getattr(current, name)
            getattr(form, name).data = value.isoformat() if value else ""
        for name in ("grant_reference", "conditions", "reason", "feedback"):
            getattr(form, name).data = getattr(current, name) or ""
    if request.method == "GET":
        form.version.data = str(current.version if current else 0)
    elif not form.validate_on_submit() or has_errors(form):
        if not form.csrf_token.errors:
            add_rule_errors(form, lambda: outcomes.validate_outcome(_outcome_values(form)), OUTCOME_MAP)
    else:
        values = _outcome_values(form)

        def record():
            return outcomes.record_outcome(current_user, bid, values, expected_version=form_version(form.version.data))

        saved = call_service(form, record, OUTCOME_MAP, apart=(StaleVersion,))
        if isinstance(saved, Refused):
            form.form_errors.append(saved.error.message)
        else:
            flash(f"Outcome recorded: the bid was {saved.result}. Members have been told by email.", "success")
            return redirect(url_for("bids.show", bid_id=bid.id))
    status = 422 if request.method == "POST" else 200
    return render_template("delivery/outcome.html", bid=bid, form=form, current=current), status


def _outcome_values(form: OutcomeForm) -> dict:
    result = form.result.data
    values = {"result": result}
    if result == "won":
        values.update(
            amount_awarded_pence=form.amount_awarded.pence,
            award_date=form.award_date.day,
            spend_by=form.spend_by.day,
            grants_due_by=form.grants_due_by.day,
            grant_reference=form.grant_reference.data,
            conditions=form.conditions.data,
        )
    else:
        values.update(reason=form.reason.data, feedback=form.feedback.data)
    return values


@bp.get("/bids/<int:bid_id>/delivery")
@login_required
def dashboard(bid_id: int):
    bid = load_bid(bid_id)
    if not bid.in_delivery:
        abort(404)  # only a won bid has a delivery phase
    return render_template(
        "delivery/dashboard.html",
        bid=bid,
        outcome=outcomes.outcome_of(bid),
        figures=delivery.summary(current_user, bid),
        action_form=ActionForm(),
    )


@bp.get("/bids/<int:bid_id>/360giving")
@login_required
def giving(bid_id: int):
    """The checks every grant must pass before the 360Giving files are offered, and the downloads (its own page:
    checking every grant takes about a millisecond each, too long to repeat on each view of the dashboard)."""
    bid = load_bid(bid_id, convenor=True)
    if not bid.in_delivery:
        abort(404)
    check = giving360.build(current_user, bid, now=clock.now())
    return render_template("delivery/giving360.html", bid=bid, check=check)


@bp.post("/bids/<int:bid_id>/delivery/<any(close, reopen):action>")
@login_required
def close(bid_id: int, action: str):
    bid = load_bid(bid_id, convenor=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    done = call_service(
        None, lambda: outcomes.set_delivery_open(current_user, bid, open_=action == "reopen"), message_to=FLASH
    )
    if not isinstance(done, Refused):
        flash(
            "Delivery is closed: grants can no longer change." if action == "close" else "Delivery is open again.",
            "success",
        )
    return redirect(url_for("delivery.dashboard", bid_id=bid.id))


@bp.get("/bids/<int:bid_id>/360giving.<any(json, csv, xlsx):form>")
@login_required
def export(bid_id: int, form: str):
    bid = load_bid(bid_id, convenor=True)
    leave_out = request.args.get("without_failing") == "1"
    result = call_service(
        None,
        lambda: giving360.export(current_user, bid, now=clock.now(), leave_out_failing=leave_out),
        message_to=FLASH,
    )
    if isinstance(result, Refused):
        return redirect(url_for("delivery.giving", bid_id=bid.id))
    return send_private(giving360.render(result, form), f"bid-{bid.id}-360giving-{clock.now():%Y%m%d}.{form}", form)
