"""Where a login sends the browser: only to a path on this site, whatever ``?next=`` says; never a 500."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from tests.factories import PASSWORD, UserFactory

#: Raw query-string values, percent-encoded as an attacker would send them.
OFF_SITE = [
    "//evil.example/x",
    "%2F%2Fevil.example",
    "///evil.example",
    "/%09/evil.example",  # a browser strips the tab: //evil.example
    "%2F%09%2Fevil.example",
    "/%0A/evil.example",
    "/%0D/evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "/%5C/evil.example",
    "%20//evil.example",
    "%09//evil.example",
    "/%0D%0ASet-Cookie:%20planted=1",  # header injection: was a 500
    "%0D%0ALocation:%20//evil.example",
    "/x%0D%0A%0D%0A<script>alert(1)</script>",
    "/%00/evil.example",
    "/%E3%80%80/evil.example",
    "https://evil.example/",
    "https:evil.example",
    "https:%2F%2Fevil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "@evil.example",
    "/" + "a" * 2100,  # very long
    "",
]


def _log_in_with_next(make_browser, email, raw_next):
    browser = make_browser()
    response = browser.post_form(f"/login?next={raw_next}", {"email": email, "password": PASSWORD}, page="/login")
    return browser, response


@pytest.fixture
def member(data):
    with data():
        return UserFactory(email="member@example.org").email


@pytest.mark.parametrize("raw_next", OFF_SITE, ids=range(len(OFF_SITE)))
def test_login_with_an_off_site_next_goes_to_the_default_page(make_browser, member, raw_next):
    browser, response = _log_in_with_next(make_browser, member, raw_next)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert browser.get("/").status_code == 200  # logged in all the same


@pytest.mark.parametrize("raw_next", OFF_SITE, ids=range(len(OFF_SITE)))
def test_a_logged_in_visit_to_login_with_an_off_site_next_stays_on_site(login, member, raw_next):
    response = login(member).get(f"/login?next={raw_next}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("raw_next", "expected"),
    [
        ("/account", "/account"),
        ("/bids/1", "/bids/1"),
        ("%2Fbids%2F1%2Fdashboard%3Fsort%3Damount%26page%3D2", "/bids/1/dashboard?sort=amount&page=2"),
        ("/invitations/abc-DEF_123", "/invitations/abc-DEF_123"),
        ("/%252F%252Fevil.example", "/%2F%2Fevil.example"),  # a path whose first segment holds %2F: this site
    ],
)
def test_login_returns_to_a_path_on_this_site(make_browser, member, raw_next, expected):
    _, response = _log_in_with_next(make_browser, member, raw_next)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == expected
    # As a browser resolves it: this host.
    assert urlsplit(urljoin("http://localhost/login", location)).netloc == "localhost"


def test_the_login_link_for_a_protected_page_brings_the_person_back(make_browser, member):
    browser = make_browser()
    bounced = browser.get("/account")
    assert bounced.status_code == 302
    login_url = bounced.headers["Location"]
    assert login_url.startswith("/login?next=")
    response = browser.post_form(login_url, {"email": member, "password": PASSWORD}, page="/login")
    assert response.headers["Location"] == "/account"
