"""The app starts, serves the login page and refuses to start in production without a secret key."""

import pytest

from app import create_app
from config import ProductionConfig


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "<h1>Log in</h1>" in response.text
    assert "Content-Security-Policy" in response.headers


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    class NoKey(ProductionConfig):
        SECRET_KEY = None

    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(NoKey)
