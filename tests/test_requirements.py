"""The pinned requirements, and what is installed, are at or above the releases that fixed known
vulnerabilities. No advisory database is reachable from the build machines, so the floors come from
the projects' changelogs and security advisories; each names the advisory it answers.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

#: package → (lowest safe release, why). "pinned" packages must appear in requirements(-dev).txt.
FLOORS = {
    # CVE-2025-47278: with SECRET_KEY_FALLBACKS, 3.1.0 signed sessions with a fallback key, not the current one.
    # (Also CVE-2023-30861, 2.2.5/2.3.2: a session cookie could be cached by a proxy without Vary: Cookie.)
    "flask": ("3.1.1", "pinned"),
    # CVE-2024-49767 (3.0.6): multipart form parsing could exhaust memory; CVE-2024-49766 (3.0.6) and
    # CVE-2025-66221 (3.1.4): safe_join on Windows (UNC paths, device names); CVE-2024-34069 (3.0.3): debugger.
    "werkzeug": ("3.1.4", "pinned"),
    # CVE-2025-27516 (3.1.6): sandbox escape through the |attr filter; CVE-2024-56201/56326 (3.1.5);
    # CVE-2024-34064 (3.1.4): xmlattr accepted keys with spaces (attribute injection).
    "jinja2": ("3.1.6", "pinned"),
    # No advisory; 2.2 is the release Flask 3.1 requires and signs our purpose-salted tokens.
    "itsdangerous": ("2.2.0", "pinned"),
    # CVE-2019-7164/7548 (order_by/group_by text injection) were fixed in 1.3; we use the 2.0 API throughout.
    "sqlalchemy": ("2.0.0", "pinned"),
    # CVE-2024-1135 (22.0.0) and CVE-2024-6827 (23.0.0): HTTP request smuggling through Transfer-Encoding.
    "gunicorn": ("23.0.0", "pinned"),
    # CVE-2023-33733 (3.6.13): code execution through rl_safe_eval in paragraph markup (a color attribute).
    "reportlab": ("3.6.13", "pinned"),
    # CVE-2025-55197 (6.0.0): a crafted FlateDecode stream exhausts memory; pypdf reads uploaded letters to bind
    # them into the bid pack, so pin a release past the 2023-2025 run of infinite-loop and memory fixes.
    "pypdf": ("6.0.0", "pinned"),
    # CVE-2024-28219 (10.3.0) buffer overflow; CVE-2025-48379 (11.3.0) DDS writing overflow. ReportLab's images.
    # Pillow also checks uploaded logos (a convening body's identity) by content.
    "pillow": ("11.3.0", "pinned"),
    # CVE-2025-43859 (0.16.0): lenient chunked-encoding parsing (request smuggling); httpx's HTTP/1.1 parser.
    "h11": ("0.16.0", "installed"),
    # CVE-2024-47081 (2.32.4): .netrc credentials leaked to a third-party host.
    "requests": ("2.32.4", "installed"),
    # CVE-2025-50181/50182 (2.5.0): redirects not disabled as asked for.
    "urllib3": ("2.5.0", "installed"),
}

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#]+)", re.MULTILINE)


def _pins() -> dict[str, str]:
    pins = {}
    for name in ("requirements.txt", "requirements-dev.txt"):
        for package, version in PIN.findall((ROOT / name).read_text()):
            pins[package.lower().replace("_", "-")] = version
    return pins


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_installed_release_is_past_the_known_fixes(package):
    floor, _kind = FLOORS[package]
    installed = Version(importlib.metadata.version(package))
    assert installed >= Version(floor), f"{package} {installed} is older than {floor}"


@pytest.mark.parametrize("package", sorted(p for p, (_f, kind) in FLOORS.items() if kind == "pinned"))
def test_pinned_release_is_past_the_known_fixes(package):
    pins = _pins()
    assert package in pins, f"{package} is not pinned in requirements.txt or requirements-dev.txt"
    assert Version(pins[package]) >= Version(FLOORS[package][0])


def test_every_requirement_is_pinned_exactly():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-r"):
                assert PIN.match(line), f"{name}: {line!r} is not pinned with =="


@pytest.mark.parametrize("package", ["pypdf", "pillow", "rl-accel", "reportlab"])
def test_the_pack_builders_dependencies_are_runtime_requirements(package):
    runtime = {p.lower().replace("_", "-") for p, _v in PIN.findall((ROOT / "requirements.txt").read_text())}
    assert package in runtime


def test_reportlab_is_installed_with_its_accelerator():
    import inspect

    from reportlab.lib import rl_accel

    # With the C extension installed these are built-in functions, not reportlab's pure-Python fallbacks.
    assert inspect.isbuiltin(rl_accel.instanceStringWidthTTF)
    assert inspect.isbuiltin(rl_accel.unicode2T1)
