"""A Redis outage: the flow still signs in, routes by flag and sends (the cache settings)."""

import re

import pytest
from django.test import Client

from messaging.models import Message
from tests.helpers import BASE, choose_team

pytestmark = pytest.mark.django_db
START = f"{BASE}/new-message/start-message/"

FILLED = {"category": "OTHER", "subject": "Rate me", "body": "Hello there, care team."}


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


def test_redis_down_the_flow_still_signs_in_routes_by_flag_and_sends(
    demo_data, set_flags, settings
):
    settings.CACHES = DEAD_REDIS
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    set_flags(curated=True, recent=False)
    client = Client()
    # Sign in through the real form: the session is written to the database.
    signed_in = client.post(
        "/sign-in/", {"username": "vista.single", "password": "demo-password-1"}
    )
    assert signed_in.status_code == 302, signed_in.content[:300]
    # The flag comes from the database: the curated interstitial, not the legacy page.
    interstitial = client.get(f"{BASE}/new-message/").content.decode()
    assert 'class="sm-action-link"' in interstitial
    choose_team(client, "589", 4399504)
    key = key_of(client.get(START))
    sent = client.post(START, {**FILLED, "idempotency_key": key, "action": "send"})
    assert sent.status_code == 302 and sent["Location"] == f"{BASE}/inbox/"
    assert Message.objects.filter(subject="Rate me", state="sent").count() == 1
    health = client.get("/health/").json()
    assert health == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "degraded", "scanner": "ok"},
    }
