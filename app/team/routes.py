"""Team pages: thin views over app.services.team (and the erasure of a person who has left)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.models import User
from app.services import erasure, profiles, team
from app.services.errors import NotFound, PermissionDenied, TokenInvalid
from app.team.forms import InviteColleagueForm, JoinForm, ProfileForm
from app.text import possessive
from app.web import confirm
from app.web.confirm import Confirmation
from app.web.forms import FLASH, Refused, call_service
from app.web.sign_in import sign_in
from app.web.support import ActionForm
from app.web.transaction import end_read

bp = Blueprint("team", __name__)


def _me() -> User:
    return current_user._get_current_object()


def _page(form=None, *, status=200):
    me = _me()
    return render_template(
        "team/index.html",
        organisation=team.require_manager(me),
        people=team.team_for(me),
        invitations=team.pending_invitations(me),
        removed=team.former_members(me),
        form=form or InviteColleagueForm(formdata=None),
        action=ActionForm(),
    ), status


@bp.route("/team", methods=["GET", "POST"])
@login_required
def index():
    team.require_manager(_me())
    form = InviteColleagueForm()
    if form.validate_on_submit():
        invited = call_service(
            form, lambda: team.invite_colleague(_me(), form.email.data, as_manager=form.as_manager.data)
        )
        if not isinstance(invited, Refused):
            _path, link = invited
            flash(f"We have emailed an invitation to {link.email}.", "success")
            return redirect(url_for("team.index"))
        return _page(form, status=422)
    return _page(form, status=422 if form.errors else 200)


def _action(call, done: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    result = call_service(None, call, message_to=FLASH, apart=(NotFound, PermissionDenied))
    if isinstance(result, Refused) and isinstance(result.error, NotFound | PermissionDenied):
        raise result.error  # the same 404 or 403 page as anywhere else
    if not isinstance(result, Refused):
        flash(done.format(name=getattr(result, "name", "")), "success")
    return redirect(url_for("team.index"))


@bp.post("/team/<int:user_id>/manager")
@login_required
def make_manager(user_id: int):
    return _action(lambda: team.set_manager(_me(), user_id, True), "{name} is now a manager.")


@bp.post("/team/<int:user_id>/not-manager")
@login_required
def unmake_manager(user_id: int):
    return _action(lambda: team.set_manager(_me(), user_id, False), "{name} is no longer a manager.")


@bp.post("/team/<int:user_id>/remove")
@login_required
def remove(user_id: int):
    return _action(
        lambda: team.remove_colleague(_me(), user_id),
        "{name} has been removed: they can no longer log in or use the API.",
    )


@bp.route("/team/<int:user_id>/erase", methods=["GET", "POST"])
@login_required
def erase(user_id: int):
    """Erase a person's personal data, after the confirmation page (app/web/confirm.py)."""
    person = team.colleague(_me(), user_id, removed_too=True)  # 404 or 403 before any page
    asked = confirm.gate(lambda: _erase_confirmation(person))
    if asked is not None:
        return asked
    return _action(
        lambda: erasure.erase_person(_me(), person),
        "Their personal data has been erased; they appear as {name}.",
    )


def _erase_confirmation(person: User) -> Confirmation:
    pseudonym, _address = erasure.pseudonym(person)
    return Confirmation(
        title=f"Erase {possessive(person.name)} personal data?",
        caption=person.organisation.name,
        happens=[
            f"{possessive(person.name)} name and email address ({person.email}) are replaced by “{pseudonym}” "
            "everywhere they are stored.",
            "Their password, API tokens and sessions are removed"
            + (", so they are logged out at once" if person.is_enabled else "")
            + "; they can never log in again. Their open links and the emails held for them are deleted.",
            f"The pledges they made and the audit trail are kept: what they did stays, under “{pseudonym}”.",
            "This cannot be undone.",
        ],
        emailed="No one is emailed.",
        confirm_label="Yes, erase their personal data",
        keep_label="No, keep their details",
        back_url=url_for("team.index"),
    )


@bp.post("/team/invitations/<int:link_id>/withdraw")
@login_required
def withdraw(link_id: int):
    return _action(lambda: team.withdraw_invitation(_me(), link_id), "The invitation has been withdrawn.")


@bp.route("/organisation/profile", methods=["GET", "POST"])
@login_required
def profile():
    me = _me()
    organisation = me.organisation
    if not profiles.can_edit_profile(me, organisation):
        abort(403)
    form = ProfileForm(obj=None if request.method == "POST" else organisation)
    if form.validate_on_submit():
        changes = {
            "name": form.name.data,
            "identifier": form.identifier.data or None,
            "homes_owned": form.homes_owned.data,
            "regions": form.regions.data or [],
            "website": form.website.data or None,
        }
        done = call_service(form, lambda: profiles.update_profile(me, organisation, **changes))
        if not isinstance(done, Refused):
            flash("The organisation's profile has been saved. Bid packs made from now on show it.", "success")
            return redirect(url_for("team.profile"))
    return render_template("team/profile.html", form=form, organisation=organisation), 422 if form.errors else 200


@bp.route("/team/join/<token>", methods=["GET", "POST"])
def join(token: str):
    try:
        link = team.read_invitation(token)
    except TokenInvalid as exc:
        return render_template("team/invalid.html", message=exc.message), 400
    form = JoinForm()
    if form.validate_on_submit():
        end_read()
        password_hash = User.hash_password(form.password.data)
        user = call_service(
            form,
            lambda: team.join(token, name=form.name.data, password=form.password.data, password_hash=password_hash),
            {"email": "name"},
        )
        if not isinstance(user, Refused):
            sign_in(user)
            flash(f"Welcome to {user.organisation.name}. Your account is ready.", "success")
            return redirect(url_for("bids.index"))
        if isinstance(user.error, TokenInvalid):
            return render_template("team/invalid.html", message=user.error.message), 400
    return render_template("team/join.html", form=form, link=link), 422 if form.errors else 200
