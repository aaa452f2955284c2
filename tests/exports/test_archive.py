"""The ZIP bid pack: fixed order, a manifest whose digests match the files, and safe names."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from app.exports import build_csv, build_xlsx, build_zip
from app.pdf import build_pdf
from tests.pdf.sample import make_pack


@pytest.fixture(scope="module")
def pack():
    return make_pack(8)


@pytest.fixture(scope="module")
def files(pack):
    return {
        "pledges.xlsx": build_xlsx(pack),
        "bid-pack.pdf": build_pdf(pack),
        "pledges.csv": build_csv(pack),
        "letters/letter-1.pdf": b"%PDF-1.4 letter one",
    }


@pytest.fixture(scope="module")
def built(files, pack):
    return build_zip(files, pack)


def test_files_in_name_order_then_the_manifest(built):
    content, _manifest = built
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert names == ["bid-pack.pdf", "letters/letter-1.pdf", "pledges.csv", "pledges.xlsx", "manifest.json"]


def test_manifest_digests_and_sizes_match_the_files_inside(built, files):
    content, manifest = built
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    inside = json.loads(archive.read("manifest.json"))
    assert inside == manifest
    assert [f["name"] for f in inside["files"]] == sorted(files)
    for entry in inside["files"]:
        data = archive.read(entry["name"])
        assert data == files[entry["name"]]
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_manifest_headline_and_stamp(built, pack):
    _content, manifest = built
    headline = manifest["headline"]
    assert headline["total_pence"] == sum(m.amount_pence for m in pack.members)
    assert headline["homes"] == sum(m.homes for m in pack.members)
    assert headline["members"] == len(pack.members)
    assert headline["confirmed_pence"] + headline["indicative_pence"] == headline["total_pence"]
    assert manifest["version"] == pack.version
    assert manifest["generated_at"] == "2026-08-14T16:02:00+00:00"
    assert manifest["generation_stamp"] == "Version 3, generated 5:02pm on Friday 14 August 2026 by Priya Shah"


def test_same_input_same_bytes(files, pack, built):
    assert build_zip(dict(reversed(list(files.items()))), pack)[0] == built[0]


@pytest.mark.parametrize(
    "name", ["../escape.pdf", "/etc/passwd", "a/../../b", "manifest.json", "", "a\\b.pdf", "x\x00.pdf"]
)
def test_unsafe_names_are_refused(pack, name):
    with pytest.raises(ValueError):
        build_zip({name: b"x"}, pack)
