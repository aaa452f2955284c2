"""Login, logout and the account page."""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer

from app.auth.forms import ApiTokenForm, ChangePasswordForm, EmailForm, LoginForm, NameForm, RevokeTokenForm
from app.database import reading
from app.extensions import limiter
from app.services import api_tokens, own_account, sessions, users
from app.web.forms import Refused, call_service
from app.web.security import local_target
from app.web.sign_in import sign_in
from app.web.transaction import end_read

bp = Blueprint("auth", __name__)

FAILED = "That email address and password do not match an account. Check them and try again."


#: How long a browser is remembered as one that has logged in to an account (see ``_known_device``).
DEVICE_DAYS = 180
DEVICE_ACCOUNTS = 5


def _account() -> str:
    """The account being tried, as the login looks it up (so ``MEMBER@example.org`` counts as ``member@…``)."""
    raw = (request.form.get("email") or "")[:254]
    try:
        return users.normalise_email(raw)
    except ValueError:
        return raw.strip().lower()


def _login_key() -> str:
    """Rate-limit key per account: the email address being tried, whoever tries it."""
    return "login:" + _account()


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _failed(_response) -> bool:
    """Only failed logins count towards the limits: a success (or a form left blank) costs nothing."""
    return bool(g.get("login_failed"))


def _device_cookie() -> str:
    return "__Host-login_device" if current_app.config["SESSION_COOKIE_SECURE"] else "login_device"


def _device_tag(email: str) -> str:
    """The account as a device cookie names it: a keyed hash, so the cookie does not show the address."""
    return hmac.new(current_app.secret_key.encode(), email.encode(), hashlib.sha256).hexdigest()[:24]


def _device_tags() -> list[str]:
    raw = request.cookies.get(_device_cookie())
    if not raw:
        return []
    try:
        tags = URLSafeTimedSerializer(current_app.secret_key, salt="login-device").loads(
            raw, max_age=DEVICE_DAYS * 86400
        )
    except BadData:
        return []
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _known_device() -> bool:
    """This browser has logged in to the account being tried before (a signed cookie says so).

    Such a browser is not held back by the per-account limit, so other people's guesses cannot lock the
    owner out of their usual browser; the per-address limit still applies to it.
    """
    return _device_tag(_account()) in _device_tags()


def _remember_device(response, email: str) -> None:
    tag = _device_tag(email)
    tags = [tag, *(t for t in _device_tags() if t != tag)][:DEVICE_ACCOUNTS]
    response.set_cookie(
        _device_cookie(),
        URLSafeTimedSerializer(current_app.secret_key, salt="login-device").dumps(tags),
        max_age=DEVICE_DAYS * 86400,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
        path="/",
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, methods=["POST"], key_func=_login_key, deduct_when=_failed, exempt_when=_known_device)
def login():
    if current_user.is_authenticated:
        return redirect(local_target(request.args.get("next")) or url_for("bids.index"))
    form = LoginForm()
    if session.pop("timed_out", False):
        flash("You were logged out after a period without activity. Log in again.", "info")
    if form.validate_on_submit():
        # The password hash (a quarter of a second by design) runs in a read transaction, which on SQLite
        # holds no write lock; only the short write that records the attempt queues for the lock. A failed
        # attempt is recorded too: the request's transaction commits whatever page is shown.
        with reading():
            check = users.check_login(form.email.data, form.password.data)
        end_read()
        user = users.record_login(check, ip_address=request.remote_addr)
        if user is None:
            g.login_failed = True
            form.form_errors.append(FAILED)
        else:
            sign_in(user)  # a fresh session at login
            response = redirect(local_target(request.args.get("next")) or url_for("bids.index"))
            _remember_device(response, user.email)
            return response
    return render_template("auth/login.html", form=form), 200 if not form.errors and not form.form_errors else 422


@bp.post("/logout")
@login_required
def logout():
    users.logout(current_user._get_current_object())
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
        changed = call_service(
            form, lambda: users.change_password(user, form.current_password.data, form.new_password.data)
        )
        if not isinstance(changed, Refused):
            sign_in(user)  # this browser stays logged in; every other copy of the session ends
            flash("Your password has been changed. Other devices have been logged out.", "success")
            return redirect(url_for("auth.account"))
    return _account_page(form, status=422 if request.method == "POST" else 200)


def _account_page(
    form=None, token_form=None, *, name_form=None, email_form=None, new_token=None, new_token_name=None, status=200
):
    user = current_user._get_current_object()
    return render_template(
        "auth/account.html",
        form=form or ChangePasswordForm(formdata=None),
        name_form=name_form or NameForm(formdata=None, prefix="profile", data={"name": user.name}),
        email_form=email_form or EmailForm(formdata=None, prefix="change"),
        pending_email=own_account.pending_email_change(user),
        sessions=sessions.sessions_for(user),
        this_session=sessions.current_session_id(user, session.get("sid")),
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
        created = call_service(
            token_form, lambda: api_tokens.create_token(current_user._get_current_object(), token_form.name.data)
        )
        if not isinstance(created, Refused):
            plaintext, token = created
            return _account_page(new_token=plaintext, new_token_name=token.name, status=201)
    return _account_page(token_form=token_form, status=422)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not RevokeTokenForm().validate_on_submit():
        abort(400)
    token = api_tokens.revoke_token(current_user._get_current_object(), token_id)
    flash(f"The token ‘{token.name}’ is revoked: systems using it can no longer reach the API.", "success")
    return redirect(url_for("auth.account") + "#api-tokens")
