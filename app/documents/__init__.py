"""Bid pack pages for convenors: generate versions, compare them, download, and give the funder access."""
