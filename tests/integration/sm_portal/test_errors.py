"""Clear error pages: the database unreachable is a 503 "try again" (page or API JSON)
and recovers; other failures a 500 without a stack trace; CSRF and 404 pages."""

from html import unescape

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from rest_framework.test import APIClient

from messaging.models import Message
from tests.helpers import BASE

pytestmark = pytest.mark.django_db
START = f"{BASE}/new-message/start-message/"

API = "/my_health/v1/messaging"

FILLED = {"category": "OTHER", "subject": "Rate me", "body": "Hello there, care team."}

API_DRAFT = {"category": "OTHER", "subject": "API", "body": "API body", "recipient_id": 6238802}


class DatabaseDown:
    """Every new query fails the way a stopped PostgreSQL makes psycopg fail."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def __enter__(self):
        def refuse(self):
            raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

        self.monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
        return self

    def __exit__(self, *exc):
        self.monkeypatch.undo()


@pytest.mark.parametrize(
    "path", ["/my-health/secure-messages/inbox/", f"{BASE}/new-message/", "/sign-in/"]
)
def test_database_down_is_a_503_try_again_page_then_recovers(
    demo_data, user_named, monkeypatch, path
):
    client = Client(raise_request_exception=False)
    client.force_login(user_named("vista.single"))
    with DatabaseDown(monkeypatch):
        response = client.get(path)
    assert response.status_code == 503
    page = unescape(response.content.decode())
    assert "<title>Try again in a few minutes | Veterans Affairs</title>" in page
    assert "We can’t reach our records right now" in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"
    # The header shows no one's name: the page was drawn without the database.
    assert "Sign out" not in page
    # No restart: the very next request, with the database back, is served.
    assert client.get(path).status_code in (200, 302)


def test_database_down_is_a_503_json_error_for_the_api(demo_data, user_named, monkeypatch):
    client = APIClient(raise_request_exception=False)
    client.force_login(user_named("oh.only"))
    with DatabaseDown(monkeypatch):
        response = client.post(f"{API}/messages", API_DRAFT, format="json")
    assert response.status_code == 503
    assert response.json() == {
        "errors": [
            {
                "title": "Service unavailable",
                "detail": "We can’t reach our records right now. Try again in a few minutes.",
                "code": "SERVICE_UNAVAILABLE",
                "status": "503",
            }
        ]
    }
    assert response["Retry-After"] == "10"
    assert client.get(f"{API}/folders").status_code == 200
    assert not Message.objects.filter(subject="API").exists()


def test_other_failures_are_a_500_page_without_a_stack_trace(veteran_client, monkeypatch):
    client = veteran_client("vista.single")
    client.raise_request_exception = False

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("messaging.views.folders.folder_page", broken)
    response = client.get(f"{BASE}/inbox/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "RuntimeError" not in page
    assert "Retry-After" not in response


def test_a_form_without_its_csrf_token_gets_a_clear_page(demo_data, user_named, set_flags):
    set_flags(curated=True, recent=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("vista.single"))
    response = client.post(START, {**FILLED, "action": "send"})
    assert response.status_code == 403
    page = unescape(response.content.decode())
    assert "<title>Your page expired | Veterans Affairs</title>" in page
    assert "Nothing was sent or saved." in page
    assert not Message.objects.filter(subject="Rate me").exists()


def test_an_unknown_page_gets_a_clear_404(veteran_client):
    response = veteran_client("vista.single").get(f"{BASE}/no-such-page/")
    assert response.status_code == 404
    page = unescape(response.content.decode())
    assert "<title>Page not found | Veterans Affairs</title>" in page
    assert "Go to your messages" in page
