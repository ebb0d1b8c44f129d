"""The rollout dashboard with simulated data, as a release manager sees it in Chromium:
the charts (images with a text alternative, stage changes marked), axe, no sideways scroll
at 375 and 320 px, and the same charts with JavaScript off."""

import os

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from .conftest import assert_accessible

FLAG = "mhv_secure_messaging_curated_list_flow"


@pytest.fixture
def simulated(live_server, demo_data, set_flags):
    set_flags(curated=True, recent=True)
    call_command("simulate_traffic", veterans=12, days=7, seed=5)
    from messaging.rollout import stages as rollout

    rollout.whitelist(FLAG, "hybrid", add=True, actor="qa.lead")
    rollout.set_stage(FLAG, "A", actor="qa.lead", force=True, reason="pilot")
    return live_server


def _open_dashboard(page, server):
    page.goto(f"{server.url}/sign-in/demo/")
    page.get_by_role("button", name="Sign in as qa.lead").click()
    page.goto(f"{server.url}/ops/rollout/")
    expect(page.get_by_role("heading", level=1, name="Rollout dashboard")).to_be_visible()


def _assert_charts(page):
    images = page.locator("svg[role=img]")
    assert images.count() >= 5
    for index in range(images.count()):
        image = images.nth(index)
        name = image.evaluate(
            "svg => svg.getAttribute('aria-labelledby').split(' ')"
            ".map(id => document.getElementById(id).textContent).join(' ')"
        )
        assert len(name) > 40, name  # the title and the sentence that states the finding
    # Every daily chart marks the stage changes on its time axis.
    markers = page.locator("svg[role=img] text", has_text="A (5 %)")
    assert markers.count() >= 5
    expect(page.locator("#stage-changes")).to_contain_text("New flow to A (5 %)")


def test_dashboard_shows_the_charts_and_is_accessible(page, simulated, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    _open_dashboard(page, simulated)
    _assert_charts(page)
    # The first screen answers "can we advance?": stage, criteria, actions.
    decision = page.get_by_test_id(f"decision-{FLAG}")
    expect(decision.get_by_test_id(f"stage-{FLAG}")).to_have_text("A")
    expect(decision.get_by_role("list", name="Success criteria of stage A")).to_be_in_viewport()
    expect(decision.get_by_role("button", name="Set stage")).to_be_visible()
    expect(decision.get_by_role("button", name="Roll back now")).to_be_visible()
    # The numbers behind a chart: a table a screen reader reaches (summary, then table).
    page.get_by_text("The numbers behind “Messages sent per day” (table)").click()
    expect(page.get_by_role("table", name="Messages sent per day, per day")).to_be_visible()
    page.screenshot(
        path=os.environ.get("SM_DASHBOARD_SHOT", str(tmp_path / "dashboard.png")), full_page=True
    )
    assert_accessible(page, "rollout dashboard with data")


@pytest.mark.parametrize("width", [375, 320])
def test_nothing_scrolls_sideways_on_a_phone(page, simulated, width):
    page.set_viewport_size({"width": width, "height": 800})
    _open_dashboard(page, simulated)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    assert_accessible(page, f"rollout dashboard at {width} px")


def test_the_charts_need_no_javascript(no_js_page, simulated):
    _open_dashboard(no_js_page, simulated)
    _assert_charts(no_js_page)
    assert_accessible(no_js_page, "rollout dashboard without JavaScript", javascript=False)
