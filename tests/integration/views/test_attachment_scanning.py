"""Attachments are scanned by clamd before anything is stored (flow.md 12): EICAR through the
page and the API is refused (422, SM172), a clean file is sent, and a scanner that cannot be
reached, or that stops in the middle of a run, refuses the send (503) with the text kept."""

import json
import os
import re
import subprocess
import tempfile
from html import unescape
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from messaging.compose.scanning import INFECTED_ERROR, INFECTED_ERROR_MANY, UNAVAILABLE_ERROR
from messaging.models import Attachment, Message
from tests.factories import eicar_bytes
from tests.helpers import BASE, choose_team

pytestmark = pytest.mark.django_db
API = "/my_health/v1/messaging"
START = f"{BASE}/new-message/start-message/"
ROOT = Path(__file__).resolve().parents[3]
TYPED = {"category": "OTHER", "subject": "My lab papers", "body": "Here are my results."}
API_MESSAGE = {
    "category": "OTHER",
    "subject": "API subject",
    "body": "API body",
    "recipient_id": 6238802,
}


def eicar(name="results.txt"):
    return SimpleUploadedFile(name, eicar_bytes(), content_type="text/plain")


def clean(name="notes.txt", text=b"Blood pressure 120/80 on Monday.\n"):
    return SimpleUploadedFile(name, text, content_type="text/plain")


def html(response) -> str:
    return unescape(response.content.decode())


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def on_start(veteran_client, set_flags, media):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.single")
    choose_team(client, "589", 4399504)
    return client


def page_send(client, *files, **fields):
    page = client.get(START)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html(page)))
    return client.post(
        START, {**hidden, **TYPED, **fields, "attachments": list(files), "action": "send"}
    )


def api(user_named):
    client = APIClient()
    client.force_authenticate(user_named("oh.only"))
    return client


def api_send(client, *files, **fields):
    return client.post(
        f"{API}/messages",
        {"message": json.dumps({**API_MESSAGE, **fields}), "uploads[]": list(files)},
        format="multipart",
    )


# --- Through the page --------------------------------------------------------------------


def test_eicar_through_the_page_is_refused_with_the_text_kept(on_start, media):
    response = page_send(on_start, eicar())
    text = html(response)
    assert response.status_code == 422
    assert INFECTED_ERROR in text
    assert "Here are my results." in text and 'value="My lab papers"' in text
    assert not Message.objects.filter(
        veteran__username="vista.single", subject="My lab papers", state="sent"
    ).exists()
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_two_flagged_files_get_the_plural_message(on_start, media):
    response = page_send(
        on_start, eicar("a.txt"), SimpleUploadedFile("b.txt", eicar_bytes() + b"\n")
    )
    assert response.status_code == 422
    assert INFECTED_ERROR_MANY in html(response)
    assert Attachment.objects.count() == 0


def test_one_flagged_file_among_clean_ones_stops_the_whole_message(on_start, media):
    response = page_send(on_start, clean(), eicar())
    assert response.status_code == 422 and INFECTED_ERROR in html(response)
    assert not Message.objects.filter(subject="My lab papers", state="sent").exists()
    # The clean file is kept with the draft (issue 12: the good files never go); the flagged
    # one is never stored.
    kept = Attachment.objects.get()
    assert kept.name == "notes.txt" and kept.message.state == "draft"
    assert len(stored_files(media)) == 1
    assert "notes.txt" in html(response) and "results.txt" not in {a.name for a in [kept]}


def test_a_clean_file_through_the_page_is_sent(on_start, media):
    response = page_send(on_start, clean())
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.message.subject == "My lab papers" and attachment.message.state == "sent"


def test_no_scanner_refuses_the_send_with_503_and_keeps_the_text(on_start, media, settings):
    settings.CLAMD_SOCKET = str(media / "nobody-listens.sock")
    response = page_send(on_start, clean())
    text = html(response)
    assert response.status_code == 503
    assert UNAVAILABLE_ERROR in text
    assert "Here are my results." in text
    assert not Message.objects.filter(subject="My lab papers", state="sent").exists()
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_a_message_without_attachments_never_needs_the_scanner(on_start, settings):
    settings.CLAMD_SOCKET = "/nonexistent/clamd.sock"
    response = page_send(on_start)
    assert response.status_code == 302


# --- Through the API -----------------------------------------------------------------------


def test_eicar_through_the_api_is_422_sm172(demo_data, user_named, media):
    response = api_send(api(user_named), eicar())
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["code"], error["detail"], error["status"]) == ("SM172", INFECTED_ERROR, "422")
    assert not Message.objects.filter(subject="API subject").exists()
    assert stored_files(media) == []


def test_a_clean_file_through_the_api_is_sent(demo_data, user_named, media):
    response = api_send(api(user_named), clean())
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["attributes"]["attachments"][0]["name"] == "notes.txt"


def test_no_scanner_through_the_api_is_503(demo_data, user_named, media, settings):
    settings.CLAMD_SOCKET, settings.CLAMD_HOST = "", ""  # none configured (production default)
    response = api_send(api(user_named), clean())
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "SM_SCANNER_UNAVAILABLE"
    assert response.json()["errors"][0]["detail"] == UNAVAILABLE_ERROR
    assert response["Retry-After"]
    assert not Message.objects.filter(subject="API subject").exists()


# --- A scanner that stops in the middle of a run --------------------------------------------


@pytest.fixture
def own_scanner(settings):
    """A scanner of this test's own (its own folder and socket), so stopping it leaves the
    project's scanner running for the rest of the suite."""
    with tempfile.TemporaryDirectory(prefix="sm-clamd-") as folder:
        env = {**os.environ, "SCANNER_DIR": folder, "CLAMD_SOCKET": f"{folder}/clamd.sock"}
        start = ["bash", str(ROOT / "scanner" / "start")]
        subprocess.run(start, env=env, check=True, capture_output=True, timeout=60)
        settings.CLAMD_SOCKET = env["CLAMD_SOCKET"]

        def stop():
            subprocess.run([*start, "--stop"], env=env, check=True, capture_output=True, timeout=60)

        try:
            yield stop
        finally:
            stop()


def test_scanner_stopped_mid_run(on_start, media, own_scanner, demo_data, user_named):
    assert page_send(on_start, clean(), subject="Before").status_code == 302
    assert Attachment.objects.count() == 1
    own_scanner()  # the scanner goes away between two sends
    choose_team(on_start, "589", 4399504)

    response = page_send(on_start, clean("later.txt", b"More results\n"), subject="After")
    assert response.status_code == 503
    assert UNAVAILABLE_ERROR in html(response) and "Here are my results." in html(response)
    assert api_send(api(user_named), clean()).status_code == 503
    assert not Message.objects.filter(subject__in=["After", "API subject"], state="sent").exists()
    assert Attachment.objects.count() == 1 and len(stored_files(media)) == 1


# --- Health check ----------------------------------------------------------------------------


def test_health_reports_the_scanner(client, settings, tmp_path):
    assert client.get("/health/").json()["checks"]["scanner"] == "ok"
    settings.CLAMD_SOCKET = str(tmp_path / "gone.sock")
    response = client.get("/health/")
    assert response.status_code == 200  # degraded, not down
    assert response.json()["checks"]["scanner"] == "degraded"
    assert response.json()["status"] == "ok"
