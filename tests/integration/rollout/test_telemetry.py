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


def test_page_writes_on_the_legacy_flow_have_their_latency_too(veteran_client, set_flags):
    """Issue 18: latency new flow beside base flow, so the base flow is measured too."""
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
    latencies = list(MetricEvent.objects.filter(name="latency").order_by("pk"))
    assert [(e.page, e.flow, e.status_code) for e in latencies] == [
        ("draft_created", "legacy", 302),
        ("draft_deleted", "legacy", 302),
    ]
    assert all(e.value >= 0 for e in latencies)


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
        ("message_deleted", "curated", "mobile", 404),  # nothing found: not a draft delete
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
    # vista.single is a demo test account: its traffic shows with the test-traffic switch.
    html = client.get("/ops/rollout/?test=include").content.decode()
    table = html[html.index('id="devices"') :]
    assert '<th scope="row">Mobile</th><td>1</td><td>50.0 %</td><td>1</td>' in table
    assert '<th scope="row">Desktop</th><td>1</td><td>50.0 %</td><td>1</td>' in table
    # Only the device class is kept, never the agent string.
    assert "iPhone" not in str(list(MetricEvent.objects.values()))


# --- Like with like (issue 11, item 7): what each event name counts -------------------------

API = "/my_health/v1/messaging"


def _api_client(user_named, username="oh.only"):
    client = APIClient()
    client.force_authenticate(user_named(username))
    return client


def test_api_delete_of_a_sent_message_is_not_a_draft_delete(demo_data, user_named, set_flags):
    set_flags(curated=True, recent=True)
    client = _api_client(user_named)
    body = {"recipient_id": 6238802, **FILLED}
    sent = client.post(f"{API}/messages", body, format="json").json()["data"]["id"]
    draft = client.post(f"{API}/message_drafts", body, format="json").json()["data"]["id"]
    assert client.delete(f"{API}/messages/{sent}").status_code == 204
    assert client.delete(f"{API}/messages/{draft}").status_code == 204
    assert events() == [
        ("message_sent", "curated", "web", 201),
        ("draft_created", "curated", "web", 201),
        ("message_deleted", "curated", "web", 204),
        ("draft_deleted", "curated", "web", 204),
    ]


def test_api_replays_and_rate_limited_posts_are_not_sends(
    demo_data, user_named, set_flags, settings, ratelimit_clock
):
    set_flags(curated=True, recent=True)
    settings.SM_SEND_RATE = "10/m"
    client = _api_client(user_named)
    body = {"recipient_id": 6238802, **FILLED}
    codes = [
        client.post(f"{API}/messages", body, format="json", HTTP_IDEMPOTENCY_KEY="one").status_code
        for _ in range(24)
    ]
    # A replay is answered before the rate limit and never counted against it (issue 13).
    assert codes == [201] + [200] * 23
    names = [name for name, *_ in events()]
    assert names == ["message_sent"] + ["message_send_replayed"] * 23
    for n in range(10):  # new messages are counted: the tenth beyond the first is refused
        client.post(f"{API}/messages", {**body, "subject": f"Another {n}"}, format="json")
    assert [name for name, *_ in events()][-2:] == ["message_sent", "rate_limited"]


def test_page_replay_and_rate_limited_send_are_not_sends(
    veteran_client, set_flags, settings, ratelimit_clock
):
    set_flags(curated=True, recent=False)
    settings.SM_SEND_RATE = "2/m"
    client = veteran_client("vista.single")
    choose_team(client, "589", 4399504)
    # The page posts its team along (a second tab, a double click after the flow was cleared).
    form = {**FILLED, "action": "send", "idempotency_key": "same-key", "flow_team": "4399504"}
    for _ in range(3):
        client.post(START, form)
    assert events() == [
        ("message_sent", "curated", "web", 302),
        ("message_send_replayed", "curated", "web", 302),
        ("message_send_replayed", "curated", "web", 302),  # replays never count (issue 13)
    ]
