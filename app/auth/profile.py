"""Your own account: your name, your email address (confirmed through the new address), your sessions."""

from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from app.auth.forms import EmailForm, NameForm, RevokeTokenForm
from app.auth.routes import _account_page, bp
from app.services import erasure, own_account, sessions
from app.services.errors import Conflict, TokenInvalid
from app.web.forms import Refused, call_service
from app.web.sign_in import sign_in


def _me():
    return current_user._get_current_object()


@bp.post("/account/name")
@login_required
def change_name():
    form = NameForm(prefix="profile")
    if form.validate_on_submit():
        changed = call_service(form, lambda: own_account.change_name(_me(), form.name.data))
        if not isinstance(changed, Refused):
            flash("Your name has been changed.", "success")
            return redirect(url_for("auth.account"))
    return _account_page(name_form=form, status=422)


@bp.post("/account/email")
@login_required
def change_email():
    form = EmailForm(prefix="change")
    if form.validate_on_submit():
        link = call_service(form, lambda: own_account.request_email_change(_me(), form.email.data))
        if not isinstance(link, Refused):
            flash(
                f"We have emailed a link to {link.email}. Your address changes when you open it; until then "
                "keep logging in with the old one.",
                "success",
            )
            return redirect(url_for("auth.account"))
    return _account_page(email_form=form, status=422)


@bp.route("/account/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    try:
        link = own_account.read_email_link(token)
    except TokenInvalid as exc:
        return render_template("auth/email_invalid.html", message=exc.message), 400
    form = RevokeTokenForm()  # a confirm button: only the CSRF token
    if form.validate_on_submit():
        try:
            own_account.confirm_email_change(token)
        except (TokenInvalid, Conflict) as exc:
            return render_template("auth/email_invalid.html", message=exc.message), 400
        flash(f"Your email address is now {link.email}. Log in with it from now on.", "success")
        return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("auth.login"))
    return render_template("auth/email_confirm.html", form=form, link=link)


@bp.get("/account/personal-data.json")
@login_required
def personal_data():
    """Everything held about you, as a JSON download (the links in emails blanked)."""
    body = json.dumps(erasure.personal_data(_me()), ensure_ascii=False, indent=2, sort_keys=True)
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="personal-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    if not RevokeTokenForm().validate_on_submit():
        abort(400)
    sessions.end_session(_me(), session_id)
    flash("That session has ended: the browser is logged out.", "success")
    return redirect(url_for("auth.account") + "#sessions")


@bp.post("/account/sessions/end-all")
@login_required
def sign_out_everywhere():
    if not RevokeTokenForm().validate_on_submit():
        abort(400)
    user = _me()
    ended = sessions.end_other_sessions(user)
    if request.form.get("keep") == "this":
        sign_in(user)
        flash(f"Your other sessions have ended ({max(ended - 1, 0)}). This browser stays logged in.", "success")
        return redirect(url_for("auth.account") + "#sessions")
    logout_user()
    session.clear()
    flash("You have signed out everywhere, this browser too.", "success")
    return redirect(url_for("auth.login"))
