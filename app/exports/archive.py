"""The ZIP bid pack: the documents in a fixed order, plus a manifest.json of names, sizes and SHA-256 digests."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from posixpath import normpath

from app.money import format_pence
from app.pdf.data import PackData
from app.text import LONDON, iso_utc, london_datetime, percent_of

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "consortium-bid-pack/1"


def _check_name(name: str) -> str:
    """A safe member name: relative, forward slashes, no ``..``, no control characters."""
    if not name or name != normpath(name) or name.startswith(("/", "../")) or name == ".." or "\\" in name:
        raise ValueError(f"Unsafe file name for the bid pack: {name!r}")
    if any(ord(ch) < 32 for ch in name) or name == MANIFEST_NAME:
        raise ValueError(f"Unsafe file name for the bid pack: {name!r}")
    return name


def _zip_time(generated_at: datetime) -> tuple[int, int, int, int, int, int]:
    # ZIP stores local wall time without a zone; use UK time, and never before 1980 (ZIP's epoch).
    local = generated_at.astimezone(LONDON) if generated_at.tzinfo else generated_at.replace(tzinfo=UTC)
    return max(tuple(local.timetuple())[:6], (1980, 1, 1, 0, 0, 0))


def manifest_for(files: dict[str, bytes], data: PackData) -> dict:
    """The manifest: what this pack is, its headline figures, and each file's name, size and SHA-256."""
    confirmed = sum(1 for m in data.members if m.status == "confirmed")
    return {
        "format": MANIFEST_FORMAT,
        "bid": {"id": data.bid_id, "title": data.bid_title, "scheme": data.scheme, "funder": data.funder_name},
        "convenor": data.convenor_name,
        "version": data.version,
        "generated_at": iso_utc(data.generated_at),
        "generated_by": data.generated_by,
        "generation_stamp": (
            f"Version {data.version}, generated {london_datetime(data.generated_at)} by {data.generated_by}"
        ),
        "deadline": iso_utc(data.deadline),
        "headline": {
            "total_pence": data.total_pence,
            "total": format_pence(data.total_pence),
            "target_pence": data.target_pence,
            "target": format_pence(data.target_pence),
            "percent_of_target": percent_of(data.total_pence, data.target_pence),
            "confirmed_pence": data.confirmed_pence,
            "indicative_pence": data.indicative_pence,
            "homes": data.total_homes,
            "target_homes": data.target_homes,
            "members": len(data.members),
            "confirmed_members": confirmed,
            "indicative_members": len(data.members) - confirmed,
            "thresholds": [
                {"label": t.label, "required": t.required, "actual": t.actual, "met": t.met} for t in data.thresholds
            ],
        },
        "outcome": _outcome(data),
        "files": [
            {"name": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            for name, content in sorted(files.items())
        ],
    }


def _outcome(data: PackData) -> dict | None:
    """The recorded outcome as it stood when the pack was generated; None before one was recorded."""
    o = data.outcome
    if o is None:
        return None
    return {
        "result": o.result,
        "amount_awarded_pence": o.amount_awarded_pence,
        "award_date": o.award_date.isoformat() if o.award_date else None,
        "grant_reference": o.grant_reference,
        "spend_by": o.spend_by.isoformat() if o.spend_by else None,
        "reason": o.reason if o.result != "won" else "",
    }


def build_zip(files: dict[str, bytes], data: PackData) -> tuple[bytes, dict]:
    """The ZIP bytes and its manifest. Files go in name order, then ``manifest.json``; same input, same bytes.

    Raises ValueError for a file name that is absolute, climbs out with ``..``, or clashes with the manifest.
    """
    for name in files:
        _check_name(name)
    manifest = manifest_for(files, data)
    stamp = _zip_time(data.generated_at)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = [(name, files[name]) for name in sorted(files)]
        entries.append((MANIFEST_NAME, json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True).encode()))
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permissions below mean the same everywhere
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue(), manifest
