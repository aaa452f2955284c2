"""Accounts and colleagues in the browser: a forgotten password, the account page, the team and the profile."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import link_in, wait_for_email

NEW_PASSWORD = "a-new-and-longer-passphrase"


def test_forgotten_password_account_team_and_profile(page, journey, seed, live_server, viewport):
    bid_id = seed.open_bid(seed.unique(f"Accounts bid ({viewport})"))
    address = f"accounts-{viewport}-{bid_id}@accounts.example.org"
    seed.member(bid_id, f"Accounts Homes {viewport} {bid_id}", address, name="Ada Manager")

    page.goto("/login")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten your password?")
    journey.step("forgotten password")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    journey.step("check your email")

    link = link_in(wait_for_email(live_server.outbox, address, subject="Reset your password"), live_server.url)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    journey.step("choose a new password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    page.wait_for_url("**/")
    journey.step("logged in after the reset")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    journey.step("the link used twice")

    page.goto("/account")
    expect(page.get_by_role("table", name="Your sessions")).to_contain_text("(this browser)")
    journey.step("account page")
    page.get_by_label("Your name").fill("")
    page.get_by_role("button", name="Change name").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter your name.")
    journey.step("name left empty")

    page.goto("/team")
    expect(page.get_by_role("table", name="People")).to_contain_text("Ada Manager")
    journey.step("team")
    colleague = f"colleague-{viewport}-{bid_id}@accounts.example.org"
    page.get_by_label("Colleague's email address").fill(colleague)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("table", name="Invitations waiting")).to_contain_text(colleague)
    journey.step("colleague invited")

    invitation = wait_for_email(live_server.outbox, colleague, subject="invites you to join")
    join = link_in(invitation, live_server.url)
    with page.context.browser.new_context(base_url=live_server.url, viewport=page.viewport_size) as other:
        newcomer = other.new_page()
        journey.watch(newcomer)
        newcomer.goto(join)
        expect(newcomer.get_by_role("heading", level=1)).to_contain_text("Join Accounts Homes")
        journey.step("join the team", newcomer)
        newcomer.get_by_label("Your name").fill("Cy Colleague")
        newcomer.get_by_label("Choose a password").fill(NEW_PASSWORD)
        newcomer.get_by_role("button", name="Make my account").click()
        newcomer.wait_for_url("**/")

    page.goto("/organisation/profile")
    journey.step("organisation profile")
    page.get_by_label("Website (optional)").fill("www.accounts-homes.example.org")
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_label("Website (optional)")).to_have_value("https://www.accounts-homes.example.org")
    journey.step("profile saved")

    # Erasing a colleague asks first, on the shared confirmation page; the safe choice has the focus.
    page.goto("/team")
    page.get_by_role("link", name="Erase personal data Cy Colleague").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cy Colleague")
    expect(page.locator(".consequences")).to_contain_text("are replaced by “Former user")
    expect(page.get_by_role("button", name="No, keep their details")).to_be_focused()
    journey.step("erase a colleague: the confirmation")
    page.keyboard.press("Enter")
    page.wait_for_url("**/team")
    expect(page.get_by_role("table", name="People")).to_contain_text("Cy Colleague")
    journey.step("the colleague kept")
