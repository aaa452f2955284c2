"""Common passwords are refused, whatever their case; the list holds only entries the length rule lets through."""

from __future__ import annotations

import pytest

from app.services.common_passwords import COMMON_PASSWORDS
from app.services.users import MIN_PASSWORD, password_problems

COMMON = "That password is too common. Choose one that is harder to guess."


def test_the_list_is_decent_and_every_entry_is_reachable():
    assert len(COMMON_PASSWORDS) >= 100
    for entry in COMMON_PASSWORDS:
        assert len(entry) >= MIN_PASSWORD, entry  # shorter ones are refused by length already
        assert entry == entry.casefold(), entry  # compared case-folded


@pytest.mark.parametrize(
    "password", ["Password123", "QWERTYUIOP", "1qaz2wsx3edc", "Welcome2026", "Liverpool123", "Housing1234"]
)
def test_common_passwords_are_refused(password):
    assert password_problems(password, "someone@example.org") == [COMMON]


@pytest.mark.parametrize("password", ["correct-horse-battery", "demo-pledge-2026", "a-long-passphrase"])
def test_ordinary_passphrases_pass(password):
    assert password_problems(password, "someone@example.org") == []
