"""Reminder pages: thin views over app.services.reminders, reminder_plan and digest."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.infra import clock
from app.reminders.forms import DigestForm, PlanForm, SendNowForm
from app.services import digest, reminder_history, reminder_plan, reminders
from app.web.forms import Refused, call_service
from app.web.support import load_bid

bp = Blueprint("reminders", __name__)


def _send_form(bid, form: SendNowForm | None = None) -> SendNowForm:
    form = form or SendNowForm()
    targets = reminders.manual_targets(bid)
    counts = {kind: sum(1 for t in targets if t.kind == kind) for kind in reminders.GROUPS}
    form.group.choices = [("", "Choose…")] + [
        (kind, f"{label} ({counts[kind]})") for kind, label in reminders.GROUPS.items()
    ]
    label = {"not_responded": "not responded", "not_pledged": "no pledge", "confirm": "indicative", "member": "joined"}
    form.group.choices += [
        (f"invitation:{t.invitation_id}", f"Only {t.organisation_name} ({label[t.kind]}, {t.email})")
        for t in sorted(targets, key=lambda t: t.organisation_name.casefold())
    ]
    if not form.send_id.data or request.method == "GET":
        form.send_id.data = reminders.new_send_id()
    return form


def _page(bid, plan_form=None, send_form=None, status=200):
    plan_form = plan_form or PlanForm(plan=reminder_plan.as_text(bid.reminder_plan or []))
    now = clock.now()
    schedule = [reminder_plan.Slot(minutes, bid.deadline) for minutes in bid.reminder_plan or []]
    return (
        render_template(
            "reminders/index.html",
            bid=bid,
            plan_form=plan_form,
            send_form=_send_form(bid, send_form),
            schedule=schedule,
            describe=reminder_plan.describe,
            history=reminder_history.history(bid),
            now=now,
        ),
        status,
    )


@bp.get("/bids/<int:bid_id>/reminders")
@login_required
def index(bid_id: int):
    return _page(load_bid(bid_id, convenor=True))


@bp.post("/bids/<int:bid_id>/reminders/plan")
@login_required
def save_plan(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    form = PlanForm()

    def save():
        return reminder_plan.set_plan(current_user, bid, reminder_plan.parse_plan(form.plan.data))

    if form.validate_on_submit() and not isinstance(call_service(form, save), Refused):
        flash("The reminder plan is saved.", "success")
        return redirect(url_for("reminders.index", bid_id=bid.id))
    return _page(bid, plan_form=form, status=422)


@bp.post("/bids/<int:bid_id>/reminders/send")
@login_required
def send_now(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    form = _send_form(bid, SendNowForm())
    if form.validate_on_submit():
        result = call_service(
            form,
            lambda: reminders.send_now(
                current_user, bid, group=form.group.data, message=form.message.data, send_id=form.send_id.data
            ),
        )
        if not isinstance(result, Refused):
            sent, _already = result
            if sent:
                flash(f"Reminder sent to {sent} {'person' if sent == 1 else 'people'}.", "success")
            else:
                flash("This reminder was already sent; nothing was sent again.", "info")
            return redirect(url_for("reminders.index", bid_id=bid.id))
    return _page(bid, send_form=form, status=422)


@bp.post("/account/digest")
@login_required
def digest_preference():
    form = DigestForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    digest.set_opt_out(user, bool(form.digest_opt_out.data))
    flash("You will not get the daily digest." if user.digest_opt_out else "You will get the daily digest.", "success")
    return redirect(url_for("auth.account"))
