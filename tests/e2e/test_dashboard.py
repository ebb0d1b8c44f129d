"""The rollout dashboard with simulated data: a screenshot for the record, and axe."""

import os

from django.core.management import call_command
from playwright.sync_api import expect

from .conftest import assert_accessible


def test_dashboard_with_data_is_accessible(page, live_server, demo_data, set_flags, tmp_path):
    set_flags(curated=True, recent=True)
    call_command("simulate_traffic", veterans=12, days=7, seed=5)
    from messaging.rollout import stages as rollout

    rollout.whitelist("mhv_secure_messaging_curated_list_flow", "hybrid", add=True, actor="qa.lead")
    rollout.set_stage(
        "mhv_secure_messaging_curated_list_flow", "A", actor="qa.lead", force=True, reason="pilot"
    )
    page.goto(f"{live_server.url}/sign-in/demo/")
    page.get_by_role("button", name="Sign in as qa.lead").click()
    page.goto(f"{live_server.url}/ops/rollout/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("img").first).to_be_visible()  # the server-drawn pie chart
    page.screenshot(
        path=os.environ.get("SM_DASHBOARD_SHOT", str(tmp_path / "dashboard.png")), full_page=True
    )
    assert_accessible(page, "rollout dashboard with data")
