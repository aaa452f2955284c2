"""Form text that is not valid UTF-8 (the bytes of a lone surrogate, ``%ED%A0%80``, or any stray byte):
every text field of every form on the pages is refused at the edge with a page naming the field, nothing
saved; random bytes and text in any field of any form never give a 5xx."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import limiter
from app.models import AuditEvent, Bid, Invitation, Letter, Pledge, User
from tests.factories import BidFactory, member_of
from tests.web.pages import post_prefixed, text_of

LINK = re.compile(r"http://localhost(/invitations/[A-Za-z0-9_.\-]+)")
LONE_SURROGATE_BYTES = "\ud800x".encode("utf-8", "surrogatepass")  # b"\xed\xa0\x80x"
#: Forms that end the session or the bid: they would stop the rest of a random run from reaching the views.
ENDING = re.compile(r"/(logout|open|close|cancel|submit|revoke|withdraw)$")


class _Forms(HTMLParser):
    """The POST forms of a page: action, and each named field with the value the page gives it."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url, self.forms, self._select = page_url, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.forms.append({"action": a.get("action") or self.page_url, "fields": {}})
        elif not self.forms or not a.get("name"):
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "file", "image", "reset"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                self.forms[-1]["fields"].setdefault(a["name"], a.get("value", "y"))
            else:
                self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif tag == "button" and a.get("value") is not None:
            self.forms[-1]["fields"].setdefault(a["name"], a["value"])
        elif tag == "textarea":
            self.forms[-1]["fields"][a["name"]] = ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select:
            self.forms[-1]["fields"].setdefault(self._select, a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_on(browser, url: str) -> list[dict]:
    response = browser.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parser = _Forms(url)
    parser.feed(response.get_data(as_text=True))
    return parser.forms


def encoded(fields: dict[str, str], name: str, value: bytes) -> bytes:
    """A url-encoded body with the form's values and ``value`` (raw bytes, percent-encoded) for ``name``."""
    pairs = [(k, v.encode()) for k, v in fields.items() if k != name] + [(name, value)]
    return "&".join(f"{quote_from_bytes(k.encode())}={quote_from_bytes(v)}" for k, v in pairs).encode()


@pytest.fixture
def site(data, make_browser, outbox):
    """Browsers for a convenor, a member and a visitor with an invitation link, and every form they see."""
    with data():
        bid = BidFactory(title="Open bid")
        member = member_of(bid, name="Riverside Homes")
        bid_id, convenor_email, member_email = bid.id, bid.created_by.email, member.email
    convenor, member, visitor = make_browser(), make_browser(), make_browser()
    convenor.login(convenor_email)
    member.login(member_email)
    invite = {"kind": "one", "one-organisation_name": "Northern Homes", "one-email": "chief@northern.example"}
    assert post_prefixed(convenor, f"/bids/{bid_id}/invitations", "one", invite).status_code == 302
    link = LINK.search(outbox[-1].body).group(1)
    bid = f"/bids/{bid_id}"
    pages = {
        visitor: ["/login", link],
        convenor: ["/bids/new", *(f"{bid}/{p}" for p in ("edit", "extend", "invitations", "reminders", "packs"))],
        member: [f"{bid}/pledge", f"{bid}/letter", "/account"],
    }
    pages[convenor].append("/account")
    found, seen = [], set()
    for who, urls in pages.items():
        for form in (form for url in urls for form in forms_on(who, url)):
            key = (id(who), form["action"], tuple(form["fields"]))
            if key not in seen:
                seen.add(key)
                found.append((who, form))
    assert len(found) >= 18, len(found)
    return found


def _state(data):
    with data() as s:
        counts = [s.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Bid, Pledge, Invitation, User, Letter)]
        return (*counts, s.scalar(sa.select(sa.func.max(AuditEvent.id))))


def test_text_that_is_not_utf8_in_any_field_of_any_form_is_refused_naming_the_field(site, data):
    before = _state(data)
    checked = 0
    for who, form in site:
        for name in form["fields"]:
            for bad in (LONE_SURROGATE_BYTES, b"caf\xe9", b"\xff"):
                response = who.client.post(
                    form["action"],
                    data=encoded(form["fields"], name, bad),
                    content_type="application/x-www-form-urlencoded",
                )
                assert response.status_code == 422, (form["action"], name, bad, response.status_code)
                page = text_of(response)
                assert "Some of that text could not be read" in page
                assert f"The text in the field ‘{name}’ is not valid Unicode text (UTF-8)." in page
                assert "Nothing was saved." in page
                checked += 1
    assert checked >= 60, checked
    assert _state(data) == before  # nothing saved, nothing audited


def test_a_refused_form_leaves_the_person_logged_in(site, make_browser):
    who, form = next((w, f) for w, f in site if f["action"].endswith("/pledge"))
    name = next(n for n in form["fields"] if n.endswith("statement"))
    body = encoded(form["fields"], name, LONE_SURROGATE_BYTES)
    response = who.client.post(form["action"], data=body, content_type=FORM)
    assert response.status_code == 422
    assert who.get(form["action"]).status_code == 200


FORM = "application/x-www-form-urlencoded"
VALUES = st.one_of(
    st.binary(max_size=24),
    st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=24).map(
        lambda text: text.encode("utf-8", "surrogatepass")
    ),
    st.sampled_from([b"", b"\x00", b"0", b"-1", b"9" * 30, "£1,000".encode(), "\u202e".encode(), b"<script>"]),
)


def test_random_bytes_in_any_field_of_any_form_never_give_a_5xx(site):
    fuzzed = [(who, form, name) for who, form in site if not ENDING.search(form["action"]) for name in form["fields"]]

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(target=st.sampled_from(fuzzed), value=VALUES)
    def check(target, value):
        limiter.reset()  # many posts to /login: not what its rate limit is for
        who, form, name = target
        response = who.client.post(form["action"], data=encoded(form["fields"], name, value), content_type=FORM)
        assert response.status_code < 500, (form["action"], name, value, response.status_code)
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            assert response.status_code == 422 and f"‘{name}’" in text_of(response)

    check()
