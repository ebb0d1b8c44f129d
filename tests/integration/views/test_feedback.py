import json

import pytest

from messaging.models import CsatResponse, MetricEvent
from tests.helpers import BASE, choose_team

pytestmark = pytest.mark.django_db
BEACON = f"{BASE}/metrics/beacon/"


def post(client, body, content_type="application/json"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(BEACON, data, content_type=content_type)


def test_page_view_and_interaction_recorded(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    client = veteran_client("hybrid")
    assert (
        post(client, {"event": "page-view", "page": f"{BASE}/new-message/recent/"}).status_code
        == 204
    )
    assert (
        post(
            client,
            {"event": "care-system-changed", "page": f"{BASE}/new-message/select-care-team/"},
        ).status_code
        == 204
    )
    rows = list(MetricEvent.objects.values_list("name", "page", "flow", "platform"))
    assert rows == [
        ("page_view", "recent", "curated", "web"),
        ("interaction", "care-system-changed", "curated", "web"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [],
        {"event": "page-view"},
        {"event": "page-view", "page": f"{BASE}/inbox/", "extra": 1},
        {"event": "drop-tables", "page": f"{BASE}/inbox/"},
        {"event": "page-view", "page": "/nowhere/"},
        {"event": "page-view", "page": "/admin/"},
        {"event": 1, "page": f"{BASE}/inbox/"},
        {"event": "page-view", "page": f"{BASE}/inbox/" + "x" * 2000},
    ],
)
def test_bad_beacon_payloads_are_400_and_store_nothing(veteran_client, body):
    response = post(veteran_client("hybrid"), body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "SM_BEACON_INVALID"
    assert not MetricEvent.objects.exists()


def test_beacon_is_rate_limited(veteran_client, ratelimit_clock):
    client = veteran_client("hybrid")
    body = {"event": "page-view", "page": f"{BASE}/inbox/"}
    codes = [post(client, body).status_code for _ in range(125)]
    assert codes.count(204) == 120 and codes[-1] == 429
    assert MetricEvent.objects.count() == 120


def test_beacon_needs_sign_in(client, db):
    response = post(client, {"event": "page-view", "page": f"{BASE}/inbox/"})
    assert response.status_code == 302 and not MetricEvent.objects.exists()


def test_csat_after_message_sent_stored_with_flow(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.single")
    assert "How satisfied are you" not in client.get(f"{BASE}/inbox/").content.decode()
    choose_team(client, "589", 4399504)
    client.post(
        f"{BASE}/new-message/start-message/",
        {"category": "OTHER", "subject": "s", "body": "b", "action": "send"},
    )
    inbox = client.get(f"{BASE}/inbox/").content.decode()
    assert "How satisfied are you with sending a message today?" in inbox
    response = client.post(f"{BASE}/feedback/", {"score": "4", "comment": "Easy"}, follow=True)
    assert "Thank you for your feedback." in response.content.decode()
    assert list(CsatResponse.objects.values_list("score", "comment", "flow")) == [
        (4, "Easy", "curated")
    ]
    # Once per message.
    assert client.post(f"{BASE}/feedback/", {"score": "5"}).status_code == 302
    assert CsatResponse.objects.count() == 1


@pytest.mark.parametrize("score", ["0", "6", "x", ""])
def test_csat_bad_score_stores_nothing(veteran_client, score):
    client = veteran_client("vista.single")
    session = client.session
    session["sm_last_sent_flow"] = "legacy"
    session.save()
    client.post(f"{BASE}/feedback/", {"score": score})
    assert not CsatResponse.objects.exists()
