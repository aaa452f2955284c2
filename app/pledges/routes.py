"""Pledge pages: thin views over app.services.pledges."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.infra import clock, metrics
from app.money import format_pence, pence_to_pounds_text
from app.pledges.forms import PledgeForm, WithdrawForm
from app.regions import region_names
from app.services import pledges
from app.services.errors import BidNotOpen, StaleVersion
from app.text import possessive
from app.web import confirm, conflicts
from app.web.confirm import Confirmation
from app.web.forms import FLASH, Refused, add_rule_errors, call_service, has_errors
from app.web.support import form_version, load_bid, member_bid
from app.web.transaction import done_writing

bp = Blueprint("pledges", __name__)

FIELD_MAP = {"amount_pence": "amount"}


@bp.route("/bids/<int:bid_id>/pledge", methods=["GET", "POST"])
@login_required
def edit(bid_id: int):
    bid = member_bid(bid_id)
    pledge = pledges.current_pledge(bid, current_user.organisation_id)
    form = PledgeForm()
    conflict = None
    closed_message = None
    if request.method == "GET":
        _fill(form, pledge)
    elif not form.validate_on_submit() or has_errors(form):
        if not form.csrf_token.errors:
            add_rule_errors(form, lambda: pledges.validate(_values(form), bid), FIELD_MAP)
            metrics.pledge_write("invalid")  # refused by the form before the service saw it
    else:
        values = _values(form)

        def save():
            version = form_version(form.version.data)
            return pledges.save_pledge(
                current_user, bid, values, expected_version=0 if version is None else version, pledge=pledge
            )

        saved = call_service(form, save, FIELD_MAP, apart=(StaleVersion, BidNotOpen))
        if not isinstance(saved, Refused):
            return redirect(url_for("pledges.receipt", bid_id=bid.id, pledge_id=saved.id))
        if isinstance(saved.error, StaleVersion):
            # The saved values go back in the fields, so that clicking again cannot overwrite them; what the
            # person typed is shown beside them, so nothing typed is lost.
            typed = _typed(form)
            pledge = pledges.current_pledge(bid, current_user.organisation_id)
            conflict = conflicts.conflict(
                pledge.updated_by if pledge else None, pledge.updated_at if pledge else None, current_user, typed
            )
            _fill(form, pledge)
            form.accept_terms.data = False
        elif isinstance(saved.error, BidNotOpen):
            closed_message = saved.error.message
    status = 200 if request.method == "GET" else (409 if conflict or closed_message else 422)
    if request.method == "POST":
        # A refused write renders the form again: not while holding SQLite's write lock, which the request's
        # first query took and every other writer (in a deadline rush, hundreds) would wait behind.
        done_writing()
    accepting = bid.takes_pledges_from(clock.received_at(), started=bid.had_started(pledge))
    return render_template(
        "pledges/form.html",
        bid=bid,
        pledge=pledge,
        form=form,
        conflict=conflict,
        closed_message=closed_message,
        accepting=accepting,
        withdraw_form=WithdrawForm(version=pledge.version if pledge else 0),
    ), status


def _fill(form: PledgeForm, pledge) -> None:
    """The form as the saved pledge stands (a first pledge starts from the organisation's profile regions)."""
    if pledge is not None:
        form.amount.data = pence_to_pounds_text(pledge.amount_pence)
        form.homes.data = pledge.homes
        form.regions.data = list(pledge.regions or [])
        form.statement.data = pledge.statement
        form.status.data = str(pledge.status) if pledge.is_live else "indicative"
    else:
        form.regions.data = list(getattr(current_user.organisation, "regions", None) or [])
    form.version.data = str(pledge.version if pledge else 0)


def _typed(form: PledgeForm) -> list[tuple[str, str]]:
    labels = {option.data: option.label.text for option in form.status}
    status = labels.get(form.status.data, "") if form.status.data else ""
    return [
        ("Amount", request.form.get("amount", "")),
        ("Homes", request.form.get("homes", "")),
        ("Regions", ", ".join(region_names(form.regions.data or [])) or "none"),
        ("Statement", form.statement.data or ""),
        ("Status", status.split(":")[0]),
    ]


def _values(form: PledgeForm) -> dict:
    return {
        "amount_pence": form.amount.pence,
        "homes": form.homes.data,
        "regions": form.regions.data or [],
        "statement": form.statement.data or "",
        "status": form.status.data,
        "accept_terms": bool(form.accept_terms.data),
    }


@bp.get("/bids/<int:bid_id>/pledges/<int:pledge_id>/receipt")
@login_required
def receipt(bid_id: int, pledge_id: int):
    bid = member_bid(bid_id)
    pledge = pledges.current_pledge(bid, current_user.organisation_id)
    if pledge is None or pledge.id != pledge_id:
        abort(404)
    if not pledge.is_live:  # a receipt would say "saved"; the bid page says it was withdrawn
        flash("Your pledge was withdrawn after that receipt. You can pledge again until the deadline.", "info")
        return redirect(url_for("bids.show", bid_id=bid.id))
    return render_template("pledges/receipt.html", bid=bid, pledge=pledge)


@bp.route("/bids/<int:bid_id>/pledge/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(bid_id: int):
    """Withdraw the organisation's pledge, after the confirmation page (app/web/confirm.py)."""
    bid = member_bid(bid_id)
    pledge = pledges.current_pledge(bid, current_user.organisation_id)
    if pledge is None or not pledge.is_live:
        if request.method == "GET":
            return redirect(url_for("pledges.edit", bid_id=bid.id))
    else:
        asked = confirm.gate(lambda: _withdraw_confirmation(bid, pledge))
        if asked is not None:
            return asked
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    withdrawn = call_service(
        None,
        lambda: pledges.withdraw_pledge(current_user, bid, expected_version=form_version(form.version.data)),
        message_to=FLASH,
        invalid_message="Reload the page and try again.",
    )
    if isinstance(withdrawn, Refused):
        return redirect(url_for("pledges.edit", bid_id=bid.id))
    flash("Your pledge is withdrawn. You can pledge again until the deadline.", "success")
    return redirect(url_for("bids.show", bid_id=bid.id))


def _withdraw_confirmation(bid, pledge) -> Confirmation:
    # The version the person's page was opened on travels through the page, so a change made meanwhile is refused.
    version = request.form.get("version") or str(pledge.version)
    return Confirmation(
        title="Withdraw your organisation's pledge?",
        caption=bid.title,
        happens=[
            f"{possessive(current_user.organisation.name)} pledge of {format_pence(pledge.amount_pence)} covering "
            f"{pledge.homes:,} homes stops counting towards the consortium's total at once.",
            f"You can pledge again until {clock.format_uk(bid.deadline)}; the history keeps every version.",
        ],
        emailed=f"You ({current_user.email}) will be emailed a receipt. The convenors see the change on their "
        "dashboard; no one else is emailed.",
        confirm_label="Yes, withdraw the pledge",
        keep_label="No, keep the pledge",
        back_url=url_for("pledges.edit", bid_id=bid.id),
        hidden={"version": version},
    )


@bp.get("/bids/<int:bid_id>/pledges/<int:pledge_id>/history")
@login_required
def history(bid_id: int, pledge_id: int):
    bid = load_bid(bid_id)
    pledge, revisions = pledges.revisions_for(current_user, bid, pledge_id)
    return render_template("pledges/history.html", bid=bid, pledge=pledge, revisions=revisions)
