"""Two web hosts behind one load balancer: two gunicorn servers on different ports sharing PostgreSQL, Redis
and FILE_STORAGE=database, each with a local folder of its own that stays empty. A letter uploaded through one
downloads byte-identical through the other; a pack generated on one is served by the other; a pledge through
one reaches a live stream held by the other; one scheduler process closes the bid, once."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from reportlab.pdfgen import canvas

from app.extensions import db
from app.infra import clock
from app.models import Bid, BidEvent, BidPack, BidStatus, Pledge
from tests.conftest import need, port_open
from tests.factories import PASSWORD
from tests.live.helpers import make_scene
from tests.live.server import ROOT, csrf, environment, gunicorn, have_gunicorn, login
from tests.live.test_integration import listen, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
REDIS = "redis://127.0.0.1:6379/0"


def big_letter() -> bytes:
    """A real PDF of several storage chunks (about 650 KB): random text does not compress."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pageCompression=0)
    for _ in range(80):
        for line in range(60):
            page.drawString(40, 800 - line * 12, os.urandom(48).hex())
        page.showPage()
    page.save()
    return buffer.getvalue()


def shared_env(tmp_path: Path) -> dict:
    tag = uuid.uuid4().hex[:8]
    return {
        "FILE_STORAGE": "database",
        "REDIS_URL": REDIS,
        "REDIS_CHANNEL_PREFIX": f"two-hosts-{tag}",
        "RATELIMIT_KEY_PREFIX": f"two-hosts-{tag}",
        "SSE_HEARTBEAT_SECONDS": "2",
        "MAIL_FILE_PATH": str(tmp_path / "outbox"),
    }


def host_env(tmp_path: Path, name: str) -> dict:
    """Each host's own local folders: nothing may be written there when the files are in the database."""
    return {"UPLOAD_DIR": str(tmp_path / name / "uploads"), "PACK_DIR": str(tmp_path / name / "packs")}


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_two_hosts_share_files_streams_and_one_scheduler(app, database_url, tmp_path):
    need(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    need(have_gunicorn(), "gunicorn in the virtualenv")
    scene = make_scene(app, show_amounts=True)
    env = shared_env(tmp_path)
    letter = big_letter()
    with contextlib.ExitStack() as stack:
        host_a = stack.enter_context(
            gunicorn(database_url, tmp_path, workers=1, threads=16, env={**env, **host_env(tmp_path, "a")})
        )
        host_b = stack.enter_context(
            gunicorn(database_url, tmp_path, workers=1, threads=16, env={**env, **host_env(tmp_path, "b")})
        )
        clients = {}
        for key, base, email in (
            ("watcher_b", host_b, scene.convenor),
            ("convenor_a", host_a, scene.convenor),
            ("member_a", host_a, scene.riverside),
            ("member_b", host_b, scene.riverside),
        ):
            clients[key] = stack.enter_context(httpx.Client(base_url=base, timeout=30))
            login(clients[key], email, PASSWORD)

        # A stream held by host B; a pledge made through host A reaches it (Redis carries the wake-up).
        out: queue.Queue = queue.Queue()
        stop = threading.Event()
        stream = threading.Thread(
            target=listen, args=(clients["watcher_b"], f"/bids/{scene.bid_id}/events", out, stop), daemon=True
        )
        stream.start()
        stack.callback(stream.join, 5)
        stack.callback(stop.set)
        assert wait_for(out, lambda i: i[0] == "status")[1] == 200
        wait_for(out, lambda i: i[0] == "snapshot")
        member = clients["member_a"]
        form = f"/bids/{scene.bid_id}/pledge"
        posted = member.post(
            form,
            data={
                "csrf_token": csrf(member, form),
                "amount": "250,000",
                "homes": "12400",
                "regions": "NW",
                "statement": "Community grants.",
                "status": "confirmed",
                "accept_terms": "y",
                "version": "0",
            },
        )
        assert posted.status_code == 302, posted.text[:500]
        item = wait_for(out, lambda i: i[0] == "activity", seconds=15)
        assert item[2]["text"] == "Riverside Homes confirmed £250,000 covering 12,400 homes"

        # A letter uploaded through host A downloads byte-identical through host B.
        page = f"/bids/{scene.bid_id}/letter"
        uploaded = member.post(
            page,
            data={"csrf_token": csrf(member, page)},
            files={"letter": ("Signed letter.pdf", letter, "application/pdf")},
        )
        assert uploaded.status_code == 302, uploaded.text[:500]
        with app.app_context():
            pledge_id = db.session.scalar(sa.select(Pledge.id).where(Pledge.bid_id == scene.bid_id))
            db.session.remove()
        downloaded = clients["member_b"].get(f"/bids/{scene.bid_id}/pledges/{pledge_id}/letter")
        assert downloaded.status_code == 200
        assert downloaded.content == letter and len(letter) > 2 * 256 * 1024
        assert downloaded.headers["Content-Length"] == str(len(letter))
        assert downloaded.headers["Content-Disposition"].startswith("attachment; filename=Riverside-Homes-")

        # A pack generated on host A is served by host B, every document matching its recorded digest.
        convenor = clients["convenor_a"]
        packs_page = f"/bids/{scene.bid_id}/packs"
        generated = convenor.post(packs_page, data={"csrf_token": csrf(convenor, packs_page)})
        assert generated.status_code == 302, generated.text[:500]
        with app.app_context():
            recorded = db.session.scalar(sa.select(BidPack.files).where(BidPack.bid_id == scene.bid_id))
            db.session.remove()
        for kind, name in (("pdf", "bid-pack.pdf"), ("zip", "bid-pack.zip"), ("csv", "pledges.csv")):
            served = clients["watcher_b"].get(f"{packs_page}/1/{kind}")
            assert served.status_code == 200, (kind, served.status_code)
            assert hashlib.sha256(served.content).hexdigest() == recorded[name]["sha256"]

        # Neither host wrote a file to its own disk.
        for name in ("a", "b"):
            assert files_under(tmp_path / name) == []

    # One scheduler process (the web hosts run none) closes the bid at its deadline, once.
    with app.app_context():
        bid = db.session.get(Bid, scene.bid_id)
        bid.deadline = clock.now() + timedelta(seconds=4)
        db.session.commit()
        db.session.remove()
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "flask", "scheduler", "run"],
        cwd=ROOT,
        env=environment(database_url, tmp_path, {**env, **host_env(tmp_path, "scheduler"), "SWEEP_SECONDS": "1"}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        closed = _wait(app, lambda: db.session.get(Bid, scene.bid_id).status == BidStatus.CLOSED, 40)
        assert closed, "the scheduler did not close the bid"
        time.sleep(3)  # three more sweeps: none may close it again
        with app.app_context():
            events = db.session.scalars(
                sa.select(BidEvent).where(BidEvent.bid_id == scene.bid_id, BidEvent.kind == "bid.status")
            ).all()
            db.session.remove()
        assert [e.payload.get("reason") for e in events if e.payload.get("status") == "closed"] == ["deadline"]
    finally:
        scheduler.terminate()
        output, _ = scheduler.communicate(timeout=15)
    assert "scheduler running every 1 seconds" in output, output[-2000:]


def _wait(app, read, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            done = read()
            db.session.remove()
        if done:
            return True
        time.sleep(0.25)
    return False
