"""Steps of the flow as a QA tester would take them: by role and accessible name."""

from playwright.sync_api import Page, expect

from .conftest import assert_accessible

FILLED = {
    "category": "General: Ask questions about non-urgent, non-emergency issues",
    "subject": "Refill question for my pharmacist",
    "body": "Hello, I have a question about my medication.",
}


def start_new_message(page: Page, *, check_axe=True):
    page.get_by_role("link", name="Start a new message").click()
    expect(
        page.get_by_role("heading", level=1, name="Only use messages for non-urgent needs")
    ).to_be_visible()
    if check_axe:
        assert_accessible(page, "interstitial")


def continue_to_start_message(page: Page):
    cta = page.get_by_role("link", name="Continue to start message")
    if cta.count() == 0:
        cta = page.get_by_role("button", name="Continue to start message")
    cta.click()


def fill_message(page: Page, *, subject=FILLED["subject"], body=FILLED["body"]):
    page.get_by_label("Category").select_option(label=FILLED["category"])
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message", exact=False).first.fill(body)


def send(page: Page):
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", name="Message sent")).to_be_visible()
    expect(page.get_by_role("link", name="Review your sent messages")).to_be_visible()


def care_team_combo(page: Page):
    """The care-team type-ahead, once the script has enhanced the native select."""
    page.locator("input.usa-combo-box__input").wait_for()
    return page.get_by_role("combobox", name="Select a care team")


def begin(signed_in, page: Page, username: str):
    """Sign in as `username`, open "Start a new message" and continue past the interstitial."""
    signed_in(username)
    start_new_message(page, check_axe=False)
    continue_to_start_message(page)
