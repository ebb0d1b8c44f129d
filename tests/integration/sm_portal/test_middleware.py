"""JSON request logs with a request id and nothing personal."""

import io
import json
import logging
import re

import pytest
from django_guid.log_filters import CorrelationId
from pythonjsonlogger.json import JsonFormatter

from tests.helpers import BASE

pytestmark = pytest.mark.django_db
START = f"{BASE}/new-message/start-message/"

FILLED = {"category": "OTHER", "subject": "Rate me", "body": "Hello there, care team."}


def key_of(response) -> str:
    return re.search(r'name="idempotency_key" value="(\w+)"', response.content.decode()).group(1)


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
