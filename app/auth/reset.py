"""Forgotten passwords: ask for a link by email, then choose a new password through it."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.forms import ResetPasswordForm, ResetRequestForm
from app.auth.routes import bp
from app.extensions import limiter
from app.models import User
from app.services import password_resets, users
from app.services.errors import TokenInvalid
from app.web.forms import Refused, call_service
from app.web.sign_in import sign_in
from app.web.transaction import end_read

SENT = (
    "If an account exists for that address, we have sent a link to reset its password. It works for {minutes} minutes."
)


def _address_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["PASSWORD_RESET_ACCOUNT_RATE_LIMIT"]


def _reset_key() -> str:
    """Rate-limit key per address asked about, whoever asks (the same for known and unknown addresses)."""
    raw = (request.form.get("email") or "")[:254]
    try:
        return "reset:" + users.normalise_email(raw)
    except ValueError:
        return "reset:" + raw.strip().lower()


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_reset_key)
def forgot_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        password_resets.request_reset(form.email.data, ip_address=request.remote_addr)
        return render_template(
            "auth/reset_sent.html", message=SENT.format(minutes=current_app.config["PASSWORD_RESET_MINUTES"])
        )
    return render_template("auth/forgot.html", form=form), 422 if form.errors else 200


def _invalid(exc: TokenInvalid):
    return render_template("auth/reset_invalid.html", reason=exc.reason, message=exc.message), 400


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        link = password_resets.read_link(token)
    except TokenInvalid as exc:
        return _invalid(exc)
    form = ResetPasswordForm()
    email = link.user.email
    if form.validate_on_submit():
        checked = call_service(form, lambda: password_resets.check_new_password(link, form.password.data))
        if not isinstance(checked, Refused):
            # The slow hash is made outside the write transaction (SQLite's write lock is not held for it).
            end_read()
            password_hash = User.hash_password(form.password.data)
            try:
                user = password_resets.reset_password(
                    token, form.password.data, password_hash=password_hash, ip_address=request.remote_addr
                )
            except TokenInvalid as exc:  # used from another browser in the meantime
                return _invalid(exc)
            sign_in(user)
            flash("Your password has been changed and you are logged in. Any other sessions have ended.", "success")
            return redirect(url_for("bids.index"))
    if current_user.is_authenticated and current_user.email != email:
        flash("You are logged in as someone else: this link changes the password of " + email + ".", "info")
    return render_template("auth/reset.html", form=form, email=email), 422 if form.errors else 200
