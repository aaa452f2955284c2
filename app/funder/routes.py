"""Funder pages, reached only through a private link: every use is logged for the convenor."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app.database import write_intent
from app.extensions import db
from app.models import Bid
from app.services import body, funder, letters, packs
from app.services.errors import NotFound, TokenInvalid
from app.web.downloads import send_logo, send_stored
from app.web.transaction import end_read

bp = Blueprint("funder", __name__)


@bp.before_request
def _writes() -> None:
    # Each visit writes an access-log row, so take SQLite's write lock up front even for GET.
    end_read()
    write_intent.set(True)


@bp.after_request
def _private(response):
    # The token is in the address: never leak it in a Referer header, and keep the page out of search engines.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _open(token: str):
    """The link, or the page to show instead: 404 for a link that was never genuine, 410 for one that ended."""
    try:
        return funder.open_link(token), None
    except TokenInvalid as exc:
        status = 404 if exc.reason == "tampered" else 410
        return None, (render_template("funder/invalid.html", message=exc.message, reason=exc.reason), status)


@bp.get("/f/<token>")
def page(token: str):
    link, refusal = _open(token)
    if refusal:
        return refusal
    funder.record_access(link, "page", request.remote_addr)
    bid = db.session.get(Bid, link.bid_id)
    identity = body.identity_of(bid.organisation_id)
    return render_template(
        "funder/page.html",
        token=token,
        link=link,
        bid=bid,
        identity=identity,
        pack=link.pack,
        documents=[
            (kind, label, link.pack.files[packs.FILE_NAMES[kind]]["size"]) for kind, label in packs.KIND_LABELS.items()
        ],
        letter_files=link.pack.figures.get("letter_files", []),
    )


@bp.get("/f/<token>/files/<any(pdf, xlsx, csv, zip):kind>")
def download(token: str, kind: str):
    link, refusal = _open(token)
    if refusal:
        return refusal
    opened = packs.stream_file(link.pack, kind)
    funder.record_access(link, packs.FILE_NAMES[kind], request.remote_addr)
    bid = db.session.get(Bid, link.bid_id)
    return send_stored(opened, packs.download_name(bid, link.pack, kind), kind)


@bp.get("/f/<token>/letters/<sha256>")
def letter(token: str, sha256: str):
    link, refusal = _open(token)
    if refusal:
        return refusal
    try:
        entry = funder.letter_in_pack(link, sha256)
        opened = letters.stream_content(sha256)
    except (NotFound, ValueError):
        abort(404)
    funder.record_access(link, entry["name"], request.remote_addr)
    return send_stored(opened, entry["name"].rsplit("/", 1)[-1])


@bp.get("/f/<token>/logo")
def logo(token: str):
    """The convening body's logo, for the funder's page (not logged: it is part of the page view)."""
    link, refusal = _open(token)
    if refusal:
        return refusal
    bid = db.session.get(Bid, link.bid_id)
    return send_logo(body.identity_of(bid.organisation_id))
