"""The README's `flask` commands work in a development checkout after `make run`'s set-up, in a clean shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent

pytestmark = pytest.mark.slow


def _tracked_copy(target: Path) -> None:
    """The files a fresh clone has (tracked ones), without instance data or a .env."""
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, names):
        source = ROOT / raw.decode()
        if source.is_file():
            (target / raw.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / raw.decode())
    (target / ".venv").symlink_to(VENV)


def _clean_env(checkout: Path) -> dict[str, str]:
    """A new shell: no APP_ENV, FLASK_APP, SECRET_KEY or DATABASE_URL of the test run's."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(checkout), "LANG": "C.UTF-8"}


def test_flask_users_token_after_make_run_set_up(tmp_path):
    if shutil.which("make") is None or shutil.which("git") is None:
        pytest.skip("needs make and git")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    _tracked_copy(checkout)
    env = _clean_env(checkout)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=checkout, env=env, capture_output=True, text=True, timeout=180, check=False)

    # What `make run` does before serving: write .env, migrate, load the demo.
    made = run("make", "-s", ".env")
    assert made.returncode == 0, made.stderr
    assert "APP_ENV=development" in (checkout / ".env").read_text()
    for command in (("db", "upgrade"), ("demo", "seed", "--if-empty")):
        done = run(".venv/bin/flask", *command)
        assert done.returncode == 0, done.stderr[-2000:]

    # Typed as the README shows it, in a new shell.
    issued = run(".venv/bin/flask", "users", "token", "convenor@example.org")
    assert issued.returncode == 0, issued.stderr[-2000:]
    token = next(word for word in issued.stdout.split() if word.startswith("cbm_"))

    probe = (
        "import dotenv, json, sys; dotenv.load_dotenv('.env');"
        "from app import create_app; client = create_app().test_client();"
        "r = client.get('/api/v1/bids', headers={'Authorization': 'Bearer ' + sys.argv[1]});"
        "print(r.status_code, json.dumps(r.get_json()))"
    )
    used = run(".venv/bin/python", "-c", probe, token)
    assert used.returncode == 0, used.stderr[-2000:]
    status, body = used.stdout.strip().split(" ", 1)
    assert status == "200", body
    assert "Community Match Fund consortium bid" in body  # the demo convenor's bid, read with the token

    # Without the development file the same command refuses, as production does.
    (checkout / ".env").unlink()
    refused = run(".venv/bin/flask", "users", "token", "convenor@example.org")
    assert refused.returncode != 0
    assert "SECRET_KEY" in refused.stdout + refused.stderr
