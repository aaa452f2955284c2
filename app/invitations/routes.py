"""Invitation pages: thin views over app.services.invitations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.database import reading
from app.invitations.forms import AcceptForm, BulkInviteForm, DeclineForm, InviteForm, JoinForm
from app.models import InvitationStatus, JoinRequest
from app.services import invitation_links, invitation_rows, invitations
from app.services import join_requests as joining
from app.services.errors import PermissionDenied, TokenInvalid
from app.web import confirm
from app.web.confirm import Confirmation
from app.web.forms import FLASH, Refused, call_service
from app.web.sign_in import sign_in
from app.web.support import ActionForm, load_bid
from app.web.transaction import end_read

bp = Blueprint("invitations", __name__)

ACCEPT_MAP = {
    "organisation.name": "org_name",
    "organisation.identifier": "identifier",
    "organisation.homes_owned": "homes_owned",
    "organisation.regions": "regions",
    "organisation.website": "website",
}


@bp.route("/bids/<int:bid_id>/invitations", methods=["GET", "POST"])
@login_required
def index(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    form, bulk = InviteForm(prefix="one"), BulkInviteForm(prefix="bulk")
    report = None
    status = 200
    if request.method == "POST":
        status = 422
        if request.form.get("kind") == "bulk" and bulk.validate_on_submit():
            upload = bulk.file.data
            data = upload.read() if upload and upload.filename else (bulk.rows.data or "")
            # A problem with the whole list goes beside the box it came from: the upload or the paste.
            uploaded = upload is not None and bool(getattr(upload, "filename", ""))
            report = call_service(
                bulk,
                lambda: invitations.invite_many(
                    current_user,
                    bid,
                    invitation_rows.parse_rows(data, upload.filename if uploaded else None),
                    message=bulk.message.data,
                ),
                {"file": "file" if uploaded else "rows"},
                message_to=FLASH,
            )
            if isinstance(report, Refused):
                report = None
            else:
                status = 200
                flash(
                    f"{len(report.accepted)} invited, {len(report.refused)} refused.",
                    "success" if not report.refused else "info",
                )
        elif request.form.get("kind") == "one" and form.validate_on_submit():
            invitation = call_service(
                form,
                lambda: invitations.invite(
                    current_user, bid, form.organisation_name.data, form.email.data, message=form.message.data
                ),
                message_to=FLASH,
            )
            if not isinstance(invitation, Refused):
                match = invitation.possible_organisation
                flash(
                    f"Invitation sent to {invitation.email}."
                    + (
                        f" Possible match: {match.name}. It is linked only if that organisation's managers confirm."
                        if match and not invitation.organisation_id
                        else ""
                    ),
                    "success",
                )
                return redirect(url_for("invitations.index", bid_id=bid.id))
    return render_template(
        "invitations/index.html",
        bid=bid,
        form=form,
        bulk=bulk,
        report=report,
        rows=invitations.list_for_bid(bid),
        awaiting=joining.awaiting_for_bid(bid),
        action_form=ActionForm(),
    ), status


@bp.route("/bids/<int:bid_id>/invitations/<int:invitation_id>/<any(resend, revoke):action>", methods=["GET", "POST"])
@login_required
def change(bid_id: int, invitation_id: int, action: str):
    """Resend at once; revoke only after the confirmation page (app/web/confirm.py)."""
    bid = load_bid(bid_id, convenor=True)
    invitation = invitations.get_for_convenor(current_user, bid, invitation_id)
    back = url_for("invitations.index", bid_id=bid.id)
    if action == "revoke" and invitation.status == InvitationStatus.SENT:
        asked = confirm.gate(
            lambda: Confirmation(
                title=f"Revoke the invitation to {invitation.organisation_name}?",
                caption=bid.title,
                happens=[
                    f"The invitation link sent to {invitation.email} stops working: "
                    f"{invitation.organisation_name} can no longer join the bid through it.",
                    "You can resend the invitation later with a new link.",
                ],
                emailed=f"No one is emailed: {invitation.email} is not told.",
                confirm_label="Yes, revoke the invitation",
                keep_label="No, keep the invitation",
                back_url=back,
            )
        )
        if asked is not None:
            return asked
    elif request.method == "GET":
        return redirect(back)
    elif not ActionForm().validate_on_submit():
        abort(400)
    operation = invitations.resend if action == "resend" else invitations.revoke
    if not isinstance(call_service(None, lambda: operation(current_user, invitation), message_to=FLASH), Refused):
        flash(
            f"A new link was sent to {invitation.email}."
            if action == "resend"
            else f"The invitation to {invitation.email} is revoked; its link no longer works.",
            "success",
        )
    return redirect(url_for("invitations.index", bid_id=bid.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def respond(token: str):
    """The link in the email: accept by creating an account, join as the logged-in member, or decline."""
    try:
        with reading():
            invitation = invitation_links.read_token(token)
            # Read now, in the read transaction: after it ends they would be loaded again under the write lock.
            bound_organisation, possible_organisation = invitation.organisation_id, invitation.possible_organisation_id
    except TokenInvalid as exc:
        return render_template(
            "invitations/invalid.html", reason=exc.reason, message=exc.message
        ), 410 if exc.reason in ("expired", "revoked", "used", "superseded", "closed") else 404
    if request.method == "POST":
        # That check only read. End it, so the answer below takes the write lock only for its own writes
        # (and accepting hashes the new password before it takes the lock at all).
        end_read()
    accept, decline, join = AcceptForm(prefix="accept"), DeclineForm(prefix="decline"), JoinForm(prefix="join")
    choice = request.form.get("choice")
    status = 200
    if request.method == "POST":
        status = 422
        # Field messages go beside the form that was sent; any other refusal goes at the top of the accept
        # form (when accepting) or the join form.
        fields = decline if choice == "decline" else accept
        top = accept if choice == "accept" else join
        if choice == "decline" and decline.validate_on_submit():
            done = call_service(
                fields,
                lambda: invitations.decline(
                    token, decline.reason.data, actor=current_user if current_user.is_authenticated else None
                ),
                ACCEPT_MAP,
                message_to=top,
            )
            if not isinstance(done, Refused):
                return render_template("invitations/declined.html", invitation=invitation)
        if choice == "join" and join.validate_on_submit():
            if not current_user.is_authenticated:
                abort(400)
            done = call_service(
                fields, lambda: invitations.accept_existing_user(token, current_user), ACCEPT_MAP, message_to=top
            )
            if not isinstance(done, Refused):
                flash(f"{current_user.organisation.name} has joined {invitation.bid.title}.", "success")
                return redirect(url_for("bids.show", bid_id=invitation.bid_id))
        if choice == "accept" and accept.validate_on_submit():
            asks_to_join = bound_organisation or (possible_organisation and accept.joining.data != "new")
            org = (
                None
                if asks_to_join
                else {
                    "name": accept.org_name.data,
                    "identifier": accept.identifier.data,
                    "homes_owned": accept.homes_owned.data,
                    "regions": accept.regions.data or [],
                    "website": accept.website.data or None,
                }
            )
            user = call_service(
                fields,
                lambda: invitations.accept_new_user(
                    token, name=accept.name.data, password=accept.password.data, organisation=org
                ),
                ACCEPT_MAP,
                message_to=top,
            )
            if isinstance(user, JoinRequest):  # no account until the organisation's managers approve
                return render_template("invitations/requested.html", invitation=invitation, request=user)
            if not isinstance(user, Refused):
                sign_in(user)
                flash("Welcome. Your account is ready: you can pledge now.", "success")
                return redirect(url_for("bids.show", bid_id=invitation.bid_id))
    return render_template(
        "invitations/respond.html",
        invitation=invitation,
        token=token,
        accept=accept,
        decline=decline,
        join=join,
        choice=choice,
    ), status


@bp.get("/organisation/join-requests")
@login_required
def join_requests():
    """A manager's list of people asking to join their organisation (404 for everyone else)."""
    try:
        rows = joining.requests_for_manager(current_user)
    except PermissionDenied:
        abort(404)  # not 403: who manages an organisation is not shown to others
    return render_template("invitations/join_requests.html", rows=rows, action_form=ActionForm())


@bp.post("/organisation/join-requests/<int:request_id>/<any(approve, refuse):action>")
@login_required
def decide_request(request_id: int, action: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    join_request = joining.get_for_manager(current_user, request_id)
    decision = joining.approve if action == "approve" else joining.refuse
    if not isinstance(call_service(None, lambda: decision(current_user, join_request), message_to=FLASH), Refused):
        flash(
            f"{join_request.name} has joined {join_request.organisation.name}."
            if action == "approve"
            else f"The request from {join_request.email} is refused: no account was made.",
            "success",
        )
    return redirect(url_for("invitations.join_requests"))
