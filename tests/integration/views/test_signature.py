"""The messaging signature (flow.md 10): the settings page, the API, the prefill on start
message and legacy compose, and that it is not the ROI electronic signature."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from messaging.models import Message, MessageSignature
from tests.factories import renewal_bundle
from tests.helpers import BASE, choose_team, load

pytestmark = pytest.mark.django_db
NEW = f"{BASE}/new-message"
START = f"{NEW}/start-message/"
SETTINGS = f"{BASE}/settings/signature/"
API = "/my_health/v1/messaging/preferences/signature"


def html(response) -> str:
    return unescape(response.content.decode())


def body_of(response) -> str:
    # Django writes a newline right after <textarea> so that leading newlines survive.
    match = re.search(r'<textarea name="body"[^>]*>\n(.*?)</textarea>', html(response), re.S)
    return match.group(1)


@pytest.fixture
def rx(client, set_flags):
    set_flags(curated=True, recent=False)
    load(renewal_bundle())
    user = get_user_model().objects.get(username="rx.vet")
    client.force_login(user)
    return client, user


def test_start_message_begins_with_two_empty_lines_and_the_signature(rx):
    client, _ = rx
    choose_team(client, "640", 6400002)
    page = client.get(START)
    assert body_of(page) == "\n\nDana Whitfield\nVeteran, U.S. Army"
    assert "Edit signature for all messages" in html(page)
    assert f'href="{SETTINGS}?next=start-message"' in html(page)


def test_legacy_compose_gets_the_signature_too(rx, set_flags):
    client, _ = rx
    set_flags(curated=False, recent=False)
    client.post(f"{NEW}/continue/")
    page = client.get(f"{NEW}/")
    assert "Start a new message" in html(page)
    assert body_of(page) == "\n\nDana Whitfield\nVeteran, U.S. Army"
    assert "Edit signature for all messages" in html(page)


def test_not_included_no_signature_and_no_link(rx):
    client, user = rx
    MessageSignature.objects.filter(veteran=user).update(include=False)
    choose_team(client, "640", 6400002)
    page = client.get(START)
    assert body_of(page) == ""
    assert "Edit signature for all messages" not in html(page)


def test_a_draft_keeps_what_the_veteran_left(rx):
    client, user = rx
    choose_team(client, "640", 6400002)
    page = client.get(START)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html(page)))
    client.post(
        START,
        {
            **hidden,
            "category": "OTHER",
            "subject": "S",
            "body": "No signature here",
            "action": "save-draft",
        },
    )
    draft = Message.objects.get(veteran=user, state="draft")
    assert draft.body == "No signature here"
    assert body_of(client.get(START)) == "No signature here"


def test_sent_message_is_what_the_veteran_sent(rx):
    client, user = rx
    choose_team(client, "640", 6400002)
    page = client.get(START)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html(page)))
    body = "Please call me.\n\nDana Whitfield\nVeteran, U.S. Army"
    assert (
        client.post(
            START, {**hidden, "category": "OTHER", "subject": "S", "body": body, "action": "send"}
        ).status_code
        == 302
    )
    assert Message.objects.get(veteran=user, state="sent", subject="S").body == body


def test_roi_electronic_signature_is_separate(rx):
    """A team that requires the ROI signature still asks for the full name and appends its
    own block; the messaging signature does not fill it in."""
    client, user = rx
    bundle = renewal_bundle()
    bundle["veterans"][0]["vistaRecipients"][1]["triageTeam"].append(
        {
            "triageTeamId": 6400009,
            "name": "640 Release of Information",
            "stationNumber": "640",
            "blockedStatus": False,
            "preferredTeam": True,
            "relationType": "PATIENT",
        }
    )
    load(bundle)
    choose_team(client, "640", 6400009)
    page = html(client.get(START))
    assert "Electronic signature" in page
    assert re.search(r'name="signature_name"[^>]*>', page).group(0).count("Dana") == 0


def test_settings_page_saves_and_validates(rx):
    client, user = rx
    page = client.get(SETTINGS)
    assert page.status_code == 200 and "Message signature" in html(page)
    assert 'value="Dana Whitfield"' in html(page)

    response = client.post(SETTINGS, {"name": "", "title": "", "include": "yes"})
    assert response.status_code == 422
    assert "Enter a signature name to include your signature in new messages." in html(response)

    response = client.post(SETTINGS, {"name": "x" * 51, "title": "y" * 51, "include": "no"})
    assert response.status_code == 422
    assert "Signature name must be 50 characters or fewer." in html(response)
    assert "Signature title must be 50 characters or fewer." in html(response)

    response = client.post(SETTINGS, {"name": "Dana W.", "title": "", "include": "yes"})
    assert response.status_code == 302
    signature = MessageSignature.objects.get(veteran=user)
    assert (signature.name, signature.title, signature.include) == ("Dana W.", "", True)
    assert "Your signature was saved." in html(client.get(SETTINGS))


def test_settings_page_returns_to_the_message_being_written(rx):
    client, _ = rx
    choose_team(client, "640", 6400002)
    response = client.post(
        f"{SETTINGS}?next=start-message", {"name": "D. Whitfield", "title": "", "include": "yes"}
    )
    assert response["Location"] == START
    assert body_of(client.get(START)) == "\n\nD. Whitfield"  # the flow was kept


def test_settings_page_never_redirects_off_site(rx):
    client, _ = rx
    response = client.post(
        f"{SETTINGS}?next=https://evil.example", {"name": "D", "title": "", "include": "no"}
    )
    assert response["Location"].startswith(SETTINGS)


def api_client(user, camel=False):
    client = APIClient()
    client.force_authenticate(user)
    if camel:
        client.credentials(HTTP_X_KEY_INFLECTION="camel")
    return client


def test_api_returns_the_signature(rx):
    _, user = rx
    data = api_client(user, camel=True).get(API).json()
    assert data["data"]["attributes"] == {
        "signatureName": "Dana Whitfield",
        "signatureTitle": "Veteran, U.S. Army",
        "includeSignature": True,
    }


def test_api_sets_and_validates_the_signature(rx):
    _, user = rx
    client = api_client(user, camel=True)
    response = client.post(
        API,
        {"signatureName": "Dana", "signatureTitle": "Caregiver", "includeSignature": False},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["signatureTitle"] == "Caregiver"
    saved = MessageSignature.objects.get(veteran=user)
    assert (saved.name, saved.title, saved.include) == ("Dana", "Caregiver", False)

    for bad in (
        {"signatureName": "", "includeSignature": True},
        {"signatureName": "x" * 51, "includeSignature": False},
        {"signatureName": "Dana"},
        {"signatureName": "Dana", "includeSignature": "perhaps"},
    ):
        response = client.post(API, bad, format="json")
        assert response.status_code == 422, bad
    assert MessageSignature.objects.get(veteran=user).name == "Dana"


def test_api_signature_of_a_veteran_without_one(demo_data, user_named):
    data = api_client(user_named("oh.only")).get(API).json()
    assert data["data"]["attributes"] == {
        "signature_name": "",
        "signature_title": "",
        "include_signature": False,
    }


def test_api_signature_needs_sign_in(client):
    assert APIClient().get(API).status_code == 401


def test_signature_endpoint_is_in_the_openapi_schema(rx):
    _, user = rx
    client = APIClient()
    client.force_login(user)
    schema = client.get(
        "/my_health/v1/messaging/schema/", HTTP_ACCEPT="application/json"
    ).content.decode()
    assert "/preferences/signature" in schema
    assert "include_signature" in schema
