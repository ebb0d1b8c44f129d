"""ASVS 8.2.1: `Cache-Control: no-store, private` on every response to a signed-in user
(pages, API, attachment downloads, the API docs, error pages); static files keep their
year-long cache."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from messaging.models import Message
from messaging.services.messages import message_send
from messaging.services.tokens import token_issue
from tests.helpers import BASE
from tests.integration.sm_portal.test_static_production import (  # noqa: F401 - fixtures
    collected,
    production_static,
)

pytestmark = pytest.mark.django_db

API = "/my_health/v1/messaging"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives and not any(
        d.startswith(("max-age", "public", "s-maxage")) for d in directives
    )


@pytest.fixture
def sent(demo_data, user_named, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return message_send(
        veteran=user_named("oh.only"),
        recipient_id=6238802,
        category="OTHER",
        subject="Cached?",
        body="Never in a cache",
        files=[SimpleUploadedFile("lab.pdf", PDF, content_type="application/pdf")],
    ).message


def test_pages_and_downloads_for_a_signed_in_veteran(sent, veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    client = veteran_client("oh.only")
    attachment = sent.attachments.get()
    received = Message.objects.create(
        veteran=sent.veteran,
        care_team=sent.care_team,
        category="OTHER",
        subject="Reply",
        body="b",
        state="received",
        sent_at=sent.sent_at,
    )
    for url in (
        f"{BASE}/inbox/",
        f"{BASE}/sent/",
        f"{BASE}/drafts/",
        f"{BASE}/messages/{sent.pk}/",
        f"{BASE}/messages/{received.pk}/",
        f"{BASE}/attachments/{attachment.pk}/",
        f"{BASE}/new-message/",
        f"{BASE}/new-message/continue/",  # a redirect
        f"{BASE}/contact-list/",
        f"{BASE}/messages/987654321/",  # a 404 page
        f"{API}/docs/",
        "/account/devices/",
        "/sign-in/",  # redirects a signed-in user
    ):
        response = client.get(url)
        assert no_store(response), (url, response.status_code, response.get("Cache-Control"))


def test_every_api_response_to_a_signed_in_user(sent, user_named):
    token, _ = token_issue(user=user_named("oh.only"))
    api = Client(headers={"Authorization": f"Token {token}"})
    responses = [
        api.get(f"{API}/{path}")
        for path in (
            "allrecipients",
            "allrecipients/search?query=pharmacy",
            "messages/categories",
            "folders",
            "folders/0/messages",
            "folders/-1/messages",
            f"messages/{sent.pk}",
            "messages/987654321",  # 404
            "schema/",
        )
    ]
    responses.append(api.post(f"{API}/folders/-1/search", {}, content_type="application/json"))
    responses.append(api.post(f"{API}/message_drafts", {}, content_type="application/json"))
    responses.append(api.put(f"{API}/message_drafts/1", {}, content_type="application/json"))
    for response in responses:
        assert no_store(response), (response.status_code, response.get("Cache-Control"))
    # With a session too (the browser's own calls).
    session = Client()
    session.force_login(user_named("oh.only"))
    assert no_store(session.get(f"{API}/folders"))


@pytest.mark.usefixtures("production_static")
def test_static_files_keep_their_year_long_cache_for_a_signed_in_user(user_named, demo_data):
    client = Client()
    client.force_login(user_named("oh.only"))
    page = client.get(f"{BASE}/inbox/")
    assert no_store(page)
    css = re.search(r'href="(/static/sm\.[0-9a-f]{12}\.css)"', page.content.decode()).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert (
        "max-age=31536000" in response["Cache-Control"]
        and "no-store" not in response["Cache-Control"]
    )


def _routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and not entry.pattern.converters:
            yield prefix + str(entry.pattern)


def test_every_parameterless_url_a_signed_in_user_gets_is_no_store(demo_data, user_named):
    """The sweep: whatever the page answers (200, redirect, 404, 405), it is never cached."""
    client = Client(raise_request_exception=False)
    client.force_login(user_named("hybrid"))
    routes = [r for r in _routes() if not r.startswith(("admin/", "static/")) and "<" not in r]
    assert len(routes) > 15
    for route in routes:
        if route in ("sign-out/",):
            continue
        response = client.get("/" + route)
        assert no_store(response), (route, response.status_code)
