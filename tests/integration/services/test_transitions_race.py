"""Exactly once still holds when a care team locks (its facility moving to Oracle Health)
between "Start message" and "Send": concurrent requests on PostgreSQL (CI), each thread with
its own connection."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from messaging.models import CareSystem, Message, MetricEvent
from messaging.services.messages import FacilityMigrating, draft_save, message_send
from tests.factories import WARNED, transition_bundle
from tests.helpers import load

from .test_messages import THREADS, _race

pytestmark = pytest.mark.django_db(transaction=True)
LETTER = {"category": "OTHER", "subject": "Race to a moving team", "body": "Once or never"}


def _lock_the_warned_system():
    """Its cutover comes 2 days from now (p4): the warned system's teams lock."""
    system = CareSystem.objects.get(station_number=WARNED)
    system.migration_date = system.migration_date - timedelta(days=38)
    system.save()


@pytest.fixture
def veteran(db, user_named):
    load(transition_bundle())
    return user_named("mover")


def test_a_send_before_the_lock_retried_after_it_is_still_one_message(veteran):
    first = message_send(veteran=veteran, recipient_id=8610001, idempotency_key="k-lock", **LETTER)
    assert first.created
    _lock_the_warned_system()
    retries = _race(
        lambda: message_send(
            veteran=veteran, recipient_id=8610001, idempotency_key="k-lock", **LETTER
        )
    )
    assert {r.message.pk for r in retries} == {first.message.pk}
    assert not any(r.created for r in retries)
    assert Message.objects.filter(veteran=veteran, subject=LETTER["subject"]).count() == 1


def test_concurrent_sends_after_the_lock_are_all_refused_and_store_nothing(veteran):
    _lock_the_warned_system()
    body = {**LETTER, "recipient_id": 8610001}

    def send():
        client = APIClient()
        client.force_authenticate(veteran)
        response = client.post(
            "/my_health/v1/messaging/messages", body, format="json", HTTP_IDEMPOTENCY_KEY="k-api"
        )
        return response.status_code, response.json()["errors"][0]["code"]

    results = _race(send)
    assert results == [(422, "SM_FACILITY_MIGRATING")] * THREADS
    assert not Message.objects.filter(veteran=veteran, subject=LETTER["subject"]).exists()
    refused = MetricEvent.objects.filter(name="migration_refused", station=WARNED)
    assert refused.count() == THREADS


def test_a_draft_sent_from_many_tabs_after_the_lock_stays_a_draft(veteran):
    draft, _ = draft_save(veteran=veteran, recipient_id=8610001, **LETTER)
    _lock_the_warned_system()

    def send():
        try:
            message_send(veteran=veteran, recipient_id=8610001, draft_id=draft.pk, **LETTER)
        except FacilityMigrating as exc:
            return exc.code
        return "sent"

    assert _race(send) == ["SM_FACILITY_MIGRATING"] * THREADS
    draft.refresh_from_db()
    assert draft.state == Message.State.DRAFT and draft.body == LETTER["body"]
