"""The checks can fail: axe-core, the layout check and the focus check catch what they claim to catch."""

from __future__ import annotations

import pytest

from tests.browser.support import VIEWPORTS, audit, check_layout, check_references, tab_to


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport=VIEWPORTS["phone"], is_mobile=True)
    yield context.new_page()
    context.close()


def test_audit_fails_on_serious_violations(phone):
    phone.goto("/login")
    audit(phone)
    # An unlabelled field and an image without a text alternative (DOM changes are not blocked by the CSP).
    phone.evaluate(
        "() => { const main = document.querySelector('main'); const i = document.createElement('input');"
        " main.append(i); const g = document.createElement('img'); g.src = '/static/none.png'; main.append(g); }"
    )
    with pytest.raises(AssertionError, match=r"(?s)label.*image-alt|image-alt.*label"):
        audit(phone)


def test_audit_fails_on_moderate_violations_too(phone):
    phone.goto("/login")
    audit(phone)
    # Text outside every landmark: axe's "region" rule, of moderate impact (a best practice, not serious).
    phone.evaluate(
        "() => { const p = document.createElement('p'); p.textContent = 'Outside the landmarks';"
        " document.body.append(p); }"
    )
    with pytest.raises(AssertionError, match=r"region \(moderate\)"):
        audit(phone)


def test_layout_check_fails_when_the_page_is_wider_than_a_phone(phone):
    phone.goto("/login")
    check_layout(phone, VIEWPORTS["phone"]["width"])
    phone.evaluate(
        "() => { const d = document.createElement('p'); d.style.width = '900px'; d.textContent = 'wide';"
        " document.querySelector('main').append(d); }"
    )
    with pytest.raises(AssertionError, match="wider than the screen"):
        check_layout(phone, VIEWPORTS["phone"]["width"])


def test_layout_check_fails_when_a_button_is_covered(phone):
    phone.goto("/login")
    phone.evaluate(
        "() => { const d = document.createElement('div'); Object.assign(d.style, {position: 'fixed', inset: '0',"
        " background: '#fff'}); document.body.append(d); }"
    )
    with pytest.raises(AssertionError, match="covered"):
        check_layout(phone, VIEWPORTS["phone"]["width"])


def test_focus_check_fails_when_focus_is_invisible(phone):
    phone.goto("/login")
    assert tab_to(phone, "#email")["visible"]
    phone.evaluate(
        "() => { const p = document.querySelector('#password'); p.style.outline = 'none'; p.style.boxShadow = 'none'; }"
    )
    with pytest.raises(AssertionError, match="focus is not visible"):
        tab_to(phone, "#password")


def test_reference_check_fails_on_a_missing_id(phone):
    phone.goto("/login")
    check_references(phone)
    phone.evaluate("() => document.querySelector('#email').setAttribute('aria-describedby', 'None')")
    with pytest.raises(AssertionError, match='aria-describedby="None"'):
        check_references(phone)
