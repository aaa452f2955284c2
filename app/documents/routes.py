"""Bid pack pages: thin views over app.services.packs and app.services.funder."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.bids import confirmations
from app.documents.forms import FunderLinkForm
from app.services import bids, funder, packs
from app.web import confirm
from app.web.confirm import Confirmation
from app.web.downloads import send_stored
from app.web.forms import FLASH, Refused, call_service
from app.web.support import ActionForm, load_bid
from app.web.transaction import end_read

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
    return _page(load_bid(bid_id, convenor=True))


@bp.post("/bids/<int:bid_id>/packs")
@login_required
def generate(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    if not ActionForm().validate_on_submit():
        abort(400)

    def generate():
        plan = packs.prepare_pack(current_user, bid)
        end_read()  # only reads so far: let go of SQLite's write lock before the slow build
        documents = packs.build_documents(plan.data, plan.letter_files)
        return packs.record_pack(current_user, bid, plan, documents)

    pack = call_service(None, generate, message_to=FLASH)
    if not isinstance(pack, Refused):
        flash(f"Version {pack.version} of the bid pack is ready.", "success")
    return redirect(url_for("documents.index", bid_id=bid.id))


@bp.get("/bids/<int:bid_id>/packs/<int:version>/<any(pdf, xlsx, csv, zip):kind>")
@login_required
def download(bid_id: int, version: int, kind: str):
    bid = load_bid(bid_id, convenor=True)
    pack = packs.get_pack(current_user, bid, version)
    return send_stored(packs.stream_file(pack, kind), packs.download_name(bid, pack, kind), kind)


@bp.route("/bids/<int:bid_id>/packs/submit", methods=["GET", "POST"])
@login_required
def submit(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    back = url_for("documents.index", bid_id=bid.id)
    if "submit" not in bid.next_actions:
        if request.method == "GET":
            return redirect(back)
    else:
        asked = confirm.gate(lambda: confirmations.submit(bid, back_url=back))
        if asked is not None:
            return asked
    if not ActionForm().validate_on_submit():
        abort(400)
    if not isinstance(call_service(None, lambda: bids.mark_submitted(current_user, bid), message_to=FLASH), Refused):
        flash("The bid is marked as submitted. You can now give the funder access.", "success")
    return redirect(url_for("documents.index", bid_id=bid.id))


@bp.post("/bids/<int:bid_id>/funder-links")
@login_required
def create_link(bid_id: int):
    bid = load_bid(bid_id, convenor=True)
    form = _link_form(packs.history(current_user, bid), request.form)
    if form.validate_on_submit():
        created = call_service(
            form,
            lambda: funder.create_link(
                current_user, bid, name=form.name.data, email=form.email.data, version=form.version.data
            ),
        )
        if not isinstance(created, Refused):
            link, _token = created
            flash(f"Link sent to {link.name} at {link.email}.", "success")
            return redirect(url_for("documents.index", bid_id=bid.id) + "#funder")
    return _page(bid, form, 422)


@bp.route("/bids/<int:bid_id>/funder-links/<int:link_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_link(bid_id: int, link_id: int):
    bid = load_bid(bid_id, convenor=True)
    link = funder.get_link(current_user, bid, link_id)
    back = url_for("documents.index", bid_id=bid.id) + "#funder"
    if link.revoked_at is None:
        asked = confirm.gate(
            lambda: Confirmation(
                title=f"Withdraw the link for {link.name}?",
                caption=bid.title,
                happens=[
                    f"The private link sent to {link.name} ({link.email}) stops working at once: "
                    "it will no longer open the bid pack or its files.",
                    "You can send a new link later; the old one never works again.",
                ],
                emailed=f"No one is emailed: {link.name} is not told.",
                confirm_label="Yes, withdraw the link",
                keep_label="No, keep the link working",
                back_url=back,
            )
        )
        if asked is not None:
            return asked
    elif request.method == "GET":
        return redirect(back)
    elif not ActionForm().validate_on_submit():
        abort(400)
    link = funder.revoke_link(current_user, bid, link_id)
    flash(f"The link for {link.name} no longer works.", "success")
    return redirect(url_for("documents.index", bid_id=bid.id) + "#funder")
