"""Bid pack PDF builder: PackData in, PDF bytes out."""

from app.pdf.builder import build_pdf

__all__ = ["build_pdf"]
