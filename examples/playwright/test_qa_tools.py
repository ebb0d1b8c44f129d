"""What a QA team checks with the QA tools: one-time sign-in, per-veteran flags and clock,
reset and delete. Each test has its own test veterans: the tests run in any order and in
parallel."""

import re

import requests
from conftest import BASE_URL, accessible
from playwright.sync_api import Browser, Page, expect

CURATED = "mhv_secure_messaging_curated_list_flow"
RECENT = "mhv_secure_messaging_recent_recipients"
BOTH_ON = {"flags": {CURATED: True, RECENT: True}}


def sign_in(page: Page, veteran: dict) -> None:
    page.goto(veteran["signInUrl"])
    expect(page.get_by_role("heading", level=1, name="Inbox")).to_be_visible()


def start_new_message(page: Page) -> None:
    page.get_by_role("link", name="Start a new message").click()
    expect(
        page.get_by_role("heading", level=1, name="Only use messages for non-urgent needs")
    ).to_be_visible()
    accessible(page)
    continue_ = page.get_by_role("link", name="Continue to start message")
    if continue_.count() == 0:
        continue_ = page.get_by_role("button", name="Continue to start message")
    continue_.click()


def test_a_sign_in_link_works_once(page: Page, browser: Browser, new_veteran):
    veteran = new_veteran()
    sign_in(page, veteran)
    accessible(page)
    other = browser.new_context().new_page()
    other.goto(veteran["signInUrl"])
    expect(
        other.get_by_role("heading", level=1, name="This sign-in link can’t be used")
    ).to_be_visible()
    accessible(other)
    other.context.close()


def test_one_veteran_on_the_curated_flow_another_on_legacy(
    page: Page, browser: Browser, new_veteran
):
    curated = new_veteran(**BOTH_ON)
    legacy = new_veteran(flags={CURATED: False})
    sign_in(page, curated)
    expect(page.get_by_role("region", name="Test account")).to_contain_text(
        "curated flow on (override)"
    )
    start_new_message(page)
    expect(
        page.get_by_role("heading", level=1, name="Care teams you recently sent messages to")
    ).to_be_visible()
    accessible(page)

    other = browser.new_context().new_page()
    sign_in(other, legacy)
    expect(other.get_by_role("region", name="Test account")).to_contain_text(
        "curated flow off (override)"
    )
    start_new_message(other)
    expect(other.get_by_role("heading", level=1, name="Start a new message")).to_be_visible()
    accessible(other)
    other.context.close()


def test_a_year_later_there_are_no_recent_care_teams(page: Page, new_veteran):
    veteran = new_veteran(**BOTH_ON, todayOffsetDays=400)
    sign_in(page, veteran)
    expect(page.get_by_role("region", name="Test account")).to_contain_text(
        re.compile(r"today = \d{4}-\d{2}-\d{2} \(offset \+400 days\)")
    )
    start_new_message(page)
    expect(page.get_by_role("heading", level=1, name="Select care team")).to_be_visible()
    accessible(page)


def test_reset_removes_a_draft(page: Page, qa_api, new_veteran):
    veteran = new_veteran(**BOTH_ON)
    api = requests.Session()
    token = api.post(
        f"{BASE_URL}/my_health/v1/messaging/token",
        json={"username": veteran["username"], "password": veteran["password"]},
        timeout=30,
    ).json()["token"]
    api.headers["Authorization"] = f"Token {token}"
    teams = api.get(f"{BASE_URL}/my_health/v1/messaging/allrecipients", timeout=30).json()
    team = next(
        t
        for t in teams["data"]
        if t["attributes"]["preferred_team"] and not t["attributes"]["blocked_status"]
    )
    draft = {
        "recipient_id": int(team["id"]),
        "category": "OTHER",
        "subject": "A draft to reset",
        "body": "Written through the API.",
    }
    created = api.post(f"{BASE_URL}/my_health/v1/messaging/message_drafts", json=draft, timeout=30)
    assert created.status_code == 201, created.text

    sign_in(page, veteran)
    page.get_by_role("navigation", name="Message folders").get_by_role(
        "link", name="Drafts"
    ).click()
    expect(page.get_by_role("link", name="A draft to reset")).to_be_visible()
    reset = qa_api.post(f"{BASE_URL}/qa/api/veterans/{veteran['username']}/reset", timeout=60)
    assert reset.status_code == 204
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Drafts")).to_be_visible()
    expect(page.get_by_role("link", name="A draft to reset")).to_have_count(0)
    accessible(page)


def test_delete_signs_the_veteran_out(page: Page, qa_api, new_veteran):
    veteran = new_veteran()
    sign_in(page, veteran)
    deleted = qa_api.delete(f"{BASE_URL}/qa/api/veterans/{veteran['username']}", timeout=60)
    assert deleted.status_code == 204
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Sign in to secure messages")).to_be_visible()
    accessible(page)


def test_a_care_system_chosen_and_typed_at_once_offers_its_team(page: Page, new_veteran):
    """No waiting: typed while the system's teams load, the text is kept and applied."""
    veteran = new_veteran("hybrid", **BOTH_ON)
    sign_in(page, veteran)
    start_new_message(page)
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Select care team")).to_be_visible()
    page.get_by_role("radio", name="VA Central Ohio health care").check()
    care_team = page.get_by_role("combobox", name="Select a care team")
    care_team.fill("Dermatology 2")
    expect(page.get_by_role("option", name="VHA COS Dermatology 2")).to_be_visible()
    expect(care_team).to_have_value("Dermatology 2")
    accessible(page)
