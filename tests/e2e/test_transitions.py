"""A facility's move to Oracle Health, walked end to end with axe on every alert: the demo's
`transition` veteran (Ann Arbor warned, Battle Creek locked, Detroit cut over) and a veteran
whose only teams are locked."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from messaging.models import CareSystem, Message
from tests.factories import transition_bundle
from tests.helpers import load

from .conftest import assert_accessible
from .flow_helpers import begin, care_team_combo, fill_message, send, start_new_message

WARNED = re.compile(
    r"you won't be able to send messages to care teams at VA Ann Arbor health care\."
)
LOCKED = "You can't send messages to care teams at some facilities right now"


def _choose(page, system: str, query: str, team: str):
    """Choose a system, then a team through the type-ahead once it has the system's teams."""
    with page.expect_response(re.compile(r"/select-care-team/teams/")):
        page.get_by_role("radio", name=system).check()
    page.wait_for_load_state("networkidle")
    combo = care_team_combo(page)
    expect(page.locator('[aria-busy="true"]')).to_have_count(0)
    combo.fill(query)
    option = page.get_by_role("option", name=re.compile(re.escape(team)))
    expect(option.first).to_be_visible()
    option.first.click()
    expect(combo).to_have_value(re.compile(re.escape(team)))
    listbox = page.locator(".usa-combo-box__list")
    if listbox.is_visible():
        combo.press("Escape")
    expect(listbox).to_be_hidden()


def _continue(page):
    """Continue from select care team, by keyboard (the type-ahead may still hold the focus)."""
    page.get_by_role("button", name="Continue").press("Enter")
    expect(page.get_by_role("heading", level=1, name="Start message")).to_be_visible()


def _to_select_care_team(page):
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Select care team")).to_be_visible()


def test_warned_veteran_is_warned_and_still_sends(signed_in, page):
    signed_in("transition")
    warning = page.get_by_role("status").filter(has=page.get_by_role("heading", name=WARNED))
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("During this time, you can still call these facilities")
    expect(page.get_by_role("alert").filter(has_text=LOCKED)).to_contain_text(
        "VA Battle Creek health care"
    )
    assert_accessible(page, "inbox with warning and locked alerts")
    start_new_message(page, check_axe=False)
    page.get_by_role("link", name="Continue to start message").click()
    expect(page.get_by_role("heading", name=WARNED)).to_be_visible()
    # Recent: Battle Creek's team (locked) is not offered, Ann Arbor's is.
    group = page.get_by_role("group", name="Select a team you want to message")
    expect(group.get_by_role("radio", name=re.compile("Greene, Marcus"))).to_have_count(0)
    assert_accessible(page, "recent with alerts")
    _to_select_care_team(page)
    systems = page.get_by_role("group", name=re.compile("Select a VA health care system"))
    expect(systems.get_by_role("radio", name="VA Battle Creek health care")).to_have_count(0)
    _choose(page, "VA Ann Arbor health care", "Patel", "Patel, Anika")
    assert_accessible(page, "select care team with alerts")
    _continue(page)
    expect(page.get_by_role("heading", name=WARNED)).to_be_visible()
    assert_accessible(page, "start message, warned team")
    fill_message(page)
    send(page)


def test_a_team_that_locks_before_send_keeps_the_text(signed_in, page):
    begin(signed_in, page, "transition")
    _to_select_care_team(page)
    _choose(page, "VA Ann Arbor health care", "Patel", "Patel, Anika")
    _continue(page)
    fill_message(page, subject="Before the lock", body="Please call me back.")
    ann_arbor = CareSystem.objects.get(station_number="506")
    locked_cutover = ann_arbor.migration_date - timedelta(days=18)  # d = -2: p4
    CareSystem.objects.filter(pk=ann_arbor.pk).update(migration_date=locked_cutover)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(
        page.get_by_text(re.compile("You can’t send messages to care teams at VA Ann Arbor"))
    ).to_be_visible()
    alert = page.get_by_role("alert").filter(has=page.get_by_role("heading", name=LOCKED))
    expect(alert).to_contain_text("VA Ann Arbor health care")
    expect(page.get_by_label("Subject")).to_have_value("Before the lock")
    expect(page.get_by_label("Message", exact=False).first).to_have_value("Please call me back.")
    assert_accessible(page, "start message, team locked at send")
    assert not Message.objects.filter(subject="Before the lock").exists()


def test_cut_over_veteran_finds_the_oh_pools_under_new_names(signed_in, page):
    begin(signed_in, page, "transition")
    notice = page.get_by_role("region", name=re.compile("We’ve updated your care team name"))
    expect(notice).to_contain_text(
        "Primary care | PACT team | T08 - Okafor, Chidi is now VHA DET Primary Care Blue"
    )
    _to_select_care_team(page)
    _choose(page, "VA Detroit health care", "Primary Care Blue", "VHA DET Primary Care Blue")
    expect(page.get_by_text(re.compile("This list shows every care team at"))).to_be_visible()
    assert_accessible(page, "select care team, cut-over system")
    _continue(page)
    fill_message(page, subject="After the move", body="Hello from the new system.")
    send(page)
    page.goto(page.url.replace("/inbox/", "/contact-list/"))
    expect(page.get_by_role("heading", name="We updated your contact list")).to_be_visible()
    expect(
        page.get_by_role("heading", name="We're making changes to your contact list")
    ).to_be_visible()
    expect(
        page.get_by_text("We removed care teams from these facilities from your contact list:")
    ).to_be_visible()
    assert_accessible(page, "contact list through transitions")
    assert Message.objects.get(subject="After the move").care_team.upstream_id == 6553001


def test_a_veteran_whose_only_teams_are_locked_is_never_at_a_dead_end(signed_in, page):
    load(transition_bundle())
    signed_in("locked.only")
    # The inbox offers no "Start a new message" (issue 12: no dead end); the flow's address
    # comes back to it, and the locked alert says why and what to do.
    expect(page.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
    expect(page.get_by_role("link", name="Start a new message")).to_have_count(0)
    page.goto(page.url.replace("/inbox/", "/new-message/"))
    expect(page).to_have_url(re.compile("/inbox/$"))
    alert = page.get_by_role("alert").filter(has=page.get_by_role("heading", name=LOCKED))
    expect(alert).to_contain_text("VA Hudson Valley health care")
    expect(alert).to_contain_text(
        "If you need to contact your care team now, call the facility directly."
    )
    assert_accessible(page, "inbox, only locked teams")
