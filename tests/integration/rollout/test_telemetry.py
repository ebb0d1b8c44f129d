"""Each draft and send metric is recorded with flow, platform and status, on pages and API."""

import pytest
from rest_framework.test import APIClient

from messaging.models import MetricEvent
from tests.helpers import BASE, choose_team

pytestmark = pytest.mark.django_db
START = f"{BASE}/new-message/start-message/"
FILLED = {"category": "OTHER", "subject": "Metrics", "body": "No text of this goes into metrics."}


def events():
    return list(
        MetricEvent.objects.exclude(name="latency").values_list(
            "name", "flow", "platform", "status_code"
        )
    )


def test_page_writes_on_the_curated_flow(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.single")
    choose_team(client, "589", 4399504)
    client.post(START, {**FILLED, "action": "save-draft"})
    client.post(START, {**FILLED, "action": "autosave"})
    client.post(START, {"action": "send"})  # invalid: 422
    client.post(START, {**FILLED, "action": "send"})
    assert events() == [
        ("draft_created", "curated", "web", 302),
        ("draft_updated", "curated", "web", 200),
        ("message_sent", "curated", "web", 422),
        ("message_sent", "curated", "web", 302),
    ]
    latencies = MetricEvent.objects.filter(name="latency")
    assert latencies.count() == 4 and all(e.value >= 0 and e.flow == "curated" for e in latencies)
    # No subject or body anywhere in metrics.
    for row in MetricEvent.objects.values():
        assert "Metrics" not in str(row) and "No text" not in str(row)


def test_page_writes_on_the_legacy_flow_have_no_latency(veteran_client, set_flags):
    set_flags(curated=False, recent=False)
    client = veteran_client("vista.single")
    client.post(f"{BASE}/new-message/continue/")
    client.post(f"{BASE}/new-message/", {**FILLED, "recipient": "4399504", "action": "save-draft"})
    client.post(f"{BASE}/new-message/", {**FILLED, "action": "delete-draft"})
    client.post(f"{BASE}/new-message/delete-draft/")
    assert events() == [
        ("draft_created", "legacy", "web", 302),
        ("draft_deleted", "legacy", "web", 302),
    ]
    assert not MetricEvent.objects.filter(name="latency").exists()


def test_api_writes_are_tagged_with_the_client_platform(demo_data, user_named, set_flags):
    set_flags(curated=True, recent=True)
    client = APIClient()
    client.force_authenticate(user_named("oh.only"))
    body = {"recipient_id": 6238802, **FILLED}
    draft = client.post(
        "/my_health/v1/messaging/message_drafts", body, format="json", HTTP_X_PLATFORM="mobile"
    ).json()
    client.put(
        f"/my_health/v1/messaging/message_drafts/{draft['data']['id']}",
        body,
        format="json",
        HTTP_X_PLATFORM="mobile",
    )
    client.post(
        "/my_health/v1/messaging/messages",
        {**body, "recipient_id": 1},
        format="json",
        HTTP_X_PLATFORM="my_va_health",
    )
    client.post(
        "/my_health/v1/messaging/messages", body, format="json", HTTP_X_PLATFORM="my_va_health"
    )
    client.delete("/my_health/v1/messaging/messages/999999", HTTP_X_PLATFORM="mobile")
    client.get("/my_health/v1/messaging/allrecipients")  # reads are not write metrics
    assert events() == [
        ("draft_created", "curated", "mobile", 201),
        ("draft_updated", "curated", "mobile", 204),
        ("message_sent", "curated", "my_va_health", 422),
        ("message_sent", "curated", "my_va_health", 201),
        ("draft_deleted", "curated", "mobile", 404),
    ]


def test_device_class_from_user_agent_and_dashboard_breakdown(
    veteran_client, set_flags, client, user_named
):
    set_flags(curated=True, recent=False)
    phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"
    desk = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"
    vet = veteran_client("vista.single")
    choose_team(vet, "589", 4399504)
    vet.post(START, {**FILLED, "action": "send"}, HTTP_USER_AGENT=phone)
    choose_team(vet, "589", 4399504)
    vet.post(START, {**FILLED, "subject": "two", "action": "send"}, HTTP_USER_AGENT=desk)
    devices = list(MetricEvent.objects.filter(name="message_sent").values_list("device", flat=True))
    assert devices == ["mobile", "desktop"]
    client.force_login(user_named("qa.lead"))
    html = client.get("/ops/rollout/").content.decode()
    table = html[html.index('id="devices"') :]
    assert '<th scope="row">Mobile</th><td>1</td><td>50.0 %</td><td>1</td>' in table
    assert '<th scope="row">Desktop</th><td>1</td><td>50.0 %</td><td>1</td>' in table
    # Only the device class is kept, never the agent string.
    assert "iPhone" not in str(list(MetricEvent.objects.values()))
