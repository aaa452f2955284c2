"""Start the real thing for a test: gunicorn (gthread) on a free loopback port, against the test database."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def have_gunicorn() -> bool:
    return GUNICORN.exists() or shutil.which("gunicorn") is not None


def environment(database_url: str, tmp_path: Path, env: dict | None = None, *, threads: int = 32) -> dict:
    """The environment a test server (and a flask command beside it) runs with; ``env`` overrides."""
    return {
        **os.environ,
        "APP_ENV": "development",
        "SECRET_KEY": "integration-test-secret",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "FLASK_APP": "wsgi:app",
        "SCHEDULER_ENABLED": "0",
        "MAIL_BACKEND": "file",
        "MAIL_SEND_ASYNC": "0",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "WEB_THREADS": str(threads),
        "ACCESS_LOG": "/dev/null",
        **(env or {}),
    }


def flask(database_url: str, tmp_path: Path, *args: str, env: dict | None = None) -> str:
    """Run a ``flask`` command against the server's database (``db upgrade``, ``users create``); its output."""
    command = [str(Path(sys.executable).with_name("flask")), *args]
    done = subprocess.run(
        command, cwd=ROOT, env=environment(database_url, tmp_path, env), check=True, capture_output=True, text=True
    )
    return done.stdout


@contextlib.contextmanager
def gunicorn(database_url: str, tmp_path: Path, *, workers: int = 2, env: dict | None = None, threads: int = 32):
    """Yield the base URL of a running server; stop it (and show its log on failure) afterwards."""
    port = free_port()
    log_path = tmp_path / f"gunicorn-{port}.log"
    environment_ = environment(
        database_url, tmp_path, {"ACCESS_LOG": str(tmp_path / f"access-{port}.log"), **(env or {})}, threads=threads
    )
    command = [str(GUNICORN) if GUNICORN.exists() else "gunicorn", "-c", "gunicorn.conf.py"]
    command += ["-b", f"127.0.0.1:{port}", "--workers", str(workers), "--no-control-socket", "wsgi:app"]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment_, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5 * workers)  # let every worker boot, so requests spread across them
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def login(client, email: str, password: str) -> None:
    """Log an httpx client in through the form, as a person would."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": password})
    assert response.status_code == 302, response.text[:300]


def csrf(client, url: str) -> str:
    import re

    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get(url).text).group(1)


def in_own_thread(fn, *, timeout: float = 240):
    """Run ``fn`` in a fresh thread and re-raise what it raised.

    Playwright's sync API refuses to start where another sync Playwright is already running in the thread
    (a session-wide browser fixture elsewhere in the suite); a new thread has no event loop of its own.
    """
    import threading

    outcome: dict = {}

    def run():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="playwright", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"the browser steps took more than {timeout} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
