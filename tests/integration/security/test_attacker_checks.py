"""The attacker's 26 checks of issue 13, rerun against the site (in-process, as a client).

Twenty held before the issue and must keep holding; they are here, one test each, below.
The failures the issue found are rerun by the other modules of this suite:

1. brute force on sign-in and token, failing open .... test_sign_in_lockout.py
2. published passwords under the production profile .. test_bundle_passwords.py
3. tokens that never expire / same token / no revoke . test_api_tokens.py
4. no Cache-Control on signed-in responses ........... test_cache_control.py
5. draft-id existence oracle on start message ........ test_existence_oracle (below) and
                                                       views/test_access_matrix.py
6. no limit on the message body ...................... test_body_limit.py
7. cross-origin beacon ............................... test_beacon_origin.py
8. a retried send rate-limited ....................... test_replay_and_rate_limit.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from messaging.models import Attachment, Message
from messaging.recipients import recipients_for
from messaging.services.messages import draft_save, message_send
from tests.factories import bundle, care_system, triage_team, veteran, vista_payload
from tests.helpers import BASE, choose_team, load

pytestmark = pytest.mark.django_db

API = "/my_health/v1/messaging"
NEW = f"{BASE}/new-message"
START = f"{NEW}/start-message/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
SQLI = "' OR '1'='1' -- ; DROP TABLE messaging_message; --"
SCRIPT = "<script>alert(1)</script>"


def stored():
    return (
        sorted(Message.objects.values_list("pk", "state", "subject", "body")),
        sorted(Attachment.objects.values_list("pk", "message_id", "name")),
    )


@pytest.fixture
def api(demo_data, user_named):
    def as_veteran(username="oh.only"):
        client = APIClient()
        client.force_authenticate(user_named(username))
        return client

    return as_veteran


@pytest.fixture
def victim(demo_data, user_named, settings, tmp_path):
    """vista.multi's draft, sent message and attachment: what the attacker (hybrid) wants."""
    settings.MEDIA_ROOT = tmp_path
    owner = user_named("vista.multi")
    team = recipients_for(owner).messageable[0].id
    draft, _ = draft_save(
        veteran=owner, recipient_id=team, category="OTHER", subject="Secret", body="Private"
    )
    sent = message_send(
        veteran=owner,
        recipient_id=team,
        category="OTHER",
        subject="Secret sent",
        body="Private sent",
        files=[SimpleUploadedFile("private.pdf", PDF, content_type="application/pdf")],
    ).message
    return {"draft": draft, "sent": sent, "attachment": sent.attachments.get()}


# --- No SQL injection -----------------------------------------------------------------------


def test_01_sql_injection_in_the_recipient_search_finds_only_ones_own(api):
    client = api()
    own = {r["id"] for r in client.get(f"{API}/allrecipients").json()["data"]}
    response = client.get(f"{API}/allrecipients/search", {"query": SQLI[:100]})
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert {r["id"] for r in response.json()["data"]} <= own
    assert Message.objects.exists()


def test_02_sql_injection_in_folder_search_is_a_422(api):
    response = api().post(f"{API}/folders/-1/search", {"from_date": SQLI}, format="json")
    assert response.status_code == 422


def test_03_sql_injection_in_the_pages_team_search_is_text(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.multi")
    client.get(f"{NEW}/continue/")
    response = client.post(
        f"{NEW}/select-care-team/", {"action": "search", "team_query": SQLI, "care_system": ""}
    )
    assert response.status_code in (200, 302, 422)
    assert Message.objects.exists()


def test_04_sql_injection_in_ids_is_a_404(api, veteran_client):
    assert api().get(f"{API}/messages/1%20OR%201=1").status_code == 404
    assert veteran_client("hybrid").get(f"{BASE}/messages/1%20OR%201=1/").status_code == 404


# --- No XSS through hostile names -----------------------------------------------------------


@pytest.fixture
def hostile_team(db, set_flags, user_named):
    load(
        bundle(
            care_systems=[care_system("990", f"VA {SCRIPT} health care")],
            veterans=[
                veteran(
                    "hostile.vet",
                    vistaRecipients=vista_payload([triage_team(9901, "990", name=SCRIPT)]),
                )
            ],
        )
    )
    set_flags(curated=True, recent=False)
    return user_named("hostile.vet")


def test_05_hostile_team_names_are_escaped_on_the_pages(hostile_team):
    client = Client()
    client.force_login(hostile_team)
    choose_team(client, "990", 9901)
    for url in (f"{NEW}/select-care-team/", START):
        html = client.get(url).content.decode()
        assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_06_hostile_team_names_are_plain_strings_in_the_api(hostile_team):
    client = APIClient()
    client.force_authenticate(hostile_team)
    response = client.get(f"{API}/allrecipients")
    assert response["Content-Type"] == "application/json"
    names = [r["attributes"]["name"] for r in response.json()["data"]]
    assert SCRIPT in names  # the same string, as data: JSON is never rendered as HTML


# --- CSRF everywhere it matters -------------------------------------------------------------


def test_07_csrf_on_the_sign_in_form(demo_data):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sign-in/", {"username": "hybrid", "password": "demo-password-4"})
    assert response.status_code == 403 and "_auth_user_id" not in client.session


def test_08_csrf_on_sending_a_message(demo_data, user_named, set_flags):
    set_flags(curated=True, recent=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("oh.only"))
    before = stored()
    response = client.post(
        START, {"category": "OTHER", "subject": "Forged", "body": "x", "action": "send"}
    )
    assert response.status_code == 403 and stored() == before


def test_09_csrf_on_every_other_form(demo_data, user_named):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("vista.multi"))
    for url in (
        "/sign-out/",
        f"{NEW}/delete-draft/",
        f"{BASE}/feedback/",
        f"{BASE}/contact-list/",
        f"{NEW}/name-changes/dismiss/",
        "/account/devices/",
        "/sign-in/demo/",
    ):
        assert client.post(url, {}).status_code == 403, url
    # The API: a browser session's writes need the CSRF token too (token clients need none).
    assert (
        client.post(f"{API}/message_drafts", {}, content_type="application/json").status_code == 403
    )


# --- No open redirect -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example"]
)
def test_10_sign_in_never_redirects_off_site(demo_data, target):
    response = Client().post(
        "/sign-in/", {"username": "hybrid", "password": "demo-password-4", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/inbox/"


def test_11_other_next_parameters_stay_on_site(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    client = veteran_client("hybrid")
    response = client.post(f"{NEW}/name-changes/dismiss/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"].startswith(f"{NEW}/")
    response = client.get(f"{NEW}/?from=https://evil.example/")
    assert "evil.example" not in response.get("Location", "") + response.content.decode()


# --- Another veteran's drafts, messages and attachments -------------------------------------


def test_12_another_veterans_draft_is_a_404_like_one_nobody_has(victim, api):
    client = api("hybrid")
    draft = victim["draft"]
    body = {"recipient_id": 1, "category": "OTHER", "subject": "x", "body": "y"}
    theirs = client.put(f"{API}/message_drafts/{draft.pk}", body, format="json")
    nobodys = client.put(f"{API}/message_drafts/987654321", body, format="json")
    assert theirs.status_code == nobodys.status_code == 404 and theirs.json() == nobodys.json()
    assert client.delete(f"{API}/messages/{draft.pk}").status_code == 404
    assert Message.objects.filter(pk=draft.pk, subject="Secret").exists()


def test_13_another_veterans_message_is_a_404(victim, api, veteran_client):
    sent = victim["sent"]
    assert api("hybrid").get(f"{API}/messages/{sent.pk}").status_code == 404
    assert veteran_client("hybrid").get(f"{BASE}/messages/{sent.pk}/").status_code == 404


def test_14_another_veterans_attachment_is_a_404(victim, veteran_client):
    response = veteran_client("hybrid").get(f"{BASE}/attachments/{victim['attachment'].pk}/")
    assert response.status_code == 404


def test_existence_oracle_start_message_answers_alike(
    victim, veteran_client, set_flags, user_named
):
    """Failed check 5: a draft id that is another veteran's and one nobody has get one
    answer on start message (a new draft), never a 404 for one and a page for the other."""
    from messaging.compose import flow

    set_flags(curated=True, recent=False)
    client = veteran_client("hybrid")
    team = recipients_for(user_named("hybrid")).messageable[0]
    answers = []
    for draft_id in (victim["draft"].pk, 987_654_321):
        choose_team(client, team.care_system.station_number, team.id)
        session = client.session
        session[flow.SESSION_KEY] = {**session[flow.SESSION_KEY], "draft_id": draft_id}
        session.save()
        response = client.get(START)
        html = response.content.decode()
        answers.append((response.status_code, "Secret" in html, 'name="draft_id" value=""' in html))
    assert answers[0] == answers[1] == (200, False, True)


# --- Uploads and downloads ------------------------------------------------------------------


@pytest.fixture
def sender(demo_data, user_named, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = APIClient()
    client.force_authenticate(user_named("oh.only"))
    return client


def _send_files(client, files):
    message = json.dumps(
        {"recipient_id": 6238802, "category": "OTHER", "subject": "Files", "body": "See"}
    )
    return client.post(
        f"{API}/messages", {"message": message, "uploads[]": files}, format="multipart"
    )


def test_15_upload_type_is_checked_by_content(sender, tmp_path):
    before = stored()
    disguised = SimpleUploadedFile("results.pdf", EXE, content_type="application/pdf")
    response = _send_files(sender, [disguised])
    assert response.status_code == 422 and stored() == before
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_16_upload_size_and_count_are_checked_before_storing(sender, tmp_path):
    before = stored()
    many = [SimpleUploadedFile(f"f{n}.pdf", PDF + bytes([n])) for n in range(11)]
    assert _send_files(sender, many).status_code == 422
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (26 * 1024 * 1024))
    assert _send_files(sender, [big]).status_code == 422
    assert stored() == before and not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_17_downloads_are_never_served_inline(victim, veteran_client):
    response = veteran_client("vista.multi").get(f"{BASE}/attachments/{victim['attachment'].pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


# --- Sessions -------------------------------------------------------------------------------


def test_18_the_session_id_changes_at_sign_in(demo_data):
    client = Client()
    client.get("/sign-in/")
    client.session["probe"] = 1
    session = client.session
    session["probe"] = 1
    session.save()
    before = client.cookies["sessionid"].value
    client.post("/sign-in/", {"username": "hybrid", "password": "demo-password-4"})
    after = client.cookies["sessionid"].value
    assert after and after != before


def test_19_a_signed_out_session_opens_nothing(demo_data):
    client = Client()
    client.post("/sign-in/", {"username": "hybrid", "password": "demo-password-4"})
    old = client.cookies["sessionid"].value
    assert client.post("/sign-out/").status_code == 302
    replay = Client()
    replay.cookies["sessionid"] = old
    response = replay.get(f"{BASE}/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


# --- Production profile ---------------------------------------------------------------------


def test_20_production_refuses_demo_sign_in_and_flag_overrides():
    env = {
        **os.environ,
        "DJANGO_PROFILE": "production",
        "SECRET_KEY": "y" * 60,
        "ALLOWED_HOSTS": "example.org",
        "DEMO_SIGN_IN": "true",
        "WAFFLE_OVERRIDE": "true",
        "DJANGO_SETTINGS_MODULE": "sm_portal.settings",
    }
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEMO_SIGN_IN, s.WAFFLE_OVERRIDE, s.AXES_FAILURE_LIMIT, "
        "s.AXES_COOLOFF_TIME.total_seconds(), s.SM_TOKEN_TTL.total_seconds()]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [False, False, 10, 900.0, 43200.0]


def test_20b_demo_sign_in_off_is_a_404(demo_data, settings):
    settings.DEMO_SIGN_IN = False
    assert Client().get("/sign-in/demo/").status_code == 404
    assert re.search("dwft", Client().get("/sign-in/").content.decode()) is None
