"""Pledges: the member's pledge form, withdrawal and history."""
