"""/qa/ by hand, with JavaScript off, in Chromium: create a test veteran, override its flow
and clock, open its sign-in link in a private window and see the banner, reset, delete."""

import re

from playwright.sync_api import expect

from messaging.rollout.flags import CURATED_LIST_FLOW

from .conftest import assert_accessible


def test_the_qa_page_without_javascript(browser, live_server, demo_data, flags_on):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/sign-in/demo/")
    page.get_by_role("button", name="Sign in as qa.lead").click()
    page.goto(f"{live_server.url}/qa/")
    expect(page.get_by_role("heading", level=1, name="QA tools")).to_be_visible()
    assert_accessible(page, "qa page", javascript=False)

    page.get_by_label("Scenario").select_option("hybrid")
    page.get_by_role("button", name="Create test veteran").click()
    created = page.get_by_role("heading", name=re.compile(r"Created test veteran qa-hybrid-"))
    expect(created).to_be_visible()
    username = created.inner_text().rsplit(" ", 1)[1]
    link = page.get_by_role("link", name=f"Sign in as {username}").get_attribute("href")
    assert_accessible(page, "qa page, veteran created", javascript=False)

    flag_group = page.get_by_role("group", name=f"{CURATED_LIST_FLOW} for {username}")
    flag_group.get_by_role("radio", name="Off").check()
    page.get_by_label(f"Today offset in days for {username}").fill("-200")
    page.get_by_role("button", name=f"Save overrides of {username}").click()
    expect(page.get_by_text(f"Overrides of {username} saved.")).to_be_visible()

    private = browser.new_context(java_script_enabled=False).new_page()
    private.goto(link)
    expect(private.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
    banner = private.get_by_role("region", name="Test account")
    expect(banner).to_contain_text("curated flow off (override)")
    expect(banner).to_contain_text(re.compile(r"today = \d{4}-\d{2}-\d{2} \(offset -200 days\)"))
    assert_accessible(private, "inbox with the test banner", javascript=False)

    page.get_by_role("button", name=f"Reset {username}").click()
    expect(page.get_by_text(f"{username} is back to its scenario’s state.")).to_be_visible()
    private.reload()
    expect(private.get_by_role("region", name="Test account")).to_have_count(0)

    page.get_by_role("button", name=f"Delete {username}").click()
    expect(page.get_by_text(f"{username} was deleted.")).to_be_visible()
    private.reload()
    expect(
        private.get_by_role("heading", level=1, name="Sign in to secure messages")
    ).to_be_visible()
    private.context.close()
    context.close()
