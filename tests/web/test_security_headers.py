"""Security headers on every HTML response; HSTS and secure cookies outside development."""

from app import create_app
from config import ProductionConfig


def test_html_pages_carry_a_strict_policy(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # tests run over plain HTTP
    not_found = client.get("/no-such-page")
    assert not_found.status_code == 404 and "Content-Security-Policy" in not_found.headers


def test_production_sends_hsts_and_secure_host_cookie(tmp_path):
    class Prod(ProductionConfig):
        SECRET_KEY = "x" * 64
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.db'}"
        UPLOAD_DIR = str(tmp_path / "uploads")
        RATELIMIT_STORAGE_URI = "memory://"
        REDIS_URL = None

    app = create_app(Prod)
    client = app.test_client()
    response = client.get("/login", base_url="https://bids.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith("__Host-session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain=" not in cookie
