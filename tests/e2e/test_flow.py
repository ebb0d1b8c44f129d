"""The new-message flow, end to end, the way QA walks it (flow.md; issue 3's scenarios)."""

import re

import pytest
from playwright.sync_api import expect

from messaging.models import Message

from .conftest import assert_accessible
from .flow_helpers import (
    FILLED,
    begin,
    care_team_combo,
    continue_to_start_message,
    fill_message,
    send,
    start_new_message,
)


def test_vista_single_recent_team_to_sent(signed_in, page):
    """1. vista.single: interstitial -> recent -> a team -> start message -> send -> Sent."""
    signed_in("vista.single")
    start_new_message(page)
    continue_to_start_message(page)
    expect(page).to_have_title("Recently Messaged Care Teams - Start Message | Veterans Affairs")
    expect(
        page.get_by_role("heading", level=1, name="Care teams you recently sent messages to")
    ).to_be_visible()
    group = page.get_by_role("group", name="Select a team you want to message")
    expect(group.get_by_role("radio")).to_have_count(3)
    expect(group.get_by_role("radio", name="A different care team")).to_be_visible()
    assert_accessible(page, "recent")
    group.get_by_role("radio", name=re.compile("Primary care \\| PACT team")).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Start message")).to_be_visible()
    expect(
        page.get_by_text(
            "VA Kansas City health care - Primary care | PACT team | T83 - Johnson, Tasha"
        )
    ).to_be_visible()
    assert_accessible(page, "start message, empty")
    fill_message(page)
    assert_accessible(page, "start message, filled")
    send(page)
    assert_accessible(page, "inbox after send")
    page.get_by_role("link", name="Review your sent messages").click()
    expect(page.get_by_role("link", name=FILLED["subject"])).to_be_visible()
    assert_accessible(page, "sent")


def test_recent_continue_without_choice_shows_error_and_focus(signed_in, page):
    """2. Continue with nothing chosen; "A different care team" leads to select care team."""
    begin(signed_in, page, "vista.single")
    page.get_by_role("button", name="Continue").click()
    error = page.get_by_text("Select a care team", exact=True)
    expect(error).to_be_visible()
    expect(error).to_be_focused()
    assert_accessible(page, "recent with error")
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Select care team")).to_be_visible()


def test_vista_multi_radios_and_recent_rules(signed_in, page):
    """3. Radios for three systems; recent shows at most 6, none blocked/off list/older than 6 months."""
    begin(signed_in, page, "vista.multi")
    radios = page.get_by_role("group", name="Select a team you want to message").get_by_role(
        "radio"
    )
    expect(radios).to_have_count(7)  # 6 teams + "A different care team"
    names = radios.evaluate_all("els => els.map(e => e.labels[0].innerText)")
    assert not any("T93" in n for n in names)  # blocked team (4399512) is left out
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    systems = page.get_by_role("group", name="Select a VA health care system").get_by_role("radio")
    expect(systems).to_have_count(3)
    assert systems.evaluate_all("els => els.map(e => e.labels[0].innerText)") == [
        "VA Kansas City health care",
        "VA Dayton health care",
        "VA Northern California health care",
    ]
    assert_accessible(page, "select care team, radios")


def test_oh_only_combo_box_type_ahead_and_send(signed_in, page):
    """4. oh.only: straight to select care team; no system control; type "Audio"."""
    begin(signed_in, page, "oh.only")
    expect(page.get_by_role("heading", level=1, name="Select care team")).to_be_visible()
    expect(page.get_by_text("Select a VA health care system")).to_have_count(0)
    expect(
        page.get_by_text(re.compile("This list shows every care team at VA Spokane health care"))
    ).to_be_visible()
    combo = care_team_combo(page)
    combo.fill("Audio")
    option = page.get_by_role("option", name=re.compile("Audiology"))
    expect(option.first).to_be_visible()
    assert_accessible(page, "combo box open")
    option.first.click()
    page.get_by_role("button", name="Continue").click()
    expect(
        page.get_by_text(re.compile(r"VA Spokane health care - VHA SPO Audiology"))
    ).to_be_visible()
    fill_message(page)
    send(page)


def test_hybrid_side_by_side_oh_info_and_contact_note(signed_in, page):
    """5. hybrid: VistA and OH systems; OH info only for the OH system; contact-list note."""
    begin(signed_in, page, "hybrid")
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Update your contact list")).to_be_visible()
    info = page.get_by_text(re.compile("This list shows every care team at"))
    page.get_by_role("radio", name="VA Kansas City health care").check()
    expect(info).to_be_hidden()
    page.get_by_role("radio", name="VA Central Ohio health care").check()
    expect(info).to_be_visible()
    expect(info).to_contain_text("VA Central Ohio health care")
    assert_accessible(page, "hybrid OH system chosen")
    page.get_by_role("radio", name="VA Kansas City health care").check()
    expect(info).to_be_hidden()


def test_many_systems_select_sorted(signed_in, page):
    """6. many.systems: a select of seven systems sorted by name."""
    begin(signed_in, page, "many.systems")
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    select = page.get_by_role("combobox", name="Select a VA health care system")
    names = select.locator("option").all_inner_texts()[1:]
    assert len(names) == 7 and names == sorted(names)
    assert_accessible(page, "select care team, 7 systems")


@pytest.mark.parametrize("username", ["all.blocked", "no.teams"])
def test_no_dead_end_without_messageable_teams(signed_in, page, username):
    """7. No dead end (issue 12): the inbox offers no "Start a new message" and says why; a
    direct visit to the flow is sent back to the Inbox with the explanation."""
    signed_in(username)
    expect(page.get_by_role("link", name="Start a new message")).to_have_count(0)
    explanation = page.get_by_role("region", name="You can’t start a new message right now")
    expect(explanation).to_contain_text(re.compile("You can’t send messages"))
    assert_accessible(page, f"inbox explanation {username}")
    page.goto(page.url.replace("/inbox/", "/new-message/"))
    expect(page.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="You can’t send messages")).to_be_visible()


def test_facility_blocked_warning(signed_in, page):
    """8. The blocked system is not offered; the warning names it."""
    begin(signed_in, page, "facility.blocked")
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    expect(
        page.get_by_text("You can't send messages to care teams at VA Western New York health care")
    ).to_be_visible()
    expect(page.get_by_role("radio", name="VA Western New York health care")).to_have_count(0)
    assert_accessible(page, "blocked warning")


def test_select_a_different_care_team_keeps_text(signed_in, page):
    """9. "Select a different care team" keeps subject and body and pre-selects."""
    begin(signed_in, page, "vista.single")
    page.get_by_role("radio", name=re.compile("Pharmacy")).check()
    page.get_by_role("button", name="Continue").click()
    fill_message(page, subject="Keep me", body="Keep this body too")
    page.get_by_role("link", name="Select a different care team").click()
    expect(page.get_by_role("heading", level=1, name="Select care team")).to_be_visible()
    expect(care_team_combo(page)).to_have_value(re.compile("Pharmacy"))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Subject")).to_have_value("Keep me")
    expect(page.get_by_label("Message", exact=False).first).to_have_value("Keep this body too")


def test_empty_send_and_subject_limit(signed_in, page):
    """10. Every validation message; subject stops at 50 characters and the counter says so."""
    begin(signed_in, page, "oh.only")
    care_team_combo(page).fill("Allergy")
    page.get_by_role("option", name=re.compile("Allergy")).first.click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send", exact=True).click()
    for text in (
        "Please select a category.",
        "Subject cannot be blank.",
        "Message body cannot be blank.",
    ):
        expect(page.get_by_text(text)).to_be_visible()
    expect(page.get_by_text("Please select a category.")).to_be_focused()
    assert_accessible(page, "start message with errors")
    subject = page.get_by_label("Subject")
    subject.press_sequentially("x" * 55)
    expect(subject).to_have_value("x" * 50)
    expect(page.get_by_text("0 characters left", exact=True)).to_be_visible()
    subject.press("Backspace")
    expect(page.get_by_text("1 character left")).to_be_visible()


def test_release_of_information_signature(signed_in, page):
    """11. ROI team requires the signature; errors; the sent body ends with the block."""
    begin(signed_in, page, "vista.single")
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    care_team_combo(page).fill("Release")
    page.get_by_role("option", name=re.compile("Release of Information")).first.click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=2, name="Electronic signature")).to_be_visible()
    fill_message(page)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Enter your full name", exact=True)).to_be_visible()
    expect(page.get_by_text("You must certify by checking the box.")).to_be_visible()
    assert_accessible(page, "signature errors")
    page.get_by_label("Your full name").fill("Alex Rivera")
    page.get_by_label("I certify that the above is correct").check()
    send(page)
    message = Message.objects.get(
        veteran__username="vista.single", subject=FILLED["subject"], state="sent"
    )
    assert re.search(r"\nAlex Rivera\nSigned electronically on \d{4}-\d\d-\d\d\.$", message.body)


def test_save_draft_reopen_send(signed_in, page):
    """13. Save draft -> Drafts lists it -> reopen -> send -> Drafts no longer has it."""
    begin(signed_in, page, "vista.single")
    page.get_by_role("radio", name=re.compile("Pharmacy")).check()
    page.get_by_role("button", name="Continue").click()
    fill_message(page, subject="Draft subject")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text(re.compile(r"Your message was saved on .+\."))).to_be_visible()
    page.goto(page.url.replace("/new-message/start-message/", "/drafts/"))
    assert_accessible(page, "drafts")
    page.get_by_role("link", name="Draft subject").click()
    expect(page.get_by_label("Subject")).to_have_value("Draft subject")
    assert_accessible(page, "reopened draft")
    send(page)
    page.goto(page.url.replace("/inbox/", "/drafts/"))
    expect(page.get_by_role("link", name="Draft subject")).to_have_count(0)


def test_delete_draft_asks_first(signed_in, page):
    """14. Delete asks first, then "Draft was successfully deleted."."""
    begin(signed_in, page, "vista.single")
    page.get_by_role("radio", name=re.compile("Pharmacy")).check()
    page.get_by_role("button", name="Continue").click()
    fill_message(page)
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Delete draft").click()
    expect(page.get_by_role("heading", name="Delete this draft?")).to_be_visible()
    expect(page.get_by_text("If you delete a draft, you can’t get it back.")).to_be_visible()
    assert_accessible(page, "delete confirmation")
    page.get_by_role("button", name="Delete draft").click()
    expect(page.get_by_text("Draft was successfully deleted.")).to_be_visible()
    assert not Message.objects.filter(veteran__username="vista.single", state="draft").exists()


def test_double_click_send_stores_one_message(signed_in, page):
    """15. Double-clicking Send stores one message."""
    begin(signed_in, page, "vista.single")
    page.get_by_role("radio", name=re.compile("Pharmacy")).check()
    page.get_by_role("button", name="Continue").click()
    fill_message(page, subject="Double click")
    page.get_by_role("button", name="Send", exact=True).dblclick()
    expect(page.get_by_role("heading", name="Message sent")).to_be_visible()
    assert (
        Message.objects.filter(veteran__username="vista.single", subject="Double click").count()
        == 1
    )


def test_curated_off_legacy_compose_and_recent_off_redirects(
    signed_in, page, set_flags, live_server
):
    """16. Curated flag off: the legacy page; recent flag off: /recent/ redirects."""
    signed_in("vista.multi")
    set_flags(curated=True, recent=False)
    start_new_message(page, check_axe=False)
    continue_to_start_message(page)
    expect(page.get_by_role("heading", level=1, name="Select care team")).to_be_visible()
    page.goto(f"{live_server.url}/my-health/secure-messages/new-message/recent/")
    expect(page).to_have_url(re.compile("/select-care-team/$"))
    set_flags(curated=False, recent=False)
    page.goto(f"{live_server.url}/my-health/secure-messages/inbox/")
    start_new_message(page)
    page.get_by_role("button", name="Continue to start message").click()
    expect(page.get_by_role("heading", level=1, name="Start a new message")).to_be_visible()
    to = page.get_by_label("To")
    assert to.locator("optgroup").evaluate_all("els => els.map(e => e.label)") == [
        "VA Dayton health care",
        "VA Kansas City health care",
        "VA Northern California health care",
    ]
    assert_accessible(page, "legacy compose")
    to.select_option(index=1)
    fill_message(page, subject="Legacy send")
    send(page)
    assert Message.objects.get(subject="Legacy send").flow == "legacy"


def test_scenario_one_without_javascript(signed_in, no_js_page, live_server):
    """17. The whole of scenario 1 with JavaScript disabled."""
    page = signed_in("vista.single", on=no_js_page)
    page.get_by_role("link", name="Start a new message").click()
    assert_accessible(page, "interstitial, no JS", javascript=False)
    continue_to_start_message(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Select a care team", exact=True)).to_be_visible()
    assert_accessible(page, "recent with error, no JS", javascript=False)
    page.get_by_role("radio", name=re.compile("Primary care \\| PACT team")).check()
    page.get_by_role("button", name="Continue").click()
    expect(
        page.get_by_text(
            "VA Kansas City health care - Primary care | PACT team | T83 - Johnson, Tasha"
        )
    ).to_be_visible()
    fill_message(page)
    assert_accessible(page, "start message filled, no JS", javascript=False)
    send(page)
    page.get_by_role("link", name="Review your sent messages").click()
    expect(page.get_by_role("link", name=FILLED["subject"])).to_be_visible()


def test_select_care_team_without_javascript(signed_in, no_js_page):
    """Without JavaScript, choosing a system re-renders the list for it."""
    page = signed_in("hybrid", on=no_js_page)
    page.get_by_role("link", name="Start a new message").click()
    continue_to_start_message(page)
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("radio", name="VA Central Ohio health care").check()
    page.get_by_role("button", name="Show care teams for this system").click()
    expect(
        page.get_by_text(re.compile("This list shows every care team at VA Central Ohio"))
    ).to_be_visible()
    team = page.get_by_role("combobox", name="Select a care team")  # the native select
    team.select_option(index=1)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(re.compile("^VA Central Ohio health care - "))).to_be_visible()
    assert_accessible(page, "start message, no JS", javascript=False)


def test_scenario_four_keyboard_only(signed_in, page):
    """18. Scenario 4 with the keyboard alone."""
    signed_in("oh.only")
    page.get_by_role("link", name="Start a new message").focus()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", level=1, name="Only use messages for non-urgent needs")
    ).to_be_focused()
    page.get_by_role("link", name="Continue to start message").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Select care team")).to_be_focused()
    page.keyboard.press("Tab")  # Back link... tab until the combo box has focus
    combo = care_team_combo(page)
    for _ in range(15):
        if combo.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(combo).to_be_focused()
    page.keyboard.type("Audio")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(combo).to_have_value(re.compile("Audiology"))
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.innerText") == "Continue":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Start message")).to_be_focused()
    page.get_by_label("Category").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("Hearing aid question")
    page.keyboard.press("Tab")
    page.keyboard.type("My hearing aid whistles.")
    page.get_by_role("button", name="Send", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Message sent")).to_be_visible()
    assert Message.objects.get(subject="Hearing aid question").care_team.display_name.startswith(
        "VHA SPO Audiology"
    )


@pytest.mark.parametrize("username", ["vista.single", "many.systems"])
def test_no_sideways_scroll_at_320px(signed_in, page, live_server, username):
    """19. At 320 px wide no flow page scrolls sideways."""
    page.set_viewport_size({"width": 320, "height": 800})
    signed_in(username)
    base = f"{live_server.url}/my-health/secure-messages"
    page.goto(f"{base}/new-message/")
    page.get_by_role("link", name="Continue to start message").click()
    for path in [
        "/new-message/",
        "/new-message/recent/",
        "/new-message/select-care-team/",
        "/new-message/care-team-help/",
        "/contact-list/",
    ]:
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    page.goto(base + "/new-message/select-care-team/")
    if page.get_by_role("combobox", name="Select a VA health care system").count():
        page.locator("input.usa-combo-box__input").wait_for()
        with page.expect_response(re.compile(r"/select-care-team/teams/")):
            page.get_by_role("combobox", name="Select a VA health care system").select_option(
                index=1
            )
    combo = care_team_combo(page)
    combo.click()
    page.get_by_role("listbox").get_by_role("option").first.click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Start message")).to_be_visible()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Subject cannot be blank.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        "start message with errors"
    )
    assert_accessible(page, "320px start message with errors")


def _to_start_message(signed_in, page, username, team_filter):
    signed_in(username)
    start_new_message(page, check_axe=False)
    continue_to_start_message(page)
    if page.get_by_role("radio", name="A different care team").count():
        page.get_by_role("radio", name="A different care team").check()
        page.get_by_role("button", name="Continue").click()
    care_team_combo(page).fill(team_filter)
    page.get_by_role("option", name=re.compile(team_filter)).first.click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Start message")).to_be_visible()


def _attach_and_send(page, files):
    fill_message(page)
    page.get_by_label("Attachments").set_input_files(files)
    page.get_by_role("button", name="Send", exact=True).click()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MB = 1024 * 1024


def _file(name, data, mime="application/octet-stream"):
    return {"name": name, "mimeType": mime, "buffer": data}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([_file("a.pdf", PDF), _file("b.pdf", PDF)], "You have already attached this file."),
        (
            [_file("photo.pdf", PNG)],
            "We can't attach this file. Its contents don't match its file type (.pdf). Try attaching a different file.",
        ),
    ],
)
def test_attachment_errors_vista(signed_in, page, files, message):
    """12. Attachments the server refuses (same content twice, content not matching); the
    checks made when files are chosen are in test_never_lose.py."""
    _to_start_message(signed_in, page, "vista.single", "Cardiology")
    _attach_and_send(page, files)
    expect(page.get_by_text(message)).to_be_visible()
    expect(page.get_by_label("Subject")).to_have_value(FILLED["subject"])
    assert_accessible(page, f"attachment error: {message[:30]}")
    assert not Message.objects.filter(
        veteran__username="vista.single", subject=FILLED["subject"], state="sent"
    ).exists()


def test_attachment_limits_differ_for_oh(signed_in, page, settings, tmp_path):
    """12. OH limits differ: five files and an MP4 are fine for an OH pool."""
    settings.MEDIA_ROOT = tmp_path
    _to_start_message(signed_in, page, "oh.only", "Audiology")
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    files = [_file(f"f{n}.pdf", PDF + bytes([n])) for n in range(4)] + [_file("visit.mp4", mp4)]
    _attach_and_send(page, files)
    expect(page.get_by_role("heading", name="Message sent")).to_be_visible()
    message = Message.objects.get(veteran__username="oh.only", subject=FILLED["subject"])
    assert message.attachments.count() == 5


def test_find_hearing_care_without_javascript(signed_in, no_js_page):
    """Issue 7: with JavaScript off, the search button ranks the audiology pool first."""
    page = signed_in("oh.only", on=no_js_page)
    page.get_by_role("link", name="Start a new message").click()
    continue_to_start_message(page)
    page.get_by_role("searchbox", name="Search care teams").fill("hearing")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("3 care teams match “hearing”. They’re listed first.")).to_be_visible()
    team = page.get_by_role("combobox", name="Select a care team")
    assert team.locator("option").nth(1).inner_text() == "VHA SPO Audiology"
    assert_accessible(page, "search results, no JS", javascript=False)
    team.select_option(label="VHA SPO Audiology")
    page.get_by_role("button", name="Continue").click()
    expect(
        page.get_by_text("VA Spokane health care - VHA SPO Audiology", exact=True)
    ).to_be_visible()


def test_typing_hearing_offers_audiology_first(signed_in, page):
    """Issue 7: the type-ahead ranks by the finder as the veteran types."""
    begin(signed_in, page, "oh.only")
    combo = care_team_combo(page)
    with page.expect_response(re.compile(r"/select-care-team/search/")):
        combo.press_sequentially("hearing", delay=20)
    first = page.get_by_role("listbox").get_by_role("option").first
    expect(first).to_have_text("VHA SPO Audiology")
    assert_accessible(page, "finder results in the combo box")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(combo).to_have_value("VHA SPO Audiology")


def test_two_tabs_each_send_what_they_show(signed_in, page, live_server):
    """Two tabs of one session writing to two teams: each message goes to the team its own
    page shows, whichever tab chose last."""
    begin(signed_in, page, "oh.only")
    care_team_combo(page).fill("Allergy")
    page.get_by_role("option", name=re.compile("Allergy")).first.click()
    page.get_by_role("button", name="Continue").click()
    fill_message(page, subject="From tab A")

    tab_b = page.context.new_page()
    tab_b.goto(f"{live_server.url}/my-health/secure-messages/inbox/")
    start_new_message(tab_b, check_axe=False)
    continue_to_start_message(tab_b)
    care_team_combo(tab_b).fill("Audio")
    tab_b.get_by_role("option", name=re.compile("Audiology")).first.click()
    tab_b.get_by_role("button", name="Continue").click()
    fill_message(tab_b, subject="From tab B")
    assert_accessible(tab_b, "start message, second tab")

    page.bring_to_front()
    send(page)
    tab_b.bring_to_front()
    send(tab_b)
    sent = {m.subject: m.care_team.display_name for m in Message.objects.filter(state="sent")}
    assert "Allergy" in sent["From tab A"] and "Audiology" in sent["From tab B"], sent
