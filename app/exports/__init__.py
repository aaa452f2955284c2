"""Bid pack exports beside the PDF: CSV and XLSX of the pledges, and the ZIP bid pack with its manifest."""

from app.exports.archive import build_zip
from app.exports.tabular import build_csv, build_xlsx

__all__ = ["build_csv", "build_xlsx", "build_zip"]
