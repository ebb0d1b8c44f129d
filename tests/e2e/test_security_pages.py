"""The pages the security work added, in Chromium: the sign-in lockout and "Signed-in
devices" (axe on each; keyboard focus lands on the error)."""

from playwright.sync_api import expect

from messaging.services.tokens import token_issue

from .conftest import assert_accessible


def test_sign_in_lockout_says_what_happened(page, live_server, demo_data):
    page.goto(f"{live_server.url}/sign-in/")
    for n in range(10):
        page.get_by_label("Username").fill("hybrid")
        page.get_by_label("Password").fill(f"wrong-{n}")
        page.get_by_role("button", name="Sign in", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Too many failed sign-in attempts. Try again in 15 minutes.")
    assert_accessible(page, "sign-in locked out")
    # The right password is refused too, with the same message.
    page.get_by_label("Username").fill("hybrid")
    page.get_by_label("Password").fill("demo-password-4")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-in attempts")
    expect(page.get_by_role("heading", level=1, name="Sign in to secure messages")).to_be_visible()


def test_signed_in_devices_lists_and_signs_out_a_device(page, live_server, signed_in, user_named):
    for _ in range(2):
        token_issue(user=user_named("oh.only"))
    signed_in("oh.only")
    page.get_by_role("link", name="Signed-in devices").click()
    expect(page.get_by_role("heading", level=1, name="Signed-in devices")).to_be_visible()
    buttons = page.get_by_role("button", name="Sign out the device signed in")
    expect(buttons).to_have_count(2)
    assert_accessible(page, "signed-in devices")
    buttons.first.click()
    expect(page.get_by_text("You signed out of that device.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out the device signed in")).to_have_count(1)
    page.get_by_role("button", name="Sign out of all devices").click()
    expect(page.get_by_text("No app or other device is signed in")).to_be_visible()
    assert_accessible(page, "no signed-in devices")
