"""Bids: the convenor's list, forms, lifecycle actions and dashboard; the member's bid page."""
