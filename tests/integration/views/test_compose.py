"""Start message, legacy compose, drafts and sending."""

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from messaging.compose import flow
from messaging.models import Attachment, Message, VeteranTeam
from tests.helpers import BASE, choose_team

pytestmark = pytest.mark.django_db
NEW = f"{BASE}/new-message"
START = f"{NEW}/start-message/"
FILLED = {
    "category": "APPOINTMENTS",
    "subject": "Need an appointment",
    "body": "Hello, I need a follow-up.",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def html(response) -> str:
    return unescape(response.content.decode())


def errors(response) -> list[str]:
    return re.findall(r"data-sm-error>([^<]+)<", html(response))


def key_of(response) -> str:
    return re.search(r'name="idempotency_key" value="(\w+)"', html(response)).group(1)


@pytest.fixture
def at_start(veteran_client, set_flags):
    """A veteran on start message with a chosen team (curated flow)."""

    def go(username="vista.single", station="589", team=4399504, recent=False):
        set_flags(curated=True, recent=recent)
        client = veteran_client(username)
        choose_team(client, station, team)
        return client

    return go


def sent(username):
    return Message.objects.filter(
        veteran__username=username, state="sent", idempotency_key__regex=r"^[0-9a-f]{32}"
    )


def page_fields(response) -> dict:
    """The hidden fields a browser posts back from a start-message page."""
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html(response)))
    return {k: v for k, v in fields.items() if k in ("idempotency_key", "draft_id", "flow_team")}


def test_start_message_shows_to_line_and_fields(at_start):
    page = html(at_start().get(START))
    assert "<title>Start message | Veterans Affairs</title>" in page
    assert "VA Kansas City health care - Specialty care | Cardiology | T10 - Nguyen, Linh" in page
    assert "Select a different care team" in page
    for label in ("Category", "Subject", "Message", "Attachments"):
        assert f">{label} " in page or f">{label}<" in page
    assert "General: Ask questions about non-urgent, non-emergency issues" in page
    assert "50 characters left" in page
    assert "Electronic signature" not in page


def test_send_stores_one_message_and_lands_on_inbox(at_start):
    client = at_start()
    key = key_of(client.get(START))
    response = client.post(START, {**FILLED, "idempotency_key": key, "action": "send"})
    assert response.status_code == 302 and response["Location"] == f"{BASE}/inbox/"
    message = sent("vista.single").get()
    assert (message.care_team.upstream_id, message.category, message.subject) == (
        4399504,
        "APPOINTMENTS",
        "Need an appointment",
    )
    assert (message.flow, message.platform) == ("curated", "web")
    inbox = html(client.get(response["Location"]))
    assert "Message sent" in inbox and "Review your sent messages" in inbox
    assert "Need an appointment" in html(client.get(f"{BASE}/sent/"))


def test_retry_with_same_key_returns_same_message(at_start):
    client = at_start()
    key = key_of(client.get(START))
    data = {**FILLED, "idempotency_key": key, "action": "send"}
    assert client.post(START, data).status_code == 302
    # A retry (the first response was lost) or a second tab: the flow state is gone, the key is not.
    choose_team(client, "589", 4399504)
    assert client.post(START, data).status_code == 302
    assert sent("vista.single").count() == 1


def test_empty_send_shows_every_message(at_start):
    response = at_start().post(START, {"action": "send"})
    assert response.status_code == 422
    assert errors(response) == [
        "Please select a category.",
        "Subject cannot be blank.",
        "Message body cannot be blank.",
    ]
    assert not Message.objects.filter(veteran__username="vista.single", state="draft").exists()


def test_whitespace_only_body_and_long_subject_refused(at_start):
    response = at_start().post(
        START, {**FILLED, "body": "   \n ", "subject": "x" * 51, "action": "send"}
    )
    assert errors(response) == [
        "Subject must be 50 characters or fewer.",
        "Message body cannot be blank.",
    ]


def test_signature_required_for_release_of_information(at_start):
    client = at_start(team=4399506)
    page = html(client.get(START))
    assert "Electronic signature" in page
    assert "You need to sign all new messages you send to this team." in page
    response = client.post(START, {**FILLED, "action": "send"})
    assert errors(response) == ["Enter your full name", "You must certify by checking the box."]
    # Nothing typed is lost, and the four draft fields were saved.
    assert 'value="Need an appointment"' in html(response)
    assert Message.objects.filter(veteran__username="vista.single", state="draft").count() == 1
    response = client.post(
        START,
        {**FILLED, "signature_name": "Alex Rivera", "signature_certified": "on", "action": "send"},
    )
    assert response.status_code == 302
    message = Message.objects.get(
        veteran__username="vista.single",
        care_team__upstream_id=4399506,
        state="sent",
        subject=FILLED["subject"],
    )
    today = timezone.localdate().isoformat()
    assert message.body.endswith(f"\n\n{'-' * 40}\nAlex Rivera\nSigned electronically on {today}.")
    # The draft became the message.
    assert not Message.objects.filter(veteran__username="vista.single", state="draft").exists()


def test_team_blocked_after_page_drawn_refuses_send_keeps_text(at_start):
    client = at_start()
    client.post(START, {**FILLED, "action": "save-draft"})
    VeteranTeam.objects.filter(
        veteran__username="vista.single", care_team__upstream_id=4399504
    ).update(blocked=True)
    response = client.post(START, {**FILLED, "body": "Edited text", "action": "send"})
    assert response.status_code == 422
    assert errors(response) == ["You are blocked from sending messages to this recipient."]
    assert "Edited text" in html(response)
    assert not sent("vista.single").exists()
    # The last saved draft is intact.
    assert (
        Message.objects.get(veteran__username="vista.single", state="draft").body == FILLED["body"]
    )


def test_storage_failure_keeps_text_saves_draft(at_start, monkeypatch):
    client = at_start()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage._save", broken)
    upload = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    response = client.post(START, {**FILLED, "attachments": upload, "action": "send"})
    assert response.status_code == 422
    assert errors(response) == ["We’re sorry. Something went wrong on our end."]
    assert "Need an appointment" in html(response)
    assert not sent("vista.single").exists()
    assert not Attachment.objects.exists()
    assert Message.objects.filter(
        veteran__username="vista.single", state="draft", subject=FILLED["subject"]
    ).exists()


def test_attachment_sent_and_downloadable_only_by_sender(
    at_start, veteran_client, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    client = at_start()
    upload = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    assert (
        client.post(START, {**FILLED, "attachments": upload, "action": "send"}).status_code == 302
    )
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.size, attachment.content_type) == (
        "letter.pdf",
        len(PDF),
        "application/pdf",
    )
    url = f"{BASE}/attachments/{attachment.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == PDF
    other = veteran_client("oh.only")
    assert other.get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "Your file is empty. Try attaching a different file."),
        (
            "movie.mp4",
            b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32,
            "We can't attach this file type. Try attaching a DOC, DOCX, GIF, JPG, JPEG, PDF, PNG, RTF, TXT, XLS, XLSX, JFIF, PJPEG or PJP.",
        ),
        (
            "fake.pdf",
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
            "We can't attach this file. Its contents don't match its file type (.pdf). Try attaching a different file.",
        ),
    ],
)
def test_bad_attachment_refused_nothing_stored(at_start, name, content, message):
    client = at_start()
    response = client.post(
        START, {**FILLED, "attachments": SimpleUploadedFile(name, content), "action": "send"}
    )
    assert response.status_code == 422
    assert message in html(response)
    assert not sent("vista.single").exists() and not Attachment.objects.exists()


def test_oh_team_allows_oh_types(at_start, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    client = at_start("oh.only", "668", 6238801)  # ROI pool: signature too
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    data = {
        **FILLED,
        "attachments": SimpleUploadedFile("visit.mp4", mp4),
        "action": "send",
        "signature_name": "Sam W",
        "signature_certified": "on",
    }
    response = client.post(START, data)
    assert response.status_code == 302, errors(response)
    assert Attachment.objects.get().name == "visit.mp4"


# --- Drafts --------------------------------------------------------------------------------


def test_save_draft_then_reopen_then_send(at_start):
    client = at_start()
    response = client.post(START, {**FILLED, "action": "save-draft"})
    assert response.status_code == 302 and response["Location"] == START
    page = html(client.get(START))
    assert re.search(r"Your message was saved on \w+ \d+, \d{4} at \d+:\d\d [ap]\.m\. \w+\.", page)
    draft = Message.objects.get(veteran__username="vista.single", state="draft")
    drafts = html(client.get(f"{BASE}/drafts/"))  # leaving the flow clears its state
    assert f'href="{BASE}/drafts/{draft.pk}/"' in drafts
    response = client.get(f"{BASE}/drafts/{draft.pk}/")
    assert response["Location"] == START
    page = html(client.get(START))
    assert 'value="Need an appointment"' in page and "Hello, I need a follow-up." in page
    assert (
        client.post(
            START, {**FILLED, "idempotency_key": key_of(client.get(START)), "action": "send"}
        ).status_code
        == 302
    )
    draft.refresh_from_db()
    assert draft.state == "sent"
    assert "You don’t have any messages in Drafts" in html(client.get(f"{BASE}/drafts/"))


def test_save_draft_tells_that_attachments_and_signature_are_not_kept(at_start):
    client = at_start(team=4399506)
    upload = SimpleUploadedFile("letter.pdf", PDF)
    response = client.post(
        START,
        {**FILLED, "attachments": upload, "signature_name": "Alex", "action": "save-draft"},
        follow=True,
    )
    assert "Drafts never keep them" in html(response)
    assert not Attachment.objects.exists()
    assert "Alex" not in Message.objects.get(state="draft", veteran__username="vista.single").body


def test_autosave_returns_status_json(at_start):
    client = at_start()
    response = client.post(START, {**FILLED, "action": "autosave"})
    assert response.status_code == 200
    data = response.json()
    assert data["status"].startswith("Your message was saved on ")
    assert Message.objects.get(pk=data["draftId"]).state == "draft"
    # A second autosave updates the same draft.
    client.post(START, {**FILLED, "body": "changed", "action": "autosave"})
    assert Message.objects.get(pk=data["draftId"]).body == "changed"
    assert Message.objects.filter(state="draft").count() == 1
    assert client.post(START, {"action": "autosave", "subject": ""}).status_code == 422


def test_delete_draft_asks_first(at_start):
    client = at_start()
    client.post(START, {**FILLED, "action": "save-draft"})
    response = client.post(START, {**FILLED, "action": "delete-draft"})
    assert response["Location"] == f"{NEW}/delete-draft/"
    page = html(client.get(response["Location"]))
    assert "Delete this draft?" in page and "If you delete a draft, you can’t get it back." in page
    assert Message.objects.filter(state="draft").count() == 1
    response = client.post(f"{NEW}/delete-draft/", follow=True)
    assert "Draft was successfully deleted." in html(response)
    assert not Message.objects.filter(state="draft").exists()


def test_select_a_different_care_team_keeps_what_was_typed(at_start):
    client = at_start()
    response = client.post(START, {**FILLED, "action": "change-team"})
    assert response["Location"] == f"{NEW}/select-care-team/"
    page = html(client.get(response["Location"]))
    assert '<option value="4399504" selected>' in page
    client.post(
        f"{NEW}/select-care-team/",
        {"care_system": "589", "care_team": "4399505", "action": "continue"},
    )
    page = html(client.get(START))
    assert "Audiology" in page
    assert 'value="Need an appointment"' in page and "Hello, I need a follow-up." in page
    assert '<option value="APPOINTMENTS" selected>' in page


# --- Legacy compose (curated off) ----------------------------------------------------------


def test_legacy_compose_sends_and_draft_opens_there(veteran_client, set_flags):
    set_flags(curated=False, recent=False)
    client = veteran_client("vista.multi")
    client.post(f"{NEW}/continue/")
    page = html(client.get(f"{NEW}/"))
    assert '<optgroup label="VA Dayton health care">' in page
    assert 'value="4399512"' not in page  # blocked
    assert 'value="4399509"' not in page  # off the contact list
    response = client.post(f"{NEW}/", {**FILLED, "recipient": "4399513", "action": "save-draft"})
    assert response.status_code == 302
    draft = Message.objects.get(veteran__username="vista.multi", state="draft")
    assert draft.flow == "legacy"
    client.get(f"{BASE}/inbox/")
    assert client.get(f"{BASE}/drafts/{draft.pk}/")["Location"] == f"{NEW}/"
    page = html(client.get(f"{NEW}/"))
    assert '<option value="4399513" selected>' in page
    response = client.post(
        f"{NEW}/",
        {
            **FILLED,
            "recipient": "4399513",
            "idempotency_key": key_of(client.get(f"{NEW}/")),
            "action": "send",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.state, draft.flow) == ("sent", "legacy")


def test_legacy_refuses_recipient_not_allowed(veteran_client, set_flags):
    set_flags(curated=False, recent=False)
    client = veteran_client("vista.multi")
    client.post(f"{NEW}/continue/")
    response = client.post(f"{NEW}/", {**FILLED, "recipient": "4399512", "action": "send"})
    assert response.status_code == 422
    assert "Please select a recipient." in errors(response)
    assert not Message.objects.filter(
        veteran__username="vista.multi", care_team__upstream_id=4399512, state="draft"
    ).exists()
    assert not sent("vista.multi").exists()


# --- Another veteran's drafts ---------------------------------------------------------------


@pytest.fixture
def others_draft(db, demo_data, user_named):
    from messaging.services.messages import draft_save

    draft, _ = draft_save(
        veteran=user_named("oh.only"),
        recipient_id=6238802,
        category="OTHER",
        subject="Mine",
        body="Private",
    )
    return draft


def _force_draft(client, draft_id):
    session = client.session
    state = session[flow.SESSION_KEY]
    state["draft_id"] = draft_id
    session[flow.SESSION_KEY] = state
    session.save()


def test_cannot_open_another_veterans_draft(at_start, others_draft):
    client = at_start()
    assert client.get(f"{BASE}/drafts/{others_draft.pk}/").status_code == 404


@pytest.mark.parametrize("action", ["save-draft", "send", "autosave"])
def test_cannot_save_or_send_another_veterans_draft(at_start, others_draft, action):
    client = at_start()
    _force_draft(client, others_draft.pk)
    response = client.post(START, {**FILLED, "action": action})
    assert response.status_code == 404
    others_draft.refresh_from_db()
    assert (others_draft.state, others_draft.subject, others_draft.body) == (
        "draft",
        "Mine",
        "Private",
    )


def test_cannot_delete_another_veterans_draft(at_start, others_draft):
    client = at_start()
    _force_draft(client, others_draft.pk)
    assert client.post(f"{NEW}/delete-draft/").status_code == 404
    assert Message.objects.filter(pk=others_draft.pk).exists()


def test_cannot_read_another_veterans_message(veteran_client, demo_data):
    message = Message.objects.filter(veteran__username="vista.multi", state="sent").first()
    assert veteran_client("vista.multi").get(f"{BASE}/messages/{message.pk}/").status_code == 200
    assert veteran_client("hybrid").get(f"{BASE}/messages/{message.pk}/").status_code == 404


def test_second_tab_after_send_same_message_once_edited_message_its_own(at_start):
    client = at_start()
    data = {**FILLED, **page_fields(client.get(START)), "action": "send"}
    assert client.post(START, data)["Location"] == f"{BASE}/inbox/"
    # The same message from the other tab (or a retry): the same result, one message.
    response = client.post(START, data, follow=True)
    assert "Message sent" in html(response)
    assert sent("vista.single").count() == 1
    # Edited in the other tab before its Send: a message of its own (nothing typed is
    # dropped), and still exactly once when that Send is retried.
    edited = {**data, "body": "edited in tab 2"}
    assert client.post(START, edited)["Location"] == f"{BASE}/inbox/"
    assert client.post(START, edited)["Location"] == f"{BASE}/inbox/"
    assert sorted(sent("vista.single").values_list("body", flat=True)) == sorted(
        [FILLED["body"], "edited in tab 2"]
    )


def _two_teams(username):
    from django.contrib.auth import get_user_model

    from messaging.recipients import recipients_for

    teams = recipients_for(get_user_model().objects.get(username=username)).messageable
    return teams[0], next(t for t in teams if t.id != teams[0].id)


def test_each_tab_sends_to_the_team_its_page_shows(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.multi")
    first, second = _two_teams("vista.multi")
    choose_team(client, first.care_system.station_number, first.id)
    tab_a = page_fields(client.get(START))
    assert tab_a["flow_team"] == str(first.id)
    choose_team(client, second.care_system.station_number, second.id)  # tab B moves on
    response = client.post(START, {**FILLED, **tab_a, "action": "send"})
    assert response.status_code == 302 and response["Location"] == f"{BASE}/inbox/"
    assert sent("vista.multi").get().care_team.upstream_id == first.id


def test_each_tab_saves_the_draft_it_edits(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.multi")
    first, second = _two_teams("vista.multi")
    choose_team(client, first.care_system.station_number, first.id)
    fields = page_fields(client.get(START))
    client.post(START, {**FILLED, **fields, "subject": "Draft X", "action": "save-draft"})
    tab_a = page_fields(client.get(START))  # the page after its save: draft X
    x = Message.objects.get(subject="Draft X", state="draft")
    assert tab_a["draft_id"] == str(x.pk)
    # Tab B: another message, saved as draft Y.
    client.get(f"{BASE}/drafts/")
    choose_team(client, second.care_system.station_number, second.id)
    fields = page_fields(client.get(START))
    assert fields["draft_id"] == ""
    client.post(START, {**FILLED, **fields, "subject": "Draft Y", "action": "save-draft"})
    y = Message.objects.get(subject="Draft Y", state="draft")
    # Tab A saves its edit, then autosaves: both go to draft X; draft Y is untouched.
    edit = {**FILLED, **tab_a, "subject": "Draft X edited"}
    assert client.post(START, {**edit, "action": "save-draft"}).status_code == 302
    autosave = client.post(START, {**edit, "body": "Autosaved in A", "action": "autosave"})
    assert autosave.json()["draftId"] == x.pk
    x.refresh_from_db()
    y.refresh_from_db()
    assert (x.subject, x.body, x.care_team.upstream_id) == (
        "Draft X edited",
        "Autosaved in A",
        first.id,
    )
    assert (y.subject, y.body, y.care_team.upstream_id) == ("Draft Y", FILLED["body"], second.id)


@pytest.mark.parametrize("team", ["6238802", "9" * 30, "x"], ids=["not theirs", "huge", "junk"])
def test_a_posted_team_that_is_not_the_veterans_is_never_replaced_by_another_tabs(at_start, team):
    client = at_start()
    fields = {**page_fields(client.get(START)), "flow_team": team}
    response = client.post(START, {**FILLED, **fields, "action": "send"})
    assert response.status_code == 302 and response["Location"].endswith("/select-care-team/")
    assert not sent("vista.single").exists()


def test_failed_send_says_files_must_be_attached_again(at_start):
    client = at_start()
    upload = SimpleUploadedFile("letter.pdf", PDF)
    response = client.post(
        START, {**FILLED, "subject": "", "attachments": upload, "action": "send"}
    )
    assert response.status_code == 422
    assert "Your files weren’t attached. Attach them again before you send." in html(response)


def test_legacy_signature_required_only_for_teams_that_need_it(veteran_client, set_flags):
    set_flags(curated=False, recent=False)
    client = veteran_client("vista.single")
    client.post(f"{NEW}/continue/")
    page = html(client.get(f"{NEW}/"))
    assert 'data-sm-signature-for="4399506"' in page  # the ROI team
    # A team that needs no signature: sent without one, no block appended.
    assert (
        client.post(f"{NEW}/", {**FILLED, "recipient": "4399504", "action": "send"}).status_code
        == 302
    )
    assert (
        "Signed electronically"
        not in Message.objects.get(
            veteran__username="vista.single",
            care_team__upstream_id=4399504,
            state="sent",
            subject=FILLED["subject"],
        ).body
    )
    client.post(f"{NEW}/continue/")
    response = client.post(f"{NEW}/", {**FILLED, "recipient": "4399506", "action": "send"})
    assert errors(response) == ["Enter your full name", "You must certify by checking the box."]
    response = client.post(
        f"{NEW}/",
        {
            **FILLED,
            "recipient": "4399506",
            "signature_name": "Alex Rivera",
            "signature_certified": "on",
            "action": "send",
        },
    )
    assert response.status_code == 302
    assert Message.objects.get(
        care_team__upstream_id=4399506, state="sent", subject=FILLED["subject"]
    ).body.endswith("Signed electronically on " + timezone.localdate().isoformat() + ".")


@pytest.mark.parametrize("draft_id", ["9" * 30, "-1", "x"])
def test_a_posted_draft_id_that_names_no_draft_is_a_404(at_start, draft_id):
    client = at_start()
    fields = {**page_fields(client.get(START)), "draft_id": draft_id}
    assert client.post(START, {**FILLED, **fields, "action": "save-draft"}).status_code == 404
    assert not Message.objects.filter(subject=FILLED["subject"]).exists()
