"""Small real PDFs (and things pretending to be PDFs) for the letter and bid pack tests."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas


def make_pdf(text: str = "We commit the match funding pledged.", *, encrypt: str | None = None) -> bytes:
    """A one-page PDF letter, optionally password-protected."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, encrypt=encrypt, invariant=1)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def html_polyglot() -> bytes:
    return b"<html><script>alert(1)</script></html>\n" + make_pdf()


def zip_polyglot() -> bytes:
    """A PDF with a ZIP archive appended: a valid PDF to a PDF reader, a valid ZIP to an unzipper."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return make_pdf() + buffer.getvalue() + b"\n%%EOF\n"


@pytest.fixture
def clean_storage(app):
    """Empty the upload and pack folders around a test (the database is emptied by conftest)."""

    def wipe():
        for key in ("UPLOAD_DIR", "PACK_DIR"):
            folder = Path(app.config[key])
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)

    wipe()
    yield
    wipe()
