"""The message body: at most 10,000 characters on the pages, the API and drafts, with the
spec's style of message and a counter like the subject's; the database refuses more."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from messaging.models import CareTeam, Message
from tests.helpers import BASE, choose_team

pytestmark = pytest.mark.django_db

API = "/my_health/v1/messaging"
START = f"{BASE}/new-message/start-message/"
MESSAGE = "Message must be 10,000 characters or fewer."
HUGE = "x" * 200_000
FIELDS = {"category": "OTHER", "subject": "Long", "recipient_id": 6238802}


def stored():
    return sorted(Message.objects.values_list("pk", "state", "subject", "body"))


@pytest.fixture
def api(demo_data, user_named):
    client = APIClient()
    client.force_authenticate(user_named("oh.only"))
    return client


@pytest.fixture
def page(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("oh.only")
    choose_team(client, "668", 6238802)
    return client


@pytest.mark.parametrize(
    "write",
    [
        lambda c: c.post(f"{API}/messages", {**FIELDS, "body": HUGE}, format="json"),
        lambda c: c.post(f"{API}/message_drafts", {**FIELDS, "body": HUGE}, format="json"),
    ],
    ids=["send", "draft"],
)
def test_api_refuses_a_200000_character_body_with_422(api, write):
    before = stored()
    response = write(api)
    assert response.status_code == 422
    assert {(e["detail"], e["source"]["pointer"]) for e in response.json()["errors"]} == {
        (f"body - {MESSAGE}", "/body")
    }
    assert stored() == before


def test_api_refuses_a_long_body_on_a_draft_update(api):
    draft = api.post(f"{API}/message_drafts", {**FIELDS, "body": "short"}, format="json")
    draft_id = draft.json()["data"]["id"]
    before = stored()
    response = api.put(f"{API}/message_drafts/{draft_id}", {**FIELDS, "body": HUGE}, format="json")
    assert response.status_code == 422 and stored() == before


def test_api_accepts_exactly_10000_characters(api):
    response = api.post(f"{API}/messages", {**FIELDS, "body": "y" * 10_000}, format="json")
    assert response.status_code == 201
    assert len(Message.objects.get(subject="Long").body) == 10_000


@pytest.mark.parametrize("action", ["send", "save-draft", "autosave"])
def test_pages_refuse_a_200000_character_body_with_422_and_keep_the_text(page, action):
    before = stored()
    response = page.post(
        START, {"category": "OTHER", "subject": "Long", "body": HUGE, "action": action}
    )
    assert response.status_code == 422
    assert stored() == before
    if action == "autosave":
        assert response.json()["errors"]["body"][0]["message"] == MESSAGE
    else:
        html = response.content.decode()
        assert MESSAGE in html
        assert HUGE in html  # nothing typed is lost


def test_start_message_has_a_body_counter_like_the_subjects(page):
    html = page.get(START).content.decode()
    textarea = re.search(r"<textarea[^>]*>", html).group(0)
    assert 'maxlength="10000"' in textarea
    assert "id_body_count" in textarea  # aria-describedby
    assert re.search(r'id="id_body_count"[^>]*>10,000 characters left<', html)
    typed = page.post(
        START, {"category": "", "subject": "s", "body": "z" * 9_999, "action": "send"}
    ).content.decode()
    assert "1 character left" in typed


def test_the_database_refuses_a_longer_body(api):
    team = CareTeam.objects.get(upstream_id=6238802)
    veteran = api.handler._force_user
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            veteran=veteran, care_team=team, category="OTHER", subject="s", body="b" * 10_001
        )
    # A sent message may carry the signature block on top of 10,000 typed characters.
    Message.objects.create(
        veteran=veteran,
        care_team=team,
        category="OTHER",
        subject="s",
        body="b" * 10_280,
        state="sent",
        sent_at="2026-01-01T00:00:00Z",
    )
