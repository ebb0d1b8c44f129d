"""The metrics beacon accepts same-origin requests only (the browser's `Origin` and
`Sec-Fetch-Site` say where a request comes from), still without a CSRF token so that
`navigator.sendBeacon` keeps working: fake events must not feed the rollout guard."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from messaging.models import MetricEvent
from tests.helpers import BASE

pytestmark = pytest.mark.django_db

BEACON = f"{BASE}/metrics/beacon/"
EVENT = json.dumps({"event": "page-view", "page": f"{BASE}/new-message/"})


@pytest.fixture
def browser(demo_data, user_named):
    """A signed-in veteran's browser, with Django's CSRF check on as in production."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("hybrid"))
    return client


def send(client, **headers):
    return client.post(BEACON, EVENT, content_type="application/json", headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://testserver"},  # a browser without Fetch Metadata
    ],
    ids=["both", "fetch-metadata", "origin"],
)
def test_a_same_origin_beacon_without_a_csrf_token_is_recorded(browser, headers):
    assert send(browser, **headers).status_code == 204
    assert MetricEvent.objects.filter(name="page_view").count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another origin
        {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
        {"Origin": "https://testserver"},  # another scheme is another origin
        {},  # nothing says where it comes from
    ],
    ids=[
        "evil-origin",
        "evil-both",
        "cross-site",
        "same-site",
        "contradiction",
        "null-origin",
        "other-scheme",
        "no-headers",
    ],
)
def test_a_cross_origin_beacon_is_refused_with_403_and_not_counted(browser, headers, settings):
    settings.SM_BEACON_RATE = "1/m"
    response = send(browser, **headers)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "SM_BEACON_INVALID"
    assert not MetricEvent.objects.exists()
    # Refused before the rate limit: the veteran's own next beacon still gets through.
    assert send(browser, Origin="http://testserver").status_code == 204
