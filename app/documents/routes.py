"""Bid pack pages: thin views over app.services.packs and app.services.funder."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.bids.forms import ActionForm
from app.bids.routes import load
from app.documents.forms import FunderLinkForm
from app.extensions import db
from app.services import bids, funder, packs
from app.services.errors import DomainError, NotFound
from app.web.downloads import send_private
from app.web.forms import FAILED, call_service

bp = Blueprint("documents", __name__)


def _link_form(history, data=None) -> FunderLinkForm:
    form = FunderLinkForm(formdata=data)
    form.email.description = form.email.description.format(days=current_app.config["FUNDER_LINK_DAYS"])
    form.version.choices = [(pack.version, f"Version {pack.version}") for pack, _changes in history]
    if data is None and history:
        form.version.data = history[0][0].version
    return form


def _page(bid, link_form=None, status=200):
    history = packs.history(current_user, bid)
    links = funder.links_for(current_user, bid)
    return render_template(
        "documents/index.html",
        bid=bid,
        history=history,
        links=links,
        accesses=funder.accesses_for(links),
        link_state=funder.link_state,
        link_form=link_form or _link_form(history),
        action_form=ActionForm(),
        labels=packs.KIND_LABELS,
        can_generate=bid.status in packs.GENERATES_IN,
    ), status


@bp.get("/bids/<int:bid_id>/packs")
@login_required
def index(bid_id: int):
    return _page(load(bid_id, convenor=True))


@bp.post("/bids/<int:bid_id>/packs")
@login_required
def generate(bid_id: int):
    bid = load(bid_id, convenor=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        plan = packs.prepare_pack(current_user, bid)
        # Only reads so far: end the transaction, and SQLite's write lock with it, before the slow build.
        db.session.commit()
        documents = packs.build_documents(plan.data, plan.letter_files)
        pack = packs.record_pack(current_user, bid, plan, documents)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"Version {pack.version} of the bid pack is ready.", "success")
    return redirect(url_for("documents.index", bid_id=bid.id))


@bp.get("/bids/<int:bid_id>/packs/<int:version>/<any(pdf, xlsx, csv, zip):kind>")
@login_required
def download(bid_id: int, version: int, kind: str):
    bid = load(bid_id, convenor=True)
    try:
        pack = packs.get_pack(current_user, bid, version)
        content = packs.read_file(pack, kind)
    except NotFound:
        abort(404)
    return send_private(content, packs.download_name(bid, pack, kind), kind)


@bp.post("/bids/<int:bid_id>/packs/submit")
@login_required
def submit(bid_id: int):
    bid = load(bid_id, convenor=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        bids.mark_submitted(current_user, bid)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("The bid is marked as submitted. You can now give the funder access.", "success")
    return redirect(url_for("documents.index", bid_id=bid.id))


@bp.post("/bids/<int:bid_id>/funder-links")
@login_required
def create_link(bid_id: int):
    bid = load(bid_id, convenor=True)
    form = _link_form(packs.history(current_user, bid), request.form)
    if form.validate_on_submit():
        created = call_service(
            form,
            lambda: funder.create_link(
                current_user, bid, name=form.name.data, email=form.email.data, version=form.version.data
            ),
        )
        if created is not FAILED:
            link, _token = created
            flash(f"Link sent to {link.name} at {link.email}.", "success")
            return redirect(url_for("documents.index", bid_id=bid.id) + "#funder")
    return _page(bid, form, 422)


@bp.post("/bids/<int:bid_id>/funder-links/<int:link_id>/revoke")
@login_required
def revoke_link(bid_id: int, link_id: int):
    bid = load(bid_id, convenor=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        link = funder.revoke_link(current_user, bid, link_id)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(f"The link for {link.name} no longer works.", "success")
    return redirect(url_for("documents.index", bid_id=bid.id) + "#funder")
