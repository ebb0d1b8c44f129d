import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from messaging.models import Message

pytestmark = pytest.mark.django_db


def test_sign_in_page_lands_on_inbox(client, demo_data):
    response = client.post("/sign-in/", {"username": "vista.single", "password": "demo-password-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:inbox")
    page = client.get(response["Location"])
    assert b"Start a new message" in page.content
    assert "Alex Rivera" in page.content.decode()


def test_sign_in_wrong_password_shows_clear_error(client, demo_data):
    response = client.post("/sign-in/", {"username": "vista.single", "password": "nope"})
    assert response.status_code == 200
    assert "We couldn’t sign you in" in response.content.decode()
    assert not get_user_model().objects.get(username="vista.single").last_login


def test_demo_sign_in_lists_every_account_with_a_description(client, demo_data):
    page = client.get("/sign-in/demo/").content.decode()
    for username in [
        "vista.single",
        "vista.multi",
        "oh.only",
        "hybrid",
        "many.systems",
        "all.blocked",
        "no.teams",
        "facility.blocked",
        "qa.lead",
    ]:
        assert f"Sign in as {username}" in page
    assert "No care teams at all." in page
    assert "blocked at VA Western New York health care" in page


def test_demo_sign_in_signs_in(client, demo_data):
    response = client.post("/sign-in/demo/", {"username": "oh.only"})
    assert response.status_code == 302 and response["Location"] == reverse("messaging:inbox")
    assert client.get(reverse("messaging:inbox")).status_code == 200


def test_demo_sign_in_unknown_account_is_400(client, demo_data):
    assert client.post("/sign-in/demo/", {"username": "nobody"}).status_code == 400


def test_demo_sign_in_off_is_404(client, demo_data, settings):
    settings.DEMO_SIGN_IN = False
    assert client.get("/sign-in/demo/").status_code == 404
    assert client.post("/sign-in/demo/", {"username": "oh.only"}).status_code == 404


def test_sign_out_needs_post(client, demo_data):
    client.login(username="vista.single", password="demo-password-1")
    assert client.get("/sign-out/").status_code == 405
    assert client.post("/sign-out/").status_code == 302
    assert client.get(reverse("messaging:inbox")).status_code == 302


def test_sent_folder_lists_own_messages_newest_first_paginated(client, demo_data, user_named):
    client.force_login(user_named("vista.multi"))
    page = client.get(reverse("messaging:sent")).content.decode()
    assert page.count("<tr>") == 11  # header + 10 per page
    sent = Message.objects.filter(veteran__username="vista.multi", state="sent").order_by(
        "-sent_at"
    )
    first = sent[0].care_team.display_name
    assert page.index(first) < page.index(sent[9].care_team.display_name)
    # Another veteran's messages are never listed.
    client.force_login(user_named("oh.only"))
    assert (
        "You don’t have any messages in Sent"
        in client.get(reverse("messaging:sent")).content.decode()
    )


def test_folders_have_start_a_new_message_link(client, demo_data, user_named):
    client.force_login(user_named("vista.single"))
    for name in ("inbox", "sent", "drafts"):
        page = client.get(reverse(f"messaging:{name}")).content.decode()
        assert f'href="{reverse("messaging:interstitial")}?from={name}"' in page
        assert "Start a new message" in page


def test_health_check_reports_database_and_cache(client, db):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
