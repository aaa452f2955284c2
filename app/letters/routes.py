"""Letter pages: a member uploads its organisation's letter; the organisation and the convenors download it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.letters.forms import LetterForm
from app.models import Letter, Organisation
from app.services import letters
from app.web.downloads import send_stored
from app.web.forms import Refused, call_service
from app.web.support import load_bid, member_bid

bp = Blueprint("letters", __name__)


@bp.route("/bids/<int:bid_id>/letter", methods=["GET", "POST"])
@login_required
def index(bid_id: int):
    bid = member_bid(bid_id)
    form = LetterForm()
    limit = current_app.config["MAX_LETTER_BYTES"]
    form.letter.description = form.letter.description.format(limit=letters.size_text(limit))
    if request.method == "POST" and form.validate_on_submit():
        upload = form.letter.data
        # The request is already capped by MAX_CONTENT_LENGTH, so read it whole to report its real size.
        content = upload.stream.read() if upload else b""
        filename = upload.filename if upload else None
        letter = call_service(form, lambda: letters.upload_letter(current_user, bid, content, filename))
        if not isinstance(letter, Refused):
            flash(f"Letter uploaded: {letter.filename}. It is now your organisation's current letter.", "success")
            return redirect(url_for("letters.index", bid_id=bid.id))
    pledge = letters.live_pledge(bid, current_user.organisation_id)
    history = letters.letters_for(current_user, bid)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "letters/index.html",
        bid=bid,
        form=form,
        pledge=pledge,
        history=history,
        accepting=bid.status in letters.ACCEPTING,
    ), status


@bp.get("/bids/<int:bid_id>/letters/<int:letter_id>/download")
@login_required
def download(bid_id: int, letter_id: int):
    bid = load_bid(bid_id)
    return _send(letters.get_letter(current_user, bid, letter_id))


@bp.get("/bids/<int:bid_id>/pledges/<int:pledge_id>/letter")
@login_required
def current_for_pledge(bid_id: int, pledge_id: int):
    bid = load_bid(bid_id)
    return _send(letters.get_current_for_pledge(current_user, bid, pledge_id))


def _send(letter: Letter):
    opened = letters.stream_content(letter.sha256)
    organisation = db.session.get(Organisation, letter.organisation_id)
    return send_stored(opened, letters.download_name(organisation.name, letter.sha256))
