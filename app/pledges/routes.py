"""Pledge pages: thin views over app.services.pledges."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.bids.routes import load
from app.database import done_writing
from app.extensions import db
from app.models import BidStatus
from app.money import pence_to_pounds_text
from app.pledges.forms import PledgeForm, WithdrawForm
from app.services import access, clock, pledges
from app.services.errors import BidNotOpen, DomainError, NotFound, StaleVersion, ValidationFailed
from app.web.forms import add_rule_errors, apply_errors, has_errors

bp = Blueprint("pledges", __name__)

FIELD_MAP = {"amount_pence": "amount"}


def _member_bid(bid_id: int):
    try:
        return access.get_bid_for_member(current_user, bid_id)
    except NotFound:
        abort(404)


@bp.route("/bids/<int:bid_id>/pledge", methods=["GET", "POST"])
@login_required
def edit(bid_id: int):
    bid = _member_bid(bid_id)
    pledge = pledges.current_pledge(bid, current_user.organisation_id)
    form = PledgeForm()
    conflict = None
    closed_message = None
    if request.method == "GET":
        if pledge is not None:
            form.amount.data = pence_to_pounds_text(pledge.amount_pence)
            form.homes.data = pledge.homes
            form.regions.data = list(pledge.regions or [])
            form.statement.data = pledge.statement
            form.status.data = str(pledge.status) if pledge.is_live else "indicative"
        form.version.data = str(pledge.version if pledge else 0)
    elif not form.validate_on_submit() or has_errors(form):
        if not form.csrf_token.errors:
            add_rule_errors(form, lambda: pledges.validate(_values(form), bid), FIELD_MAP)
    else:
        values = _values(form)
        try:
            version = pledges.expected_version_from(form.version.data)
            saved = pledges.save_pledge(current_user, bid, values, expected_version=0 if version is None else version)
        except StaleVersion as exc:
            db.session.rollback()
            db.session.expire_all()
            pledge = pledges.current_pledge(bid, current_user.organisation_id)
            conflict = {"message": exc.message, "pledge": pledge}
            form.version.data = str(pledge.version if pledge else 0)
        except BidNotOpen as exc:
            db.session.rollback()
            closed_message = exc.message
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc, FIELD_MAP)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            # Read the ids before committing: afterwards they are expired, and reloading them would open a
            # second transaction (on SQLite a second BEGIN IMMEDIATE, queueing again for the write lock).
            receipt_url = url_for("pledges.receipt", bid_id=bid.id, pledge_id=saved.id)
            db.session.commit()
            return redirect(receipt_url)
    status = 200 if request.method == "GET" else (409 if conflict or closed_message else 422)
    if request.method == "POST":
        # A refused write renders the form again: not while holding SQLite's write lock, which the request's
        # first query took and every other writer (in a deadline rush, hundreds) would wait behind.
        done_writing(db.session)
    accepting = bid.status == BidStatus.OPEN and clock.now() < bid.grace_ends
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
    bid = _member_bid(bid_id)
    pledge = pledges.current_pledge(bid, current_user.organisation_id)
    if pledge is None or pledge.id != pledge_id:
        abort(404)
    if not pledge.is_live:  # a receipt would say "saved"; the bid page says it was withdrawn
        flash("Your pledge was withdrawn after that receipt. You can pledge again until the deadline.", "info")
        return redirect(url_for("bids.show", bid_id=bid.id))
    return render_template("pledges/receipt.html", bid=bid, pledge=pledge)


@bp.post("/bids/<int:bid_id>/pledge/withdraw")
@login_required
def withdraw(bid_id: int):
    bid = _member_bid(bid_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        pledges.withdraw_pledge(current_user, bid, expected_version=pledges.expected_version_from(form.version.data))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message if not isinstance(exc, ValidationFailed) else "Reload the page and try again.", "error")
        return redirect(url_for("pledges.edit", bid_id=bid.id))
    db.session.commit()
    flash("Your pledge is withdrawn. You can pledge again until the deadline.", "success")
    return redirect(url_for("bids.show", bid_id=bid.id))


@bp.get("/bids/<int:bid_id>/pledges/<int:pledge_id>/history")
@login_required
def history(bid_id: int, pledge_id: int):
    bid = load(bid_id)
    try:
        pledge, revisions = pledges.revisions_for(current_user, bid, pledge_id)
    except NotFound:
        abort(404)
    return render_template("pledges/history.html", bid=bid, pledge=pledge, revisions=revisions)
