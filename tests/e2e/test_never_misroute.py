"""Issue 12, "Never misroute": the care team a message goes to is the one the veteran chose,
never a fallback; what they typed in the type-ahead survives an error (mouse, keyboard, no JS),
and the type-ahead keeps what was typed while a care system's teams load (issue 14)."""

import re

from playwright.sync_api import expect

from messaging.models import Message

from .conftest import assert_accessible
from .flow_helpers import begin, care_team_combo, fill_message

CARDIOLOGY = "Specialty care | Cardiology | T10 - Nguyen, Linh"
MENTAL = "Mental health | Behavioral health team | T39 - O'Brien, Siobhan"


def _start_message_to_cardiology(signed_in, page):
    """vista.single on start message addressed to Cardiology, text typed."""
    begin(signed_in, page, "vista.single")
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    care_team_combo(page).fill("Cardiology")
    page.get_by_role("option", name=CARDIOLOGY).click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(f"VA Kansas City health care - {CARDIOLOGY}")).to_be_visible()
    fill_message(page, subject="Where does this go", body="To the team I choose.")
    page.get_by_role("link", name="Select a different care team").click()
    expect(page.get_by_role("heading", level=1, name="Select care team")).to_be_visible()
    combo = care_team_combo(page)
    expect(combo).to_have_value(CARDIOLOGY)
    return combo


def _expect_choose_again(page, combo, typed):
    expect(page.get_by_role("heading", level=1, name="Select care team")).to_be_visible()
    error = page.get_by_text("Select a care team", exact=True)
    expect(error).to_be_visible()
    expect(error).to_be_focused()
    expect(care_team_combo(page)).to_have_value(typed)
    assert_accessible(page, f"select care team, typed {typed!r} not chosen")


def test_typed_team_not_chosen_never_goes_to_the_previous_team(signed_in, page):
    """Type "Dermatology" over Cardiology without choosing, leave the box, Continue: an
    error with the typed text kept, never start message addressed to Cardiology."""
    combo = _start_message_to_cardiology(signed_in, page)
    combo.fill("Dermatology")
    page.get_by_role("heading", level=1, name="Select care team").click()  # leave the box
    expect(combo).to_have_value("Dermatology")
    page.get_by_role("button", name="Continue").click()
    _expect_choose_again(page, combo, "Dermatology")
    # The veteran's text is still theirs: choosing a team brings it back.
    combo = care_team_combo(page)
    combo.fill("Audiology")
    page.get_by_role("option", name=re.compile("Audiology")).click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(re.compile("VA Kansas City health care - .*Audiology"))).to_be_visible()
    expect(page.get_by_label("Subject")).to_have_value("Where does this go")


def test_enter_on_a_partial_match_keeps_the_text_not_the_old_team(signed_in, page):
    """Keyboard: "mental" (one match) and Enter neither falls back to Cardiology nor picks
    the match; Continue asks to choose. ArrowDown + Enter chooses it."""
    combo = _start_message_to_cardiology(signed_in, page)
    combo.focus()
    combo.press("Control+a")
    page.keyboard.type("mental")
    page.keyboard.press("Enter")
    expect(combo).to_have_value("mental")
    page.keyboard.press("Tab")
    expect(combo).to_have_value("mental")
    page.get_by_role("button", name="Continue").focus()
    page.keyboard.press("Enter")
    _expect_choose_again(page, combo, "mental")
    combo = care_team_combo(page)
    combo.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(combo).to_have_value(MENTAL)
    page.get_by_role("button", name="Continue").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"VA Kansas City health care - {MENTAL}")).to_be_visible()


def test_enter_on_an_exact_name_chooses_it(signed_in, page):
    """A single exact match is chosen when the veteran presses Enter on it."""
    combo = _start_message_to_cardiology(signed_in, page)
    combo.fill(MENTAL.lower())
    combo.press("Enter")
    expect(combo).to_have_value(MENTAL)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(f"VA Kansas City health care - {MENTAL}")).to_be_visible()


def test_typed_search_survives_continue(signed_in, page):
    """Type "pharmacy" (one match listed), Continue: the error, and the box still says
    "pharmacy"; nothing is stored for another team."""
    begin(signed_in, page, "vista.single")
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    combo = care_team_combo(page)
    combo.fill("pharmacy")
    # One team matches; as a recent team it is listed under both groups (flow.md 11).
    expect(page.get_by_role("option", name=re.compile("Pharmacy"))).to_have_count(2)
    page.get_by_role("button", name="Continue").click()
    _expect_choose_again(page, combo, "pharmacy")
    assert not Message.objects.filter(veteran__username="vista.single", state="draft").exists()


def test_no_javascript_search_never_chooses_for_the_veteran(signed_in, no_js_page):
    """Without JavaScript the search box comes before the list it filters; the matches come
    first but none is chosen; Continue without choosing keeps the search text."""
    page = signed_in("oh.only", on=no_js_page)
    page.get_by_role("link", name="Start a new message").click()
    page.get_by_role("link", name="Continue to start message").click()
    search = page.get_by_role("searchbox", name="Search care teams")
    team = page.get_by_role("combobox", name="Select a care team")
    # The search box is above the list it filters.
    assert search.bounding_box()["y"] < team.bounding_box()["y"]
    search.fill("hearing")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("3 care teams match “hearing”. They’re listed first.")).to_be_visible()
    expect(team).to_have_value("")
    assert team.locator("option").nth(1).inner_text() == "VHA SPO Audiology"
    assert_accessible(page, "search results, no JS", javascript=False)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Select a care team", exact=True)).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search care teams")).to_have_value("hearing")
    page.get_by_role("combobox", name="Select a care team").select_option(label="VHA SPO Audiology")
    page.get_by_role("button", name="Continue").click()
    expect(
        page.get_by_text("VA Spokane health care - VHA SPO Audiology", exact=True)
    ).to_be_visible()


def test_typing_while_the_systems_teams_load_keeps_and_applies_the_text(signed_in, page):
    """Issue 14: choose a care system and type at once, the teams response held back: the
    box says it is busy, keeps the text, then offers the matching team."""
    begin(signed_in, page, "hybrid")
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".usa-combo-box[data-sm-ready]")).to_have_count(1)
    held = []
    page.route(re.compile(r"/select-care-team/teams/"), lambda route: held.append(route))
    page.get_by_role("radio", name="VA Central Ohio health care").check()
    combo = care_team_combo(page)
    combo.fill("Dermatology 2")
    expect(combo).to_have_attribute("aria-busy", "true")
    expect(page.locator(".usa-combo-box[data-sm-ready]")).to_have_count(0)
    assert len(held) == 1
    held[0].continue_()
    expect(page.get_by_role("option", name="VHA COS Dermatology 2")).to_be_visible()
    expect(combo).to_have_value("Dermatology 2")
    expect(combo).not_to_have_attribute("aria-busy", "true")
    assert_accessible(page, "teams loaded after typing")
    page.get_by_role("option", name="VHA COS Dermatology 2").click()
    page.get_by_role("button", name="Continue").click()
    expect(
        page.get_by_text("VA Central Ohio health care - VHA COS Dermatology 2", exact=True)
    ).to_be_visible()


def test_a_system_chosen_before_the_script_starts_loads_its_teams(signed_in, page):
    """Issue 14: a care system checked before the page script runs still gets its teams."""
    begin(signed_in, page, "hybrid")
    page.get_by_role("radio", name="A different care team").check()
    held_script = []
    page.route(re.compile(r"/static/sm[^/]*\.js"), lambda route: held_script.append(route))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("radio", name="VA Central Ohio health care").check()
    assert len(held_script) == 1
    held_script[0].continue_()
    combo = care_team_combo(page)
    expect(page.locator(".usa-combo-box[data-sm-ready]")).to_have_count(1)
    combo.fill("Dermatology 2")
    expect(page.get_by_role("option", name="VHA COS Dermatology 2")).to_be_visible()
