"""The live stream of a bid (Server-Sent Events) and its bid packs: generate, list, download."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request, stream_with_context, url_for

from app.api import responses as r
from app.api import serializers as s
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.fields import Empty
from app.api.helpers import ID, convenor_bid, ok, viewable_bid
from app.api.operations import Reply, describe, reply
from app.api.validation import page_args as pagination
from app.api.validation import read_body
from app.extensions import db
from app.live import stream
from app.models import BidPack
from app.services import packs, snapshots
from app.web.downloads import TYPES as DOWNLOAD_TYPES
from app.web.downloads import send_stored
from app.web.transaction import end_read

STREAM = Reply(
    "A stream of `text/event-stream` messages until the stream's lifetime ends (reconnect with Last-Event-ID).",
    content={"text/event-stream": {"schema": {"type": "string"}}},
)
FILE = Reply(
    "The file.",
    content={mimetype: {"schema": {"type": "string", "format": "binary"}} for mimetype in DOWNLOAD_TYPES.values()},
)


def _last_event_id() -> int | None:
    """The ``Last-Event-ID`` header a reconnecting client sends; ignored when it is not a whole number."""
    raw = (request.headers.get("Last-Event-ID") or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


@bp.get(f"/bids/<{ID}:bid_id>/events")
@describe(
    "streamBidEvents",
    "The bid's live stream (Server-Sent Events), as its live page shows it to the caller: a `snapshot` "
    "event first, then for each change an `activity` event and an `update` event (what changed). Send "
    "`Last-Event-ID` when reconnecting to receive what you missed.",
    tag="live",
    replies={200: STREAM},
    errors=(404,),
    headers=("last_event_id",),
)
def bid_events(bid_id: int):
    """The same stream as the bid's live page, for the token's user as its audience."""
    bid = viewable_bid(bid_id)
    user = caller()
    audience = snapshots.audience_for(user, bid)
    # Asked again before every batch and heartbeat: a revoked token or a disabled user ends the stream.
    viewer = snapshots.Viewer(user.id, token_id=g.api_token_id)
    after_id = _last_event_id()
    db.session.remove()  # nothing is held open while the stream waits
    body = stream.events(current_app._get_current_object(), bid_id, audience, after_id=after_id, viewer=viewer)
    response = Response(stream_with_context(body), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _pack(pack: BidPack) -> dict[str, Any]:
    figures = pack.figures or {}
    return {
        "version": pack.version,
        "created_at": s.when(pack.created_at),
        "created_by": {"id": pack.created_by.id, "name": pack.created_by.name} if pack.created_by else None,
        "figures": {
            **{key: int(figures.get(key) or 0) for key, _label, _kind in packs.FIGURES},
            "total": s.money(int(figures.get("total_pence") or 0)),
            "target_pence": figures.get("target_pence"),
            "target_homes": figures.get("target_homes"),
        },
        "files": [
            {
                "kind": kind,
                "name": name,
                "sha256": pack.files[name]["sha256"],
                "size": pack.files[name]["size"],
                "url": url_for("api.download_pack_file", bid_id=pack.bid_id, version=pack.version, file=kind),
            }
            for kind, name in packs.FILE_NAMES.items()
            if name in pack.files
        ],
    }


@bp.post(f"/bids/<{ID}:bid_id>/packs")
@describe(
    "generatePack",
    "Generate the next version of the bid pack from the bid as it stands (convenors; open, closed or submitted bids).",
    tag="packs",
    body=Empty,
    body_required=False,
    replies={201: reply(r.Pack, "The new version, its figures and its files.")},
    errors=(403, 404, 409),
)
def generate_pack(bid_id: int):
    bid = convenor_bid(bid_id)
    read_body()
    plan = packs.prepare_pack(caller(), bid)
    end_read()  # only reads so far: building the documents holds no lock (see packs.generate_pack)
    pack = packs.record_pack(caller(), bid, plan, packs.build_documents(plan.data, plan.letter_files))
    db.session.flush()
    body = _pack(pack)
    return ok(body, 201)


@bp.get(f"/bids/<{ID}:bid_id>/packs")
@describe(
    "listPacks",
    "Every version of the bid pack, newest first (convenors).",
    tag="packs",
    replies={200: reply(r.PackPage, "A page of versions.")},
    errors=(403, 404, 422),
    paged=True,
)
def list_packs(bid_id: int):
    bid = convenor_bid(bid_id)
    page, per_page = pagination()
    rows = packs.packs_for(caller(), bid)
    return ok(
        s.page([_pack(p) for p in s.slice_page(rows, page, per_page)], page=page, per_page=per_page, total=len(rows))
    )


@bp.get(f"/bids/<{ID}:bid_id>/packs/<{ID}:version>/<string:file>")
@describe(
    "downloadPackFile",
    "One file of a version of the bid pack, as an attachment (convenors).",
    tag="packs",
    replies={200: FILE},
    errors=(403, 404),
)
def download_pack_file(bid_id: int, version: int, file: str):
    """One document of a version, by kind (``pdf``, ``xlsx``, ``csv``, ``zip``) or by its file name."""
    bid = convenor_bid(bid_id)
    kind = file if file in packs.FILE_NAMES else {n: k for k, n in packs.FILE_NAMES.items()}.get(file, file)
    pack = packs.get_pack(caller(), bid, version)
    opened = packs.stream_file(pack, kind)  # NotFound (404) for an unknown file
    return send_stored(opened, packs.download_name(bid, pack, kind), kind)
