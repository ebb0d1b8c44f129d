"""Issue 12 through the views: the care-team choice is explicit (typed text kept, never a
fallback), carried text is a draft on arrival, each tab's page has its address, a sent message
is never a live form again, a refused send keeps the valid files, no dead end in the folders."""

import re
from html import unescape

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging.models import Attachment, Message
from tests.helpers import BASE

pytestmark = pytest.mark.django_db
NEW = f"{BASE}/new-message"
SELECT = f"{NEW}/select-care-team/"
START = f"{NEW}/start-message/"
FILLED = {"category": "APPOINTMENTS", "subject": "Need an appointment", "body": "Hello."}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def html(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_typed_text_without_a_choice_is_an_error_that_keeps_it(at_start):
    client = at_start()  # on start message to team 4399504
    client.post(START, {**FILLED, "action": "change-team"})
    response = client.post(
        SELECT,
        {"care_system": "589", "care_team": "", "care_team_text": "Dermatology"},
    )
    assert response.status_code == 422
    page = html(response)
    assert "Select a care team" in page
    assert 'data-sm-typed="Dermatology"' in page
    assert 'id="id_team_query" name="team_query"' in page and 'value="Dermatology"' in page
    # Nothing falls back to the team chosen before.
    assert client.get(START)["Location"].endswith("/select-care-team/")


def test_no_js_search_lists_matches_first_without_choosing(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("oh.only")
    client.get(f"{NEW}/continue/")
    page = html(client.post(SELECT, {"team_query": "hearing", "action": "search"}))
    assert "3 care teams match “hearing”. They’re listed first." in page
    assert not re.search(r'<option value="\d+" selected>', page)
    assert page.index("VHA SPO Audiology") < page.index("VHA SPO Allergy")


def test_no_js_search_before_a_system_names_the_systems(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.multi")
    client.get(f"{NEW}/continue/")
    page = html(client.post(SELECT, {"team_query": "pharmacist", "action": "search"}))
    assert "Care teams matching “pharmacist” are at" in page
    assert "VA Kansas City health care" in page.split("are at", 1)[1][:200]


def test_carried_text_is_a_draft_on_arrival(at_start):
    client = at_start()
    client.post(START, {**FILLED, "action": "change-team"})
    client.post(SELECT, {"care_system": "589", "care_team": "4399505", "action": "continue"})
    response = client.get(START)
    draft = Message.objects.get(state="draft")
    assert response["Location"] == f"{START}?draft={draft.pk}"
    assert (draft.care_team.upstream_id, draft.subject) == (4399505, FILLED["subject"])


def test_incomplete_carried_text_is_marked_unsaved(at_start):
    client = at_start()
    client.post(START, {**FILLED, "category": "", "action": "change-team"})
    client.post(SELECT, {"care_system": "589", "care_team": "4399505", "action": "continue"})
    response = client.get(START)
    assert response.status_code == 200 and "data-sm-unsaved" in html(response)
    assert not Message.objects.filter(state="draft").exists()


def test_each_tabs_page_shows_its_own_draft(at_start):
    client = at_start()
    client.post(START, {**FILLED, "subject": "Tab A", "action": "save-draft"})
    a = Message.objects.get(subject="Tab A")
    client.post(START, {**FILLED, "subject": "Tab B", "draft_id": "", "action": "save-draft"})
    assert Message.objects.filter(state="draft").count() == 2
    assert 'value="Tab A"' in html(client.get(f"{START}?draft={a.pk}"))
    page = html(client.get(f"{START}?team=4399505"))
    assert "Audiology" in page and 'value="Tab' not in page


def test_a_sent_draft_says_it_was_sent(at_start, user_named):
    client = at_start()
    client.post(START, {**FILLED, "action": "save-draft"})
    draft = Message.objects.get(state="draft")
    assert client.post(START, {**FILLED, "action": "send"}).status_code == 302
    page = html(client.get(f"{START}?draft={draft.pk}"))
    assert "This message was sent" in page and 'name="action" value="send"' not in page
    assert "Read your sent message" in page
    # Back to start message without a draft in the address: the same.
    assert "This message was sent" in html(client.get(START))


def test_someone_elses_draft_address_is_a_404(at_start, veteran_client):
    client = at_start()
    client.post(START, {**FILLED, "action": "save-draft"})
    draft = Message.objects.get(state="draft")
    other = veteran_client("vista.multi")
    assert other.get(f"{START}?draft={draft.pk}").status_code in (302, 404)
    assert at_start().get(f"{START}?draft=not-a-number").status_code == 404


def test_refused_send_keeps_valid_files_with_the_draft_and_remove(at_start):
    client = at_start()
    files = [
        SimpleUploadedFile("good.pdf", PDF, "application/pdf"),
        SimpleUploadedFile("photo.pdf", PNG, "application/pdf"),
    ]
    response = client.post(START, {**FILLED, "action": "send", "attachments": files})
    assert response.status_code == 422
    page = html(response)
    assert "Your message wasn’t sent. We saved it as a draft on" in page
    assert "good.pdf" in page and "Your files weren’t attached" not in page
    draft = Message.objects.get(state="draft")
    kept = Attachment.objects.get(message=draft)
    assert kept.name == "good.pdf" and default_storage.exists(kept.file.name)
    # Sending again sends the kept file with the message.
    response = client.post(START, {**FILLED, "draft_id": str(draft.pk), "action": "send"})
    assert response.status_code == 302
    assert [a.name for a in Message.objects.get(pk=draft.pk).attachments.all()] == ["good.pdf"]


def test_removing_and_deleting_clean_up_kept_files(at_start, django_capture_on_commit_callbacks):
    client = at_start()
    files = [SimpleUploadedFile("a.pdf", PDF, "application/pdf")]
    client.post(START, {**FILLED, "subject": "", "action": "send", "attachments": files})
    assert not Attachment.objects.exists()  # no draft could be saved: nothing kept
    files = [
        SimpleUploadedFile("a.pdf", PDF, "application/pdf"),
        SimpleUploadedFile("b.pdf", PDF + b"b", "application/pdf"),
        SimpleUploadedFile("photo.pdf", PNG, "application/pdf"),
    ]
    response = client.post(START, {**FILLED, "action": "send", "attachments": files})
    assert response.status_code == 422
    draft = Message.objects.get(state="draft")
    a, b = Attachment.objects.filter(message=draft).order_by("name")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            START,
            {**FILLED, "draft_id": str(draft.pk), "action": f"remove-attachment:{a.pk}"},
        )
    assert response.status_code == 302
    assert not default_storage.exists(a.file.name)
    assert list(Attachment.objects.filter(message=draft)) == [b]
    # Someone else's or an unknown file: 404.
    assert (
        client.post(
            START, {**FILLED, "draft_id": str(draft.pk), "action": "remove-attachment:999999"}
        ).status_code
        == 404
    )
    client.post(START, {**FILLED, "draft_id": str(draft.pk), "action": "delete-draft"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{NEW}/delete-draft/")
    assert not Attachment.objects.exists() and not default_storage.exists(b.file.name)


@pytest.mark.parametrize("username", ["all.blocked", "no.teams"])
def test_folders_explain_instead_of_a_dead_end(veteran_client, set_flags, username):
    set_flags(curated=True, recent=True)
    page = html(veteran_client(username).get(f"{BASE}/inbox/"))
    assert "Start a new message" not in page
    assert "You can’t start a new message right now" in page


def test_folders_offer_start_a_new_message(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    assert "Start a new message" in html(veteran_client("vista.single").get(f"{BASE}/inbox/"))
