"""Settings pages: thin views over app.services.body."""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from app.services import body
from app.services.errors import NotFound
from app.services.letters import size_text
from app.settings.forms import BodySettingsForm
from app.web.forms import FAILED, call_service

bp = Blueprint("settings", __name__)
MIME = {"png": "image/png", "jpeg": "image/jpeg"}


def _load(organisation_id: int):
    try:
        return body.get_body(current_user, organisation_id)
    except NotFound:
        abort(404)


@bp.route("/bodies/<int:organisation_id>/settings", methods=["GET", "POST"])
@login_required
def body_settings(organisation_id: int):
    organisation, identity = _load(organisation_id)
    form = BodySettingsForm()
    form.display_name.description = form.display_name.description.format(name=organisation.name)
    form.logo.description = form.logo.description.format(
        limit=size_text(current_app.config["MAX_LOGO_BYTES"]), pixels=f"{current_app.config['MAX_LOGO_PIXELS']:,}"
    )
    if request.method == "GET" and identity is not None:
        form.display_name.data = identity.display_name
        form.accent.data = identity.accent
        form.contact_name.data = identity.contact_name
        form.contact_email.data = identity.contact_email
        form.contact_phone.data = identity.contact_phone
    if request.method == "POST" and form.validate_on_submit():
        upload = form.logo.data
        # The request is already capped by MAX_CONTENT_LENGTH; read it whole to report its real size.
        logo = upload.stream.read() if upload and upload.filename else None
        saved = call_service(
            form,
            lambda: body.update_identity(
                current_user,
                organisation.id,
                display_name=form.display_name.data,
                accent=form.accent.data,
                contact_name=form.contact_name.data,
                contact_email=form.contact_email.data,
                contact_phone=form.contact_phone.data,
                logo=logo,
                remove_logo=form.remove_logo.data,
            ),
        )
        if saved is not FAILED:
            flash("Settings saved. The next bid pack you generate uses them.", "success")
            return redirect(url_for("settings.body_settings", organisation_id=organisation.id))
    status = 422 if request.method == "POST" else 200
    return render_template("settings/body.html", organisation=organisation, identity=identity, form=form), status


@bp.get("/bodies/<int:organisation_id>/logo")
@login_required
def logo(organisation_id: int):
    _organisation, identity = _load(organisation_id)
    return send_logo(identity)


def send_logo(identity):
    """The stored logo inline, as the image type it was checked to be; 404 when there is none."""
    content = body.read_logo(identity)
    if content is None:
        abort(404)
    response = send_file(io.BytesIO(content), mimetype=MIME[identity.logo_type])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
