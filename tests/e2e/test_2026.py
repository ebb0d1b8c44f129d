"""What VA.gov's flow gained in 2026 (flow.md 9-12), end to end in Chromium with axe on every
page: medication renewal requests, the message signature, recent care teams inside select
care team, attachments scanned for malware. On a bundle of their own (not the demo's)."""

import re

import pytest
from playwright.sync_api import Page, expect

from messaging.models import Attachment, Message
from tests.factories import eicar_bytes, renewal_bundle
from tests.helpers import load

from .conftest import assert_accessible

MEDS = "/my-health/medications/"
LINES = [
    "Medication name, strength, and form: Atorvastatin 20 MG Oral Tablet",
    "Instructions: Take one tablet by mouth daily",
    "Provider who prescribed it: Ana Okafor",
    "Prescription expiration date: March 9, 2027",
    "Last filled on: November 4, 2026",
    "Quantity: 30",
]


@pytest.fixture
def rx_vet(live_server, set_flags):
    """Sign in (demo sign-in) as rx.vet of the renewal bundle, both flags on."""
    set_flags(curated=True, recent=True)
    load(renewal_bundle())

    def sign_in(page: Page) -> Page:
        page.goto(f"{live_server.url}/sign-in/demo/")
        page.get_by_role("button", name="Sign in as rx.vet").click()
        page.wait_for_url("**/inbox/")
        return page

    return sign_in


def test_renewal_request_without_javascript_survives_reload_and_lands_on_medications(
    rx_vet, no_js_page, live_server
):
    """9. Medications -> "Request a renewal" -> interstitial -> Continue -> start message with
    the team, "Medication", "Renewal Needed" and the lines -> Send -> back on medications."""
    page = rx_vet(no_js_page)
    page.goto(f"{live_server.url}{MEDS}")
    expect(page.get_by_role("heading", level=1, name="Medications")).to_be_visible()
    assert_accessible(page, "medications", javascript=False)
    card = page.get_by_role("listitem").filter(has_text="Atorvastatin 20 MG Oral Tablet")
    card.get_by_role("link", name="Request a renewal").click()
    expect(
        page.get_by_role("heading", level=1, name="Only use messages for non-urgent needs")
    ).to_be_visible()
    page.reload()  # nothing is lost on a reload
    assert_accessible(page, "renewal interstitial", javascript=False)
    page.get_by_role("link", name="Continue to start message").click()

    expect(page.get_by_role("heading", level=1, name="Start message")).to_be_visible()
    page.reload()
    expect(page.get_by_text("VA Palo Alto health care - Pharmacy | Renewals")).to_be_visible()
    expect(page.get_by_role("combobox", name="Category")).to_have_count(0)
    expect(page.get_by_text("Medication", exact=True)).to_be_visible()
    expect(page.get_by_label("Subject")).to_have_value("Renewal Needed")
    body = page.get_by_label("Message", exact=False).first.input_value()
    assert body.split("\n")[:6] == LINES
    assert_accessible(page, "renewal start message", javascript=False)

    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(f"**{MEDS}")
    expect(page.get_by_role("heading", name="Message sent")).to_be_visible()
    assert_accessible(page, "medications after sending", javascript=False)
    page.get_by_role("link", name="Review your sent messages").click()
    expect(page.get_by_role("link", name=re.compile("Renewal Needed"))).to_be_visible()
    assert Message.objects.get(veteran__username="rx.vet", renewal=True).state == "sent"


@pytest.mark.parametrize("hostile", ["//evil.example", "javascript:alert(1)"])
def test_someone_elses_prescription_warns_and_an_unsafe_redirect_is_ignored(
    rx_vet, page, live_server, hostile
):
    """9. Another veteran's prescription: empty lines and the warning; after sending, the
    inbox (the unsafe redirectPath is ignored), never another site."""
    rx_vet(page)
    page.goto(
        f"{live_server.url}/my-health/secure-messages/new-message/"
        f"?prescriptionId=7199999&redirectPath={hostile}"
    )
    page.get_by_role("link", name="Continue to start message").click()
    page.get_by_role("radio", name="Primary care | Blue team").check()
    page.get_by_role("button", name="Continue").click()
    expect(
        page.get_by_role("heading", name="Add your medication information to this message")
    ).to_be_visible()
    expect(page.get_by_text("Insulin")).to_have_count(0)
    assert_accessible(page, "renewal with unknown prescription")
    page.get_by_label("Message", exact=False).first.fill("Medication name: Metformin")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url("**/inbox/")
    assert page.url.startswith(live_server.url)
    expect(page.get_by_role("heading", name="Message sent")).to_be_visible()


def test_signature_prefill_and_edit_for_all_messages(rx_vet, page, live_server):
    """10. The body starts with two empty lines and the signature; "Edit signature for all
    messages" opens the settings page, whose change the next message shows."""
    rx_vet(page)
    page.get_by_role("link", name="Start a new message").click()
    page.get_by_role("link", name="Continue to start message").click()
    page.get_by_role("radio", name="Primary care | Blue team").check()
    page.get_by_role("button", name="Continue").click()
    body = page.get_by_label("Message", exact=False).first
    expect(body).to_have_value("\n\nDana Whitfield\nVeteran, U.S. Army")
    assert_accessible(page, "start message with signature")

    page.get_by_role("link", name="Edit signature for all messages").click()
    expect(page.get_by_role("heading", level=1, name="Message signature")).to_be_visible()
    assert_accessible(page, "signature settings")
    page.get_by_label("Signature name").fill("")
    page.get_by_role("button", name="Save signature").click()
    expect(
        page.get_by_text("Enter a signature name to include your signature in new messages.")
    ).to_be_visible()
    assert_accessible(page, "signature settings error")
    page.get_by_label("Signature name").fill("Dana W.")
    page.get_by_label("Signature title (optional)").fill("")
    page.get_by_role("button", name="Save signature").click()
    expect(page.get_by_role("heading", level=1, name="Start message")).to_be_visible()
    expect(page.get_by_label("Message", exact=False).first).to_have_value("\n\nDana W.")


def test_recent_care_teams_group_in_the_type_ahead_and_the_select(
    rx_vet, page, no_js_page, live_server
):
    """11. Select care team: "Recent care teams" then "All care teams", with JavaScript (the
    type-ahead's list) and without (the select's optgroups)."""
    rx_vet(page)
    page.get_by_role("link", name="Start a new message").click()
    page.get_by_role("link", name="Continue to start message").click()
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    with page.expect_response(re.compile(r"/select-care-team/teams/")):
        page.get_by_role("radio", name="VA Palo Alto health care").check()
    page.locator(".usa-combo-box[data-sm-grouped]").wait_for(state="attached")
    combo = page.get_by_role("combobox", name="Select a care team")
    combo.click()
    combo.press("ArrowDown")
    options = page.get_by_role("option")
    expect(options.first).to_have_attribute("data-sm-group-start", "Recent care teams")
    expect(options.first).to_have_accessible_name("Primary care | Blue team")
    expect(options.first).to_have_accessible_description("Recent care teams")
    starts = page.locator("[data-sm-group-start]")
    expect(starts).to_have_count(2)
    expect(starts.nth(1)).to_have_attribute("data-sm-group-start", "All care teams")
    assert_accessible(page, "type-ahead with groups open")
    options.first.click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("VA Palo Alto health care - Primary care | Blue team")).to_be_visible()

    nojs = rx_vet(no_js_page)
    nojs.get_by_role("link", name="Start a new message").click()
    nojs.get_by_role("link", name="Continue to start message").click()
    nojs.get_by_role("radio", name="A different care team").check()
    nojs.get_by_role("button", name="Continue").click()
    nojs.get_by_role("radio", name="VA Palo Alto health care").check()
    nojs.get_by_role("button", name="Show care teams for this system").click()
    groups = nojs.locator("select[name=care_team] optgroup")
    expect(groups).to_have_count(2)
    expect(groups.nth(0)).to_have_attribute("label", "Recent care teams")
    expect(groups.nth(1)).to_have_attribute("label", "All care teams")
    assert_accessible(nojs, "select with optgroups", javascript=False)


def test_eicar_attachment_is_refused_on_the_page_with_the_text_kept(
    rx_vet, page, settings, tmp_path
):
    """12. An EICAR test file is flagged by the scanner: the spec's message, the text kept,
    nothing sent or stored."""
    settings.MEDIA_ROOT = tmp_path
    rx_vet(page)
    page.get_by_role("link", name="Start a new message").click()
    page.get_by_role("link", name="Continue to start message").click()
    page.get_by_role("radio", name="Primary care | Blue team").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Category").select_option(value="OTHER")
    page.get_by_label("Subject").fill("My results")
    page.get_by_label("Message", exact=False).first.fill("Please see the attached file.")
    page.get_by_label("Attachments").set_input_files(
        [{"name": "results.txt", "mimeType": "text/plain", "buffer": eicar_bytes()}]
    )
    page.get_by_role("button", name="Send", exact=True).click()
    expect(
        page.get_by_text(
            "Our file scanner found a problem with your attachment. "
            "To send your message, remove this attachment."
        )
    ).to_be_visible()
    expect(page.get_by_label("Subject")).to_have_value("My results")
    assert (
        "Please see the attached file."
        in page.get_by_label("Message", exact=False).first.input_value()
    )
    assert_accessible(page, "attachment flagged by the scanner")
    assert not Message.objects.filter(subject="My results", state="sent").exists()
    assert Attachment.objects.count() == 0 and not any(tmp_path.rglob("*.txt"))
