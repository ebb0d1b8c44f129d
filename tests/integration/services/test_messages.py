"""Exactly once under a real race: several threads, each with its own database connection,
send the same message at the same moment. Meaningful on PostgreSQL (CI); SQLite serialises
writers, so there it only shows that nothing breaks."""

import threading

import pytest
from django.db import connection, connections

from messaging.models import Message
from messaging.services.messages import draft_save, message_send

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 8


def _race(send):
    barrier = threading.Barrier(THREADS)
    results, failures = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(send())
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    assert len(results) == THREADS
    return results


def test_same_idempotency_key_from_many_threads_stores_one_message(demo_data, user_named):
    veteran = user_named("oh.only")
    results = _race(
        lambda: message_send(
            veteran=veteran,
            recipient_id=6238802,
            category="OTHER",
            subject="Race",
            body="Once",
            idempotency_key="k-123",
        )
    )
    assert Message.objects.filter(veteran=veteran, subject="Race").count() == 1
    assert len({r.message.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1


def test_same_draft_sent_from_two_tabs_stores_one_message(demo_data, user_named):
    veteran = user_named("oh.only")
    draft, _ = draft_save(
        veteran=veteran, recipient_id=6238802, category="OTHER", subject="Tabs", body="Once"
    )
    # Each tab has its own key: only the draft ties them together.
    keys = iter(f"tab-{n}" for n in range(THREADS))
    lock = threading.Lock()

    def send():
        with lock:
            key = next(keys)
        return message_send(
            veteran=veteran,
            recipient_id=6238802,
            category="OTHER",
            subject="Tabs",
            body="Once",
            idempotency_key=key,
            draft_id=draft.pk,
        )

    results = _race(send)
    assert Message.objects.filter(veteran=veteran, subject="Tabs").count() == 1
    assert {r.message.pk for r in results} == {draft.pk}
    assert sum(r.created for r in results) == 1


def test_runs_on_the_configured_database():
    # Printed so a CI log shows which engine raced.
    print("exactly-once race ran on", connection.vendor)
    assert connection.vendor in ("postgresql", "sqlite")


def test_same_idempotency_key_through_the_api_from_many_threads(demo_data, user_named):
    from rest_framework.test import APIClient

    veteran = user_named("oh.only")
    body = {"recipient_id": 6238802, "category": "OTHER", "subject": "API race", "body": "Once"}

    def send():
        client = APIClient()
        client.force_authenticate(veteran)
        response = client.post(
            "/my_health/v1/messaging/messages", body, format="json", HTTP_IDEMPOTENCY_KEY="api-k"
        )
        assert response.status_code in (200, 201), response.content
        return response.json()["data"]["id"], response.status_code

    results = _race(send)
    assert Message.objects.filter(veteran=veteran, subject="API race").count() == 1
    assert len({message_id for message_id, _ in results}) == 1
    assert sorted(code for _, code in results).count(201) == 1
