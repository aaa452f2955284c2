"""Invitations: the convenor's invitation list and the invitee's accept or decline pages."""
