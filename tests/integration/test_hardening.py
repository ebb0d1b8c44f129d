"""Production hardening: database outage -> 503 and back, Redis outage, per-veteran rate
limits on send and draft save, the audit log, JSON logs with a request id."""

import io
import json
import logging
import re
from html import unescape

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django_guid.log_filters import CorrelationId
from pythonjsonlogger.json import JsonFormatter
from rest_framework.test import APIClient

from messaging.models import AuditEvent, Flag, Message
from messaging.rollout import stages as rollout
from messaging.rollout.flags import CURATED_LIST_FLOW
from tests.helpers import BASE, choose_team

pytestmark = pytest.mark.django_db
START = f"{BASE}/new-message/start-message/"
API = "/my_health/v1/messaging"
FILLED = {"category": "OTHER", "subject": "Rate me", "body": "Hello there, care team."}
API_DRAFT = {"category": "OTHER", "subject": "API", "body": "API body", "recipient_id": 6238802}


def key_of(response) -> str:
    return re.search(r'name="idempotency_key" value="(\w+)"', response.content.decode()).group(1)


@pytest.fixture
def at_start(veteran_client, set_flags):
    def go(username="vista.single", station="589", team=4399504):
        set_flags(curated=True, recent=False)
        client = veteran_client(username)
        choose_team(client, station, team)
        return client

    return go


@pytest.fixture
def api(demo_data, user_named):
    def as_veteran(username="oh.only"):
        client = APIClient()
        client.force_authenticate(user_named(username))
        return client

    return as_veteran


class DatabaseDown:
    """Every new query fails the way a stopped PostgreSQL makes psycopg fail."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def __enter__(self):
        def refuse(self):
            raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

        self.monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
        return self

    def __exit__(self, *exc):
        self.monkeypatch.undo()


# --- Database unavailable -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/my-health/secure-messages/inbox/", f"{BASE}/new-message/", "/sign-in/"]
)
def test_database_down_is_a_503_try_again_page_then_recovers(
    demo_data, user_named, monkeypatch, path
):
    client = Client(raise_request_exception=False)
    client.force_login(user_named("vista.single"))
    with DatabaseDown(monkeypatch):
        response = client.get(path)
    assert response.status_code == 503
    page = unescape(response.content.decode())
    assert "<title>Try again in a few minutes | Veterans Affairs</title>" in page
    assert "We can’t reach our records right now" in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"
    # The header shows no one's name: the page was drawn without the database.
    assert "Sign out" not in page
    # No restart: the very next request, with the database back, is served.
    assert client.get(path).status_code in (200, 302)


def test_database_down_is_a_503_json_error_for_the_api(demo_data, user_named, monkeypatch):
    client = APIClient(raise_request_exception=False)
    client.force_login(user_named("oh.only"))
    with DatabaseDown(monkeypatch):
        response = client.post(f"{API}/messages", API_DRAFT, format="json")
    assert response.status_code == 503
    assert response.json() == {
        "errors": [
            {
                "title": "Service unavailable",
                "detail": "We can’t reach our records right now. Try again in a few minutes.",
                "code": "SERVICE_UNAVAILABLE",
                "status": "503",
            }
        ]
    }
    assert response["Retry-After"] == "10"
    assert client.get(f"{API}/folders").status_code == 200
    assert not Message.objects.filter(subject="API").exists()


def test_other_failures_are_a_500_page_without_a_stack_trace(veteran_client, monkeypatch):
    client = veteran_client("vista.single")
    client.raise_request_exception = False

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("messaging.views.folders.folder_page", broken)
    response = client.get(f"{BASE}/inbox/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "RuntimeError" not in page
    assert "Retry-After" not in response


# --- Redis unavailable ----------------------------------------------------------------------


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
    assert health == {"status": "ok", "checks": {"database": "ok", "cache": "degraded"}}


# --- Rate limits ----------------------------------------------------------------------------


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


# --- Audit log ------------------------------------------------------------------------------


def test_send_and_deletes_are_audited_with_the_request_id(api, user_named):
    client = api()
    veteran = user_named("oh.only")
    sent = client.post(f"{API}/messages", API_DRAFT, format="json")
    message_id = sent.json()["data"]["id"]
    entry = AuditEvent.objects.get(action="message.sent")
    assert (entry.actor, entry.actor_id, entry.target_type, entry.target_id) == (
        "oh.only",
        veteran.pk,
        "message",
        str(message_id),
    )
    assert entry.request_id and entry.request_id == sent["X-Request-ID"]
    assert entry.detail["care_team"] == 6238802 and entry.detail["platform"] == "web"
    assert "API body" not in json.dumps(entry.detail) and "API" not in entry.detail.values()

    draft_id = client.post(f"{API}/message_drafts", API_DRAFT, format="json").json()["data"]["id"]
    assert client.delete(f"{API}/messages/{draft_id}").status_code == 204
    assert client.delete(f"{API}/messages/{message_id}").status_code == 204
    assert list(AuditEvent.objects.order_by("pk").values_list("action", "target_id")) == [
        ("message.sent", str(message_id)),
        ("draft.deleted", str(draft_id)),
        ("message.deleted", str(message_id)),
    ]


def test_refused_and_replayed_sends_write_no_audit_entry(api):
    client = api()
    refused = client.post(f"{API}/messages", {**API_DRAFT, "recipient_id": 1}, format="json")
    assert refused.status_code == 422
    headers = {"HTTP_IDEMPOTENCY_KEY": "once"}
    assert client.post(f"{API}/messages", API_DRAFT, format="json", **headers).status_code == 201
    assert client.post(f"{API}/messages", API_DRAFT, format="json", **headers).status_code == 200
    assert AuditEvent.objects.filter(action="message.sent").count() == 1


def test_page_draft_delete_is_audited(at_start):
    client = at_start()
    client.post(START, {**FILLED, "action": "save-draft"})
    draft = Message.objects.get(state="draft", subject="Rate me")
    client.post(f"{BASE}/new-message/delete-draft/")
    assert not Message.objects.filter(pk=draft.pk).exists()
    entry = AuditEvent.objects.get()
    assert (entry.action, entry.actor, entry.target_id) == (
        "draft.deleted",
        "vista.single",
        str(draft.pk),
    )


def test_flag_changes_are_audited(db):
    rollout.set_stage(CURATED_LIST_FLOW, "A", actor="ops.anna", reason="stage A")
    rollout.rollback(CURATED_LIST_FLOW, actor="ops.ben", reason="errors up")
    entries = list(AuditEvent.objects.order_by("pk").values_list("actor", "action", "detail"))
    assert [(a, act, d["from"], d["to"], d["reason"]) for a, act, d in entries] == [
        ("ops.anna", "flag.changed", "off", "A", "stage A"),
        ("ops.ben", "flag.changed", "A", "off", "errors up"),
    ]


def test_flags_and_audit_log_are_read_only_in_the_admin(client, user_named, demo_data):
    staff = user_named("qa.lead")
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/messaging/auditevent/").status_code == 200
    assert client.get("/admin/messaging/auditevent/add/").status_code == 403
    assert client.get("/admin/messaging/flag/add/").status_code == 403
    flag_id = Flag.objects.get(name=CURATED_LIST_FLOW).pk
    changed = client.post(f"/admin/messaging/flag/{flag_id}/change/", {"everyone": "1"})
    assert changed.status_code == 403


# --- Logs -----------------------------------------------------------------------------------


def test_request_log_is_json_with_request_id_and_nothing_personal(at_start, settings):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CorrelationId("request_id"))
    options = settings.LOGGING["formatters"]["json"]
    handler.setFormatter(JsonFormatter(options["fmt"], rename_fields=options["rename_fields"]))
    logger = logging.getLogger("sm_portal.request")
    logger.addHandler(handler)
    try:
        client = at_start()
        key = key_of(client.get(START))
        response = client.post(
            START + "?q=secret-query", {**FILLED, "idempotency_key": key, "action": "send"}
        )
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    last = lines[-1]
    route = "/my-health/secure-messages/new-message/start-message/"
    assert last["message"] == f"POST {route} 302 {last['duration_ms']}ms"
    assert last["level"] == "INFO"
    assert last["request_id"] == response["X-Request-ID"]
    assert (last["method"], last["status"], last["view"]) == (
        "POST",
        302,
        "messaging:start-message",
    )
    assert last["route"] == "/my-health/secure-messages/new-message/start-message/"
    assert isinstance(last["duration_ms"], float)
    text = stream.getvalue()
    for personal in ("vista.single", "Rate me", "Hello there", "secret-query", "127.0.0.1"):
        assert personal not in text
    assert len({line["request_id"] for line in lines}) == len(lines)  # one id per request


def test_incoming_request_id_is_kept(client, db):
    request_id = "0f4c8a2e9b1d4e7f8a6b5c4d3e2f1a0b"
    response = client.get("/health/", HTTP_X_REQUEST_ID=request_id)
    assert response["X-Request-ID"] == request_id


# --- A rollback while a veteran types -------------------------------------------------------


def test_rollback_while_typing_carries_the_text_to_the_legacy_page(at_start, set_flags):
    client = at_start()
    key = key_of(client.get(START))
    set_flags(curated=False, recent=False)  # the rollback lands while the veteran types
    data = {**FILLED, "subject": "Typed before", "idempotency_key": key, "action": "send"}
    response = client.post(START, data)
    assert response.status_code == 302 and response["Location"] == f"{BASE}/new-message/"
    assert not Message.objects.filter(subject="Typed before").exists()
    legacy = unescape(client.get(response["Location"]).content.decode())
    assert 'value="Typed before"' in legacy and "Hello there, care team." in legacy
    assert re.search(r'<option value="4399504"[^>]*selected', legacy), "team kept"


# --- Clear error pages ----------------------------------------------------------------------


def test_a_form_without_its_csrf_token_gets_a_clear_page(demo_data, user_named, set_flags):
    set_flags(curated=True, recent=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("vista.single"))
    response = client.post(START, {**FILLED, "action": "send"})
    assert response.status_code == 403
    page = unescape(response.content.decode())
    assert "<title>Your page expired | Veterans Affairs</title>" in page
    assert "Nothing was sent or saved." in page
    assert not Message.objects.filter(subject="Rate me").exists()


def test_an_unknown_page_gets_a_clear_404(veteran_client):
    response = veteran_client("vista.single").get(f"{BASE}/no-such-page/")
    assert response.status_code == 404
    page = unescape(response.content.decode())
    assert "<title>Page not found | Veterans Affairs</title>" in page
    assert "Go to your messages" in page


def test_redis_outage_logs_once_per_interval_not_once_per_request(demo_data, settings):
    """django-redis logs each ignored exception; the throttle keeps one line every 30 s."""
    from django.core.cache import caches

    from sm_portal.logfilters import Throttle

    logger = logging.getLogger("django_redis.cache")
    assert any(isinstance(f, Throttle) for f in logger.filters), "wired by settings.LOGGING"
    settings.CACHES = DEAD_REDIS
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True  # as with REDIS_URL set
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CorrelationId("request_id"))
    options = settings.LOGGING["formatters"]["json"]
    handler.setFormatter(JsonFormatter(options["fmt"], rename_fields=options["rename_fields"]))
    saved = logger.filters[:], logger.handlers[:], logger.propagate
    logger.filters = [Throttle(seconds=30)]  # a fresh one: earlier tests' lines don't count
    logger.handlers, logger.propagate = [handler], False
    try:
        for _ in range(50):
            caches["default"].get("anything")
    finally:
        logger.filters, logger.handlers, logger.propagate = saved
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    assert len(lines) == 1 and lines[0]["logger"] == "django_redis.cache"
