"""Per-veteran rate limits on send and draft save, pages and API; open when the cache is down."""

import re
from html import unescape

import pytest

from messaging.models import Message
from tests.helpers import BASE, choose_team

pytestmark = pytest.mark.django_db
START = f"{BASE}/new-message/start-message/"

API = "/my_health/v1/messaging"

FILLED = {"category": "OTHER", "subject": "Rate me", "body": "Hello there, care team."}

API_DRAFT = {"category": "OTHER", "subject": "API", "body": "API body", "recipient_id": 6238802}


def key_of(response) -> str:
    return re.search(r'name="idempotency_key" value="(\w+)"', response.content.decode()).group(1)


DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


def test_page_send_is_rate_limited_per_veteran_and_keeps_the_text(
    at_start, settings, ratelimit_clock
):
    settings.SM_SEND_RATE = "2/m"
    client = at_start()
    for n in range(2):
        key = key_of(client.get(START))
        data = {**FILLED, "subject": f"Sent {n}", "idempotency_key": key, "action": "send"}
        assert client.post(START, data).status_code == 302
        choose_team(client, "589", 4399504)
    key = key_of(client.get(START))
    data = {**FILLED, "subject": "Third", "idempotency_key": key, "action": "send"}
    limited = client.post(START, data)
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    page = unescape(limited.content.decode())
    assert "You’ve sent a lot of messages in a short time. Wait a minute, then try again." in page
    assert 'value="Third"' in page and "Hello there, care team." in page
    assert not Message.objects.filter(subject="Third").exists()
    # Another veteran is not slowed down by this one.
    other = at_start("oh.only", "668", 6238802)
    key = key_of(other.get(START))
    assert other.post(START, {**FILLED, "idempotency_key": key}).status_code == 302


def test_page_draft_save_and_autosave_are_rate_limited(at_start, settings, ratelimit_clock):
    settings.SM_DRAFT_RATE = "1/m"
    client = at_start()
    assert client.post(START, {**FILLED, "action": "save-draft"}).status_code == 302
    autosave = client.post(START, {**FILLED, "subject": "Later", "action": "autosave"})
    assert autosave.status_code == 429
    assert "saved drafts a lot" in autosave.json()["errors"]["__all__"][0]["message"]
    saved = client.post(START, {**FILLED, "subject": "Later", "action": "save-draft"})
    assert saved.status_code == 429 and 'value="Later"' in saved.content.decode()
    # The last saved draft is intact.
    assert list(Message.objects.filter(state="draft").values_list("subject", flat=True)) == [
        "Rate me"
    ]


def test_api_send_and_draft_save_are_rate_limited(api, settings, ratelimit_clock):
    settings.SM_SEND_RATE = "1/m"
    settings.SM_DRAFT_RATE = "1/m"
    client = api()
    assert client.post(f"{API}/messages", API_DRAFT, format="json").status_code == 201
    limited = client.post(f"{API}/messages", {**API_DRAFT, "subject": "Two"}, format="json")
    assert limited.status_code == 429 and limited["Retry-After"]
    assert limited.json()["errors"][0]["code"] == "SM_RATE_LIMITED"
    assert not Message.objects.filter(subject="Two").exists()
    created = client.post(f"{API}/message_drafts", API_DRAFT, format="json")
    assert created.status_code == 201
    draft_id = created.json()["data"]["id"]
    again = client.put(f"{API}/message_drafts/{draft_id}", API_DRAFT, format="json")
    assert again.status_code == 429
    assert api("hybrid").post(f"{API}/message_drafts", API_DRAFT, format="json").status_code in (
        201,
        422,
    )


def test_rate_limits_fail_open_when_the_cache_is_down(api, settings):
    settings.CACHES = DEAD_REDIS
    settings.SM_SEND_RATE = "1/m"
    client = api()
    for n in range(3):
        payload = {**API_DRAFT, "subject": f"Open {n}"}
        assert client.post(f"{API}/messages", payload, format="json").status_code == 201
