"""Who takes part, after set-up: the convenor's page listing the organisations taking part and those removed,
adding more from the directory and removing one (its returns stay)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.returns.blueprint import bp
from app.services.errors import NotFound
from app.services.returns import membership, programmes
from app.web.forms import FLASH, Refused, call_service
from app.web.support import ActionForm


@bp.get("/programmes/<int:programme_id>/participants")
@login_required
def participants_page(programme_id: int):
    programme = programmes.get_for_convenor(current_user, programme_id)
    return render_template(
        "returns/participants.html",
        programme=programme,
        roll=membership.roll(programme),
        addable=membership.addable(programme),
        form=ActionForm(),
    )


def _ids(values: list[str]) -> list[int] | list[str]:
    """Whole numbers as ints; anything else is passed on as given, for the service to refuse by name."""
    return [int(v) if v.isdigit() and len(v) < 10 else v for v in values]


@bp.post("/programmes/<int:programme_id>/participants")
@login_required
def add_participants(programme_id: int):
    programme = programmes.get_for_convenor(current_user, programme_id)
    if not ActionForm().validate_on_submit():  # CSRF only: the app's CSRF handler answers first
        abort(400)
    chosen = _ids(request.form.getlist("organisation_ids"))
    done = call_service(None, lambda: membership.add_participants(current_user, programme, chosen), message_to=FLASH)
    if not isinstance(done, Refused):
        added = f"{len(done)} organisation{'s' if len(done) != 1 else ''}"
        flash(f"{added} added: expected from the next period due.", "success")
    return redirect(url_for("returns.participants_page", programme_id=programme.id))


@bp.post("/programmes/<int:programme_id>/participants/<int:organisation_id>/remove")
@login_required
def remove_participant(programme_id: int, organisation_id: int):
    programme = programmes.get_for_convenor(current_user, programme_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    done = call_service(
        None,
        lambda: membership.remove_participant(current_user, programme, organisation_id),
        message_to=FLASH,
        apart=(NotFound,),
    )
    if isinstance(done, Refused) and isinstance(done.error, NotFound):
        raise done.error
    if not isinstance(done, Refused):
        flash("The organisation no longer takes part; its returns are kept.", "success")
    return redirect(url_for("returns.participants_page", programme_id=programme.id))
