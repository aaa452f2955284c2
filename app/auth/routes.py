"""Login, logout and the account page."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.forms import ApiTokenForm, ChangePasswordForm, LoginForm, RevokeTokenForm
from app.extensions import db, limiter
from app.services import api_tokens, users
from app.services.errors import NotFound, ValidationFailed
from app.web.forms import apply_errors
from app.web.security import local_target

bp = Blueprint("auth", __name__)

FAILED = "That email address and password do not match an account. Check them and try again."


def _login_key() -> str:
    """Rate-limit key per account: the email address being tried."""
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]


def _limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
@limiter.limit(_limit, methods=["POST"], key_func=_login_key)
def login():
    if current_user.is_authenticated:
        return redirect(local_target(request.args.get("next")) or url_for("bids.index"))
    form = LoginForm()
    if session.pop("timed_out", False):
        flash("You were logged out after a period without activity. Log in again.", "info")
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data, ip_address=request.remote_addr)
        db.session.commit()
        if user is None:
            form.form_errors.append(FAILED)
        else:
            session.clear()  # a fresh session at login
            login_user(user)
            session["login_at"] = session["seen_at"] = int(time.time())
            session.permanent = True
            return redirect(local_target(request.args.get("next")) or url_for("bids.index"))
    return render_template("auth/login.html", form=form), 200 if not form.errors and not form.form_errors else 422


@bp.post("/logout")
@login_required
def logout():
    users.logout(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            users.change_password(user, form.current_password.data, form.new_password.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            login_user(user)  # this browser stays logged in; every other copy of the session ends
            flash("Your password has been changed. Other devices have been logged out.", "success")
            return redirect(url_for("auth.account"))
    return _account_page(form, status=422 if request.method == "POST" else 200)


def _account_page(form=None, token_form=None, *, new_token=None, new_token_name=None, status=200):
    user = current_user._get_current_object()
    return render_template(
        "auth/account.html",
        form=form or ChangePasswordForm(formdata=None),
        token_form=token_form or ApiTokenForm(formdata=None),
        revoke_form=RevokeTokenForm(),
        api_tokens=api_tokens.tokens_for(user),
        new_token=new_token,
        new_token_name=new_token_name,
    ), status


@bp.post("/account/tokens")
@login_required
def create_token():
    """Make an API token and show it once, on this response only (never stored, never flashed)."""
    token_form = ApiTokenForm()
    if token_form.validate_on_submit():
        try:
            plaintext, token = api_tokens.create_token(current_user._get_current_object(), token_form.name.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(token_form, exc)
        else:
            name = token.name
            db.session.commit()
            return _account_page(new_token=plaintext, new_token_name=name, status=201)
    return _account_page(token_form=token_form, status=422)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not RevokeTokenForm().validate_on_submit():
        abort(400)
    try:
        token = api_tokens.revoke_token(current_user._get_current_object(), token_id)
    except NotFound:
        db.session.rollback()
        abort(404)
    name = token.name
    db.session.commit()
    flash(f"The token ‘{name}’ is revoked: systems using it can no longer reach the API.", "success")
    return redirect(url_for("auth.account") + "#api-tokens")
