"""The audit log: sends, deletes and flag changes, with the request id; read-only in the admin."""

import json

import pytest

from messaging.models import AuditEvent, Flag, Message
from messaging.rollout import stages as rollout
from messaging.rollout.flags import CURATED_LIST_FLOW
from tests.helpers import BASE

pytestmark = pytest.mark.django_db
START = f"{BASE}/new-message/start-message/"

API = "/my_health/v1/messaging"

FILLED = {"category": "OTHER", "subject": "Rate me", "body": "Hello there, care team."}

API_DRAFT = {"category": "OTHER", "subject": "API", "body": "API body", "recipient_id": 6238802}


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
    # get_or_create: a live-server test's flush (PostgreSQL) removes the rows migrations made.
    flag_id = Flag.objects.get_or_create(name=CURATED_LIST_FLOW)[0].pk
    changed = client.post(f"/admin/messaging/flag/{flag_id}/change/", {"everyone": "1"})
    assert changed.status_code == 403
