"""my_health/v1/messaging: each endpoint, both key inflections, owner checks, errors."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from messaging.models import Message, VeteranTeam

pytestmark = pytest.mark.django_db
API = "/my_health/v1/messaging"
DRAFT = {"category": "OTHER", "subject": "API subject", "body": "API body", "recipient_id": 6238802}


@pytest.fixture
def api(demo_data, user_named):
    def as_veteran(username="oh.only", camel=False):
        client = APIClient()
        client.force_authenticate(user_named(username))
        if camel:
            client.credentials(HTTP_X_KEY_INFLECTION="camel")
        return client

    return as_veteran


def codes(response):
    return [e["code"] for e in response.json()["errors"]]


@pytest.mark.parametrize("camel", [False, True])
def test_allrecipients(api, camel):
    data = api("hybrid", camel).get(f"{API}/allrecipients").json()
    first = data["data"][0]
    assert first["type"] == "all_triage_teams" and first["id"] == "4399519"
    key = "triageTeamId" if camel else "triage_team_id"
    assert first["attributes"][key] == 4399519
    meta_key = "careSystems" if camel else "care_systems"
    assert [c["ehr"] for c in data["meta"][meta_key]] == ["vista", "oracle_health"]
    assert len(data["data"]) == 63


def test_categories(api):
    assert api().get(f"{API}/messages/categories").json()["data"]["attributes"][
        "message_category_type"
    ] == ["OTHER", "COVID", "APPOINTMENTS", "MEDICATIONS", "TEST_RESULTS", "EDUCATION"]


@pytest.mark.parametrize("camel", [False, True])
def test_draft_create_update_delete(api, camel):
    client = api(camel=camel)
    body = (
        {"recipientId": 6238802, **{k: v for k, v in DRAFT.items() if k != "recipient_id"}}
        if camel
        else DRAFT
    )
    response = client.post(f"{API}/message_drafts", body, format="json")
    assert response.status_code == 201, response.json()
    draft = response.json()["data"]
    assert draft["type"] == "message_drafts"
    draft_id = draft["id"]
    assert (
        client.put(
            f"{API}/message_drafts/{draft_id}", {**DRAFT, "body": "changed"}, format="json"
        ).status_code
        == 204
    )
    assert Message.objects.get(pk=draft_id).body == "changed"
    assert client.delete(f"{API}/messages/{draft_id}").status_code == 204
    assert not Message.objects.filter(pk=draft_id).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 51}, "subject"),
        ({"body": "   "}, "body"),
        ({"category": "GOSSIP"}, "category"),
        ({"recipient_id": "abc"}, "recipient_id"),
    ],
)
def test_draft_validation_names_the_field(api, change, field):
    response = api().post(f"{API}/message_drafts", {**DRAFT, **change}, format="json")
    assert response.status_code == 422
    assert any(e["detail"].startswith(f"{field} - ") for e in response.json()["errors"]), (
        response.json()
    )
    assert not Message.objects.filter(state="draft").exists()


@pytest.mark.parametrize(
    "recipient_id", [4399501, 6238927, 999]
)  # another veteran's, other facility, unknown
def test_not_allowed_team_is_422(api, recipient_id):
    response = api().post(
        f"{API}/message_drafts", {**DRAFT, "recipient_id": recipient_id}, format="json"
    )
    assert response.status_code == 422 and codes(response) == ["SM_RECIPIENT_NOT_ALLOWED"]
    response = api().post(f"{API}/messages", {**DRAFT, "recipient_id": recipient_id}, format="json")
    assert response.status_code == 422 and codes(response) == ["SM_RECIPIENT_NOT_ALLOWED"]
    assert not Message.objects.filter(subject="API subject").exists()


def test_blocked_team_is_422(api):
    response = api("vista.multi").post(
        f"{API}/messages", {**DRAFT, "recipient_id": 4399512}, format="json"
    )
    assert response.status_code == 422 and codes(response) == ["SM_RECIPIENT_NOT_ALLOWED"]


def test_another_veterans_draft_and_message_are_404(api):
    draft_id = (
        api("oh.only").post(f"{API}/message_drafts", DRAFT, format="json").json()["data"]["id"]
    )
    other = api("hybrid")
    hybrid_draft = {**DRAFT, "recipient_id": 4399519}
    assert (
        other.put(f"{API}/message_drafts/{draft_id}", hybrid_draft, format="json").status_code
        == 404
    )
    assert other.delete(f"{API}/messages/{draft_id}").status_code == 404
    assert (
        other.post(
            f"{API}/messages", {**hybrid_draft, "draft_id": int(draft_id)}, format="json"
        ).status_code
        == 404
    )
    sent = Message.objects.filter(veteran__username="vista.multi", state="sent").first()
    assert other.get(f"{API}/messages/{sent.pk}").status_code == 404
    assert codes(other.delete(f"{API}/messages/{sent.pk}")) == ["RECORD_NOT_FOUND"]
    assert Message.objects.get(pk=draft_id).subject == "API subject"


@pytest.mark.parametrize("camel", [False, True])
def test_send_and_idempotency_key(api, camel):
    client = api(camel=camel)
    response = client.post(f"{API}/messages", DRAFT, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert response.status_code == 201
    again = client.post(f"{API}/messages", DRAFT, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert again.status_code == 200
    assert again.json()["data"]["id"] == response.json()["data"]["id"]
    assert Message.objects.filter(subject="API subject", state="sent").count() == 1
    sent_key = "sentDate" if camel else "sent_date"
    assert response.json()["data"]["attributes"][sent_key]


def test_send_draft_turns_it_into_the_message(api):
    client = api()
    draft_id = int(client.post(f"{API}/message_drafts", DRAFT, format="json").json()["data"]["id"])
    response = client.post(f"{API}/messages", {**DRAFT, "draft_id": draft_id}, format="json")
    assert response.status_code == 201 and response.json()["data"]["id"] == str(draft_id)
    assert Message.objects.get(pk=draft_id).state == "sent"


def test_send_multipart_with_uploads(api, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    import json

    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = api().post(
        f"{API}/messages", {"message": json.dumps(DRAFT), "uploads[]": [pdf]}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["attributes"]["attachments"][0]["name"] == "a.pdf"
    bad = SimpleUploadedFile("b.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    response = api().post(
        f"{API}/messages",
        {"message": json.dumps({**DRAFT, "subject": "other"}), "uploads[]": [bad]},
        format="multipart",
    )
    assert response.status_code == 422 and codes(response) == ["SM_ATTACHMENT_INVALID"]
    response = api().post(f"{API}/messages", {"message": "{not json"}, format="multipart")
    assert response.status_code == 422


def test_platform_header_is_stored_and_checked(api):
    client = api()
    response = client.post(f"{API}/messages", DRAFT, format="json", HTTP_X_PLATFORM="mobile")
    assert Message.objects.get(pk=response.json()["data"]["id"]).platform == "mobile"
    assert client.get(f"{API}/allrecipients", HTTP_X_PLATFORM="fax").status_code == 400


def test_folders_and_search(api):
    client = api("vista.multi", camel=True)
    folders = client.get(f"{API}/folders").json()["data"]
    assert [(f["id"], f["attributes"]["count"]) for f in folders] == [
        ("0", 0),
        ("-1", 10),
        ("-2", 0),
    ]
    assert len(client.get(f"{API}/folders/-1/messages").json()["data"]) == 10
    from datetime import timedelta

    from django.utils import timezone

    since = (timezone.now() - timedelta(days=30)).isoformat()
    found = client.post(f"{API}/folders/-1/search", {"fromDate": since}, format="json").json()[
        "data"
    ]
    assert len(found) == 5  # sent 1, 5, 9, 12 and 20 days ago
    assert client.get(f"{API}/folders/7/messages").status_code == 404
    assert (
        client.post(
            f"{API}/folders/-1/search", {"from_date": "not a date"}, format="json"
        ).status_code
        == 422
    )


def test_preferences_recipients(api):
    client = api("vista.multi")
    body = {"updated_triage_teams": [{"triage_team_id": 4399509, "preferred_team": True}]}
    assert client.post(f"{API}/preferences/recipients", body, format="json").status_code == 204
    assert VeteranTeam.objects.get(
        veteran__username="vista.multi", care_team__upstream_id=4399509
    ).on_contact_list
    blocked = {"updated_triage_teams": [{"triage_team_id": 4399512, "preferred_team": False}]}
    assert client.post(f"{API}/preferences/recipients", blocked, format="json").status_code == 422
    assert (
        client.post(
            f"{API}/preferences/recipients", {"updated_triage_teams": []}, format="json"
        ).status_code
        == 422
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "allrecipients"),
        ("get", "messages/categories"),
        ("post", "message_drafts"),
        ("put", "message_drafts/1"),
        ("delete", "messages/1"),
        ("post", "messages"),
        ("post", "folders/-1/search"),
        ("get", "folders"),
        ("get", "folders/0/messages"),
        ("post", "preferences/recipients"),
        ("get", "schema/"),
    ],
)
def test_unauthenticated_is_401(demo_data, method, path):
    response = getattr(APIClient(), method)(f"{API}/{path}")
    assert response.status_code == 401
    if path != "schema/":
        assert response.json()["errors"][0]["status"] == "401"


def test_token_authentication(api, client, user_named):
    credentials = {"username": "oh.only", "password": "demo-password-3"}
    response = client.post(f"{API}/token", credentials, content_type="application/json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert Token.objects.get(user=user_named("oh.only")).key == token
    response = APIClient().get(f"{API}/allrecipients", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    wrong = client.post(
        f"{API}/token", {**credentials, "password": "x"}, content_type="application/json"
    )
    assert wrong.status_code == 422 and "errors" in wrong.json()


def test_pages_and_api_agree(api, veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    draft_id = (
        api("oh.only").post(f"{API}/message_drafts", DRAFT, format="json").json()["data"]["id"]
    )
    client = veteran_client("oh.only")
    assert client.get(f"/my-health/secure-messages/drafts/{draft_id}/").status_code == 302
    page = client.get("/my-health/secure-messages/new-message/start-message/").content.decode()
    assert 'value="API subject"' in page
    from tests.helpers import choose_team

    choose_team(client, "668", 6238803)
    client.post(
        "/my-health/secure-messages/new-message/start-message/",
        {
            **{k: DRAFT[k] for k in ("category", "subject", "body")},
            "subject": "From the page",
            "action": "send",
        },
    )
    sent = api("oh.only").get(f"{API}/folders/-1/messages").json()["data"]
    assert any(m["attributes"]["subject"] == "From the page" for m in sent)


@pytest.mark.parametrize("camel", [False, True])
def test_allrecipients_search_ranks_and_explains(api, camel):
    response = api("oh.only", camel).get(
        f"{API}/allrecipients/search", {"query": "hearing", "station_number": "668"}
    )
    assert response.status_code == 200
    first = response.json()["data"][0]["attributes"]
    assert first["suggestedNameDisplay" if camel else "suggested_name_display"].startswith(
        "VHA SPO Audiology"
    )
    assert first["matchedWords" if camel else "matched_words"] == ["hearing"]


def test_allrecipients_search_bad_input(api):
    assert api().get(f"{API}/allrecipients/search", {"query": "x" * 10_000}).status_code == 422
    markup = api().get(f"{API}/allrecipients/search", {"query": "<script>alert(1)</script>"})
    assert (
        markup.status_code == 200 and markup.json()["meta"]["query"] == "<script>alert(1)</script>"
    )
    assert markup["Content-Type"] == "application/json"
    assert api().get(f"{API}/allrecipients/search", {"station_number": "000"}).json()["data"] == []
