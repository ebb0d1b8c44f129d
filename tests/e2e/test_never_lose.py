"""Issue 12, "Never lose": text carried through a team change is a saved draft, every way out
warns while something is unsaved, each tab keeps its own draft, a sent message is never a live
form again, the crisis line can be tapped, and no veteran meets a dead end."""

import re

from playwright.sync_api import expect

from messaging.models import Message

from .conftest import assert_accessible
from .flow_helpers import FILLED, begin, care_team_combo, fill_message, send

SAVED = re.compile(r"Your message was saved on .+\.")


def _to_pharmacy(signed_in, page):
    begin(signed_in, page, "vista.single")
    page.get_by_role("radio", name=re.compile("Pharmacy")).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Start message")).to_be_visible()


def _change_team_to(page, name):
    page.get_by_role("link", name="Select a different care team").click()
    care_team_combo(page).fill(name)
    page.get_by_role("option", name=re.compile(name)).first.click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Start message")).to_be_visible()


def test_text_carried_through_a_team_change_is_a_saved_draft(signed_in, page):
    """The carried text is stored as a draft on arrival (status line, address, Drafts);
    what is typed after the switch is autosaved into the same draft."""
    _to_pharmacy(signed_in, page)
    fill_message(page, subject="Carried over")
    _change_team_to(page, "Audiology")
    expect(page.get_by_role("status").filter(has_text=SAVED)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/start-message/\?draft=\d+$"))
    draft = Message.objects.get(veteran__username="vista.single", subject="Carried over")
    assert draft.state == "draft" and "Audiology" in draft.care_team.display_name
    assert_accessible(page, "start message, draft saved on arrival")
    body = page.get_by_label("Message", exact=False).first
    body.fill("Typed after the switch.")
    with page.expect_response(
        lambda r: "/start-message/" in r.url and r.request.method == "POST", timeout=20000
    ):
        pass  # the autosave, 10 seconds after the last change
    page.get_by_role("link", name="My HealtheVet on VA.gov").click()
    page.get_by_role("link", name="Drafts").click()
    page.get_by_role("link", name="Carried over").click()
    expect(page.get_by_label("Message", exact=False).first).to_have_value("Typed after the switch.")
    assert Message.objects.filter(veteran__username="vista.single", state="draft").count() == 1


def test_unsaved_carried_text_warns_on_every_way_out(signed_in, page):
    """Text that can't be a draft yet (no category) counts as unsaved on arrival: the header
    link asks before leaving."""
    _to_pharmacy(signed_in, page)
    page.get_by_label("Subject").fill("No category yet")
    page.get_by_label("Message", exact=False).first.fill("Half a thought")
    _change_team_to(page, "Audiology")
    expect(page.get_by_label("Subject")).to_have_value("No category yet")
    page.get_by_label("Message", exact=False).first.click()  # the page has been used
    page.on("dialog", lambda dialog: dialog.dismiss())  # "Stay on page"
    with page.expect_event("dialog") as asked:
        page.get_by_role("link", name="My HealtheVet on VA.gov").click(no_wait_after=True)
    assert asked.value.type == "beforeunload"
    expect(page.get_by_label("Subject")).to_have_value("No category yet")
    expect(page).to_have_url(re.compile("/start-message/"))


def test_two_tabs_keep_two_drafts(signed_in, page, live_server):
    """Tab B's reload shows tab B's team and text after tab A changed team."""
    _to_pharmacy(signed_in, page)
    fill_message(page, subject="Tab A text")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text=SAVED)).to_be_visible()

    tab_b = page.context.new_page()
    tab_b.goto(f"{live_server.url}/my-health/secure-messages/inbox/")
    tab_b.get_by_role("link", name="Start a new message").click()
    tab_b.get_by_role("link", name="Continue to start message").click()
    tab_b.get_by_role("radio", name=re.compile("Primary care")).check()
    tab_b.get_by_role("button", name="Continue").click()
    fill_message(tab_b, subject="Tab B text")
    tab_b.get_by_role("button", name="Save draft").click()
    expect(tab_b.get_by_role("status").filter(has_text=SAVED)).to_be_visible()

    page.bring_to_front()
    _change_team_to(page, "Audiology")
    expect(page.get_by_label("Subject")).to_have_value("Tab A text")

    tab_b.bring_to_front()
    tab_b.reload()
    expect(tab_b.get_by_label("Subject")).to_have_value("Tab B text")
    expect(
        tab_b.get_by_text(re.compile("VA Kansas City health care - Primary care"))
    ).to_be_visible()
    drafts = {
        m.subject: m.care_team.display_name
        for m in Message.objects.filter(veteran__username="vista.single", state="draft")
    }
    assert set(drafts) == {"Tab A text", "Tab B text"}, drafts
    assert "Audiology" in drafts["Tab A text"] and "Primary care" in drafts["Tab B text"]


def test_back_after_sending_says_it_was_sent(signed_in, page):
    """Back (and a reload) after Send: "This message was sent", a link to it, no form."""
    _to_pharmacy(signed_in, page)
    fill_message(page, subject="Sent once")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text=SAVED)).to_be_visible()
    send(page)
    page.go_back()
    expect(page.get_by_role("heading", level=1, name="This message was sent")).to_be_visible()
    expect(page.get_by_role("button", name="Send", exact=True)).to_have_count(0)
    assert_accessible(page, "this message was sent")
    page.reload()
    expect(page.get_by_role("heading", level=1, name="This message was sent")).to_be_visible()
    page.get_by_role("link", name="Read your sent message").click()
    expect(page.get_by_role("heading", level=1, name="Sent once")).to_be_visible()
    assert Message.objects.filter(subject="Sent once").count() == 1


def test_back_after_sending_a_message_never_saved(signed_in, page):
    _to_pharmacy(signed_in, page)
    fill_message(page, subject="Never saved")
    send(page)
    page.go_back()
    expect(page.get_by_role("heading", level=1, name="This message was sent")).to_be_visible()
    expect(page.get_by_role("link", name="Read your sent message")).to_be_visible()


def test_crisis_line_and_911_can_be_tapped(signed_in, page):
    """The interstitial and the footer: tel:988, sms:838255, the chat link and tel:911."""
    page.set_viewport_size({"width": 375, "height": 800})
    begin(signed_in, page, "vista.single")
    page.go_back()
    expect(
        page.get_by_role("heading", level=1, name="Only use messages for non-urgent needs")
    ).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="call 988")).to_have_attribute("href", "tel:988")
    expect(main.get_by_role("link", name="text 838255")).to_have_attribute("href", "sms:838255")
    expect(main.get_by_role("link", name="chat online")).to_have_attribute(
        "href", re.compile(r"^https://www\.veteranscrisisline\.net/")
    )
    expect(main.get_by_role("link", name="call 911")).to_have_attribute("href", "tel:911")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="call 988")).to_have_attribute("href", "tel:988")
    expect(footer.get_by_role("link", name="call 911")).to_have_attribute("href", "tel:911")
    assert_accessible(page, "interstitial at 375 px")


def test_refused_send_status_never_says_saved(signed_in, page):
    """A refused send says it wasn't sent (the draft was saved), never only "saved"."""
    _to_pharmacy(signed_in, page)
    fill_message(page, subject=FILLED["subject"])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a .pdf whose content is not a PDF
    page.get_by_label("Attachments").set_input_files(
        [{"name": "photo.pdf", "mimeType": "application/pdf", "buffer": png}]
    )
    page.get_by_role("button", name="Send", exact=True).click()
    status = page.get_by_role("status").filter(has_text="Your message wasn’t sent")
    expect(status).to_be_visible()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MB = 1024 * 1024


def _pdf(name, n=0, size=0):
    data = PDF + bytes([n]) + b" " * size
    return {"name": name, "mimeType": "application/pdf", "buffer": data}


def _to_roi(signed_in, page):
    begin(signed_in, page, "vista.single")
    page.get_by_role("radio", name="A different care team").check()
    page.get_by_role("button", name="Continue").click()
    care_team_combo(page).fill("Release")
    page.get_by_role("option", name=re.compile("Release of Information")).click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=2, name="Electronic signature")).to_be_visible()


def test_files_are_checked_when_chosen_and_bad_ones_never_drop_good_ones(signed_in, page):
    """Five PDFs: four stay chosen, the fifth is refused with the spec's message at once; a
    wrong type and an empty file likewise; "Remove" takes one out; Send sends the four."""
    _to_pharmacy(signed_in, page)
    fill_message(page, subject="Five files")
    files = page.get_by_label("Attachments")
    files.set_input_files([_pdf(f"f{n}.pdf", n) for n in range(5)])
    expect(page.get_by_text("f4.pdf: You can attach up to 4 files.")).to_be_visible()
    chosen = page.get_by_role("list", name="Files to attach").get_by_role("listitem")
    expect(chosen).to_have_count(4)
    assert files.evaluate("input => input.files.length") == 4
    assert_accessible(page, "files checked when chosen")
    page.get_by_role("button", name="Remove f3.pdf").click()
    expect(chosen).to_have_count(3)
    files.set_input_files(
        [
            {"name": "notes.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" * 50},
            {"name": "empty.pdf", "mimeType": "application/pdf", "buffer": b""},
            _pdf("big.pdf", 9, 6 * MB),
        ]
    )
    expect(
        page.get_by_text(re.compile(r"^notes\.exe: We can't attach this file type"))
    ).to_be_visible()
    expect(
        page.get_by_text("empty.pdf: Your file is empty. Try attaching a different file.")
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"^big\.pdf: Your file is too large"))).to_be_visible()
    expect(chosen).to_have_count(3)
    send(page)
    message = Message.objects.get(subject="Five files", state="sent")
    assert sorted(a.name for a in message.attachments.all()) == ["f0.pdf", "f1.pdf", "f2.pdf"]


def test_refused_send_keeps_every_valid_attachment(signed_in, page):
    """A missing ROI signature refuses the send: the two valid files stay, kept with the
    draft and listed by name with "Remove"; signing and sending sends them."""
    _to_roi(signed_in, page)
    fill_message(page, subject="Records please")
    page.get_by_label("Attachments").set_input_files([_pdf("id.pdf", 1), _pdf("form.pdf", 2)])
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Enter your full name", exact=True)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Your message wasn’t sent")).to_be_visible()
    kept = page.get_by_role("list", name="Files attached").get_by_role("listitem")
    expect(kept).to_have_count(2)
    expect(page.get_by_role("button", name="Remove form.pdf")).to_be_visible()
    expect(page.get_by_text("Your files weren’t attached")).to_have_count(0)
    assert_accessible(page, "refused send, files kept")
    page.get_by_label("Your full name").fill("Alex Rivera")
    page.get_by_label("I certify that the above is correct").check()
    send(page)
    message = Message.objects.get(subject="Records please", state="sent")
    assert sorted(a.name for a in message.attachments.all()) == ["form.pdf", "id.pdf"]


def test_refused_send_keeps_valid_files_without_javascript(signed_in, no_js_page):
    """Without JavaScript: a file whose content is wrong is refused, the good one is kept;
    "Remove" works; the text is never lost."""
    page = signed_in("vista.single", on=no_js_page)
    page.get_by_role("link", name="Start a new message").click()
    page.get_by_role("link", name="Continue to start message").click()
    page.get_by_role("radio", name=re.compile("Pharmacy")).check()
    page.get_by_role("button", name="Continue").click()
    fill_message(page, subject="No script")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    page.get_by_label("Attachments").set_input_files(
        [_pdf("good.pdf", 3), {"name": "photo.pdf", "mimeType": "application/pdf", "buffer": png}]
    )
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text(re.compile("Its contents don't match its file type"))).to_be_visible()
    kept = page.get_by_role("list", name="Files attached").get_by_role("listitem")
    expect(kept).to_have_count(1)
    expect(kept).to_contain_text("good.pdf")
    assert_accessible(page, "refused send, no JS", javascript=False)
    page.get_by_label("Subject").fill("No script, edited")
    page.get_by_role("button", name="Remove good.pdf").click()
    expect(page.get_by_label("Subject")).to_have_value("No script, edited")
    expect(page.get_by_role("list", name="Files attached")).to_have_count(0)
    draft = Message.objects.get(subject="No script, edited", state="draft")
    assert draft.attachments.count() == 0


def test_at_375_px_the_chosen_category_reads_whole(signed_in, page):
    """Issue 12, item 10: the select cuts "Medication: Request to renew a pre..." on a phone;
    the whole text shows under it."""
    page.set_viewport_size({"width": 375, "height": 800})
    _to_pharmacy(signed_in, page)
    whole = "Medication: Request to renew a prescription or ask a question about medication"
    page.get_by_label("Category").select_option(label=whole)
    expect(page.get_by_text(whole, exact=True).last).to_be_visible()
    assert_accessible(page, "start message at 375 px, category chosen")
