"""Bid pages: thin views over app.services.bids and app.services.totals."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import notifications
from app.bids import confirmations
from app.bids.forms import BidForm, CopyForm, ExtendForm
from app.infra import clock
from app.live import render as live_render
from app.models import Bid, BidStatus
from app.money import pence_to_pounds_text
from app.services import access, bid_copy, bids, disclosure, outcomes, pledges
from app.services import audit_log as audit_log_service
from app.services.member_table import MAX_SEARCH, MemberQuery
from app.web import confirm
from app.web.downloads import send_private
from app.web.forms import FLASH, Refused, add_rule_errors, call_service, has_errors, london_datetime
from app.web.support import ActionForm, form_version, load_bid

bp = Blueprint("bids", __name__)

FIELD_MAP = {
    "target_pence": "target",
    "min_pledge_pence": "min_pledge",
    "min_total_pence": "min_total",
    "deadline": "deadline_date",
}


@bp.get("/")
@login_required
def index():
    visible = access.visible_bids(current_user)
    figures = {bid.id: disclosure.totals_for(current_user, bid) for bid in visible}
    return render_template("bids/index.html", bids=visible, figures=figures)


def _values(form: BidForm) -> dict:
    values = {
        "title": form.title.data,
        "funder_name": form.funder_name.data,
        "scheme": form.scheme.data,
        "summary": form.summary.data or "",
        "terms": form.terms.data or "",
        "target_pence": form.target.pence,
        "target_homes": form.target_homes.data,
        "min_pledge_pence": form.min_pledge.pence,
        "min_total_pence": form.min_total.pence,
        "min_members": form.min_members.data,
        "show_amounts": bool(form.show_amounts.data),
        "grace_minutes": form.grace_minutes.data or 0,
    }
    deadline = london_datetime(form.deadline_date, form.deadline_time)
    if deadline is not None:
        values["deadline"] = deadline
    return values


@bp.route("/bids/new", methods=["GET", "POST"])
@login_required
def new():
    if not current_user.is_convenor:
        abort(403)
    form = BidForm()
    valid = form.validate_on_submit()
    if request.method == "POST" and not form.csrf_token.errors:
        values = _values(form)
        if not valid or has_errors(form):
            _rule_errors(form, values)
        else:
            bid = call_service(
                form,
                lambda: bids.create_bid(current_user, values, open_now=request.form.get("action") == "open"),
                FIELD_MAP,
            )
            if not isinstance(bid, Refused):
                flash(
                    "Bid opened: invite organisations next."
                    if bid.status == BidStatus.OPEN
                    else "Bid saved as a draft.",
                    "success",
                )
                return redirect(url_for("bids.show", bid_id=bid.id))
    return _form_page(form, None)


@bp.route("/bids/<int:bid_id>/edit", methods=["GET", "POST"])
@login_required
def edit(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    if not bid.is_editable:
        flash(f"A {bid.status} bid cannot be edited.", "error")
        return redirect(url_for("bids.show", bid_id=bid.id))
    form = BidForm(obj=bid)
    if request.method == "GET":
        form.target.data = _pounds(bid.target_pence)
        form.min_pledge.data = _pounds(bid.min_pledge_pence)
        form.min_total.data = _pounds(bid.min_total_pence)
        local = clock.to_london(bid.deadline)
        form.deadline_date.data, form.deadline_time.data = local.date(), local.time().replace(second=0)
    if bid.is_open:
        # The deadline of an open bid moves only by extending; the fields are shown read-only.
        local = clock.to_london(bid.deadline)
        form.deadline_date.data, form.deadline_time.data = local.date(), local.time().replace(second=0)
    valid = form.validate_on_submit()
    if request.method == "POST" and not form.csrf_token.errors:
        values = _values(form)
        if bid.is_open:
            values.pop("deadline", None)
        if not valid or has_errors(form):
            _rule_errors(form, values, partial=True)
        else:

            def update():
                version = form_version(request.form.get("version"))
                return bids.update_bid(current_user, bid, values, expected_version=version)

            if not isinstance(call_service(form, update, FIELD_MAP), Refused):
                flash("Bid updated.", "success")
                return redirect(url_for("bids.show", bid_id=bid.id))
    return _form_page(form, bid)


def _rule_errors(form: BidForm, values: dict, *, partial: bool = False) -> None:
    """Show the service's rules (minimum above target, deadline in the past) beside the fields too."""
    deadline_typed_wrong = bool(form.deadline_date.errors or form.deadline_time.errors)
    add_rule_errors(
        form,
        lambda: bids.validate_bid_values(values, now=clock.now(), partial=partial),
        FIELD_MAP,
        ignore=("deadline",) if deadline_typed_wrong else (),
    )


def _form_page(form: BidForm, bid: Bid | None):
    status = 422 if request.method == "POST" else 200
    return render_template("bids/form.html", form=form, bid=bid), status


@bp.route("/bids/<int:bid_id>/<any(open, close, cancel, submit, restore):action>", methods=["GET", "POST"])
@login_required
def transition(bid_id: int, action: str):
    """Open or restore at once; close, cancel and submit only after the confirmation page (app/web/confirm.py)."""
    bid = load_bid(bid_id, convenor=True)
    if action in confirmations.CONFIRM and action in bid.next_actions:
        asked = confirm.gate(lambda: confirmations.CONFIRM[action](bid))
        if asked is not None:
            return asked
    elif request.method == "GET":
        flash(f"That cannot be done to a {bid.status} bid.", "error")
        return redirect(url_for("bids.show", bid_id=bid.id))
    elif not ActionForm().validate_on_submit():
        abort(400)
    operation = {
        "open": bids.open_bid,
        "close": bids.close_bid,
        "cancel": bids.cancel_bid,
        "submit": bids.mark_submitted,
        "restore": bids.restore_bid,
    }[action]
    if not isinstance(call_service(None, lambda: operation(current_user, bid), message_to=FLASH), Refused):
        flash(
            {
                "open": "The bid is open: members can pledge until the deadline.",
                "close": "The bid is closed: no more pledges will be taken.",
                "cancel": "The bid is cancelled.",
                "submit": "The bid is marked as submitted.",
                "restore": "The bid is a draft again: edit it, then open it for pledges.",
            }[action],
            "success",
        )
    return redirect(url_for("bids.show", bid_id=bid.id))


@bp.route("/bids/<int:bid_id>/extend", methods=["GET", "POST"])
@login_required
def extend(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    form = ExtendForm()
    if form.validate_on_submit():
        deadline = london_datetime(form.deadline_date, form.deadline_time)
        if deadline is not None:
            extended = call_service(
                form, lambda: bids.extend_deadline(current_user, bid, deadline), {"deadline": "deadline_date"}
            )
            if not isinstance(extended, Refused):
                flash(f"The deadline is now {clock.format_uk(bid.deadline)}.", "success")
                return redirect(url_for("bids.show", bid_id=bid.id))
    status = 422 if request.method == "POST" else 200
    return render_template("bids/extend.html", form=form, bid=bid), status


@bp.route("/bids/<int:bid_id>/copy", methods=["GET", "POST"])
@login_required
def copy(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    form = CopyForm()
    if request.method == "GET":
        form.title.data = bid_copy.copy_title(bid.title)
    if form.validate_on_submit():
        deadline = london_datetime(form.deadline_date, form.deadline_time)
        if deadline is not None:
            result = call_service(
                form,
                lambda: bid_copy.copy_bid(
                    current_user, bid, deadline=deadline, title=form.title.data, invite=form.invite.data
                ),
                {"deadline": "deadline_date"},
            )
            if not isinstance(result, Refused):
                copied, report = result
                invited = f" {len(report.accepted)} organisations invited." if report else ""
                flash(f"Copied as a draft: check it and open it when ready.{invited}", "success")
                return redirect(url_for("bids.show", bid_id=copied.id))
    status = 422 if request.method == "POST" else 200
    return render_template("bids/copy.html", form=form, bid=bid), status


@bp.get("/bids/<int:bid_id>")
@login_required
def show(bid_id: int):
    bid = load_bid(bid_id)
    # One snapshot serves the page and its live panel: totals, members and waiting list are read once.
    # A convenor's members table is one page of 50 (sorted and searched as the query string asks).
    live = live_render.page_context(current_user, bid, members=MemberQuery.from_args(request.args))
    if access.is_bid_convenor(current_user, bid):
        return render_template(
            "bids/dashboard.html",
            bid=bid,
            live=live,
            totals=live["totals"],
            members=live["members"],
            member_page=live["member_page"],
            max_search=MAX_SEARCH,
            waiting=live["waiting"],
            action_form=ActionForm(),
            failed_emails=notifications.failed_count(bid),
            now=live["now"],
            outcome=outcomes.outcome_of(bid),
        )
    pledge = pledges.current_pledge(bid, current_user.organisation_id)
    return render_template(
        "bids/member.html",
        bid=bid,
        live=live,
        totals=live["totals"],
        pledge=pledge,
        members=live["members"],
        now=live["now"],
        started=bid.had_started(pledge),
        outcome=outcomes.outcome_of(bid),
    )


@bp.get("/bids/<int:bid_id>/audit")
@login_required
def audit_log(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    filters, args = _audit_filters()
    rows, total = audit_log_service.page(bid, filters, page=page, per_page=AUDIT_PAGE)
    return render_template(
        "bids/audit.html",
        bid=bid,
        rows=rows,
        total=total,
        page=page,
        per_page=AUDIT_PAGE,
        filters=filters,
        args=args,
        options=audit_log_service.options(bid),
        date_errors=_date_errors(filters, args),
    )


def _date_errors(filters, args: dict[str, str]) -> dict[str, str]:
    errors = {}
    for key, day, word in (("from", filters.since, "From"), ("to", filters.until, "To")):
        if args.get(key) and day is None:
            errors[key] = f"{word}: enter a date such as 2026-12-14; this filter is not applied."
    if filters.since and filters.until and filters.since > filters.until:
        errors["to"] = "To: the end date is before the start date, so no events match."
    return errors


AUDIT_PAGE = 50


def _audit_filters() -> tuple[audit_log_service.Filters, dict[str, str]]:
    """The filter from the query string, and the non-empty values to carry into the pager and the CSV link."""
    args = {k: request.args.get(k, "").strip() for k in ("organisation", "person", "kind", "from", "to")}
    args = {k: v for k, v in args.items() if v}
    filters = audit_log_service.Filters(
        organisation_id=int(args["organisation"]) if args.get("organisation", "").isdigit() else None,
        actor_id=int(args["person"]) if args.get("person", "").isdigit() else None,
        action=args.get("kind") or None,
        since=audit_log_service.parse_day(args.get("from")),
        until=audit_log_service.parse_day(args.get("to")),
    )
    return filters, args


@bp.get("/bids/<int:bid_id>/audit.csv")
@login_required
def audit_csv(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    content = audit_log_service.export_csv(bid, _audit_filters()[0])
    return send_private(content, f"bid-{bid.id}-audit-{clock.now():%Y%m%d}.csv", "csv")


def _pounds(pence):
    return pence_to_pounds_text(pence) if pence else ""
