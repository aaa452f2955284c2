"""Reminder pages: the convenor's reminder plan, "send a reminder now", and who was reminded when."""
