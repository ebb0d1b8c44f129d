"""What the QA tools do to a test veteran, seen from outside: one-time sign-in links, flag
and clock overrides, reset, delete, the banner (qa.md)."""

import types
from datetime import timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient

from messaging.models import Message, SignInLink, TestVeteran
from messaging.rollout.flags import CURATED_LIST_FLOW
from messaging.selectors.teams import recent_teams
from tests.helpers import BASE, token_for
from tests.helpers import QA_API as API

pytestmark = pytest.mark.django_db
NEW = f"{BASE}/new-message"


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


def sign_in_by_link(url: str) -> Client:
    client = Client()
    response = client.get(path_of(url))
    assert response.status_code == 302 and response["Location"].endswith("/inbox/"), response
    return client


def test_a_link_signs_in_once(create):
    created = create()
    client = sign_in_by_link(created["signInUrl"])
    assert client.get(f"{BASE}/inbox/").status_code == 200
    again = Client().get(path_of(created["signInUrl"]))
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    assert "_auth_user_id" not in again.wsgi_request.session


def test_a_link_expires_after_ten_minutes(create, monkeypatch):
    import django.core.signing

    url = path_of(create()["signInUrl"])
    later = django.core.signing.time.time() + 601
    monkeypatch.setattr(django.core.signing, "time", types.SimpleNamespace(time=lambda: later))
    response = Client().get(url)
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_link_whose_row_expired_is_refused(create):
    url = path_of(create()["signInUrl"])
    SignInLink.objects.update(expires_at=SignInLink.objects.get().created_at - timedelta(1))
    assert Client().get(url).status_code == 410


def test_a_forged_link_is_refused(create):
    url = path_of(create()["signInUrl"])
    assert Client().get(url[:-3] + "xyz/").status_code == 410


def test_a_link_works_only_for_a_test_veteran(create):
    created = create()
    TestVeteran.objects.filter(user__username=created["username"]).delete()
    assert Client().get(path_of(created["signInUrl"])).status_code == 410


def test_one_veterans_override_leaves_another_on_the_stage(qa_api, create, set_flags):
    set_flags(curated=True, recent=True)
    legacy, curated = create("vista.single"), create("vista.single")
    response = qa_api.put(
        f"{API}/veterans/{legacy['username']}/overrides",
        {"flags": {CURATED_LIST_FLOW: False}},
        format="json",
    )
    assert response.status_code == 200
    pages = {}
    for name, created in (("legacy", legacy), ("curated", curated)):
        client = sign_in_by_link(created["signInUrl"])
        client.get(f"{NEW}/continue/")
        pages[name] = client.get(f"{NEW}/")
    assert pages["legacy"].context["legacy"] is True  # the legacy compose page
    assert "messaging/interstitial.html" in [t.name for t in pages["curated"].templates]


def test_an_override_beats_a_rollback(qa_api, create, set_flags):
    set_flags(curated=False, recent=False)
    created = create("vista.single")
    qa_api.put(
        f"{API}/veterans/{created['username']}/overrides",
        {"flags": {CURATED_LIST_FLOW: True}},
        format="json",
    )
    client = sign_in_by_link(created["signInUrl"])
    response = client.get(f"{NEW}/continue/")
    assert response["Location"].endswith("/select-care-team/")


def test_overrides_never_apply_where_the_qa_tools_are_off(qa_api, create, set_flags, settings):
    set_flags(curated=True, recent=True)
    created = create("vista.single")
    qa_api.put(
        f"{API}/veterans/{created['username']}/overrides",
        {"flags": {CURATED_LIST_FLOW: False}},
        format="json",
    )
    client = sign_in_by_link(created["signInUrl"])
    settings.SM_QA_TOOLS = False
    response = client.get(f"{NEW}/continue/")
    assert response["Location"].endswith("/recent/")
    assert "Test account" not in client.get(f"{BASE}/inbox/").content.decode()


def test_a_clock_offset_of_400_days_empties_recent_care_teams(qa_api, create, user_named):
    created = create("vista.multi")
    user = user_named(created["username"])
    from messaging.recipients import recipients_for

    assert recent_teams(veteran=user, recipients=recipients_for(user))
    qa_api.put(
        f"{API}/veterans/{created['username']}/overrides", {"todayOffsetDays": 400}, format="json"
    )
    user = user_named(created["username"])
    assert recent_teams(veteran=user, recipients=recipients_for(user)) == []
    # The other veterans of the same scenario keep theirs.
    other = user_named(create("vista.multi")["username"])
    assert recent_teams(veteran=other, recipients=recipients_for(other))


def test_reset_removes_a_draft_made_through_the_api(qa_api, create):
    created = create("vista.single")
    veteran = APIClient()
    veteran.credentials(
        HTTP_AUTHORIZATION=f"Token {token_for(created['username'], created['password'])}"
    )
    recipients = veteran.get("/my_health/v1/messaging/allrecipients").json()["data"]
    team = next(
        r
        for r in recipients
        if r["attributes"]["preferred_team"] and not r["attributes"]["blocked_status"]
    )
    response = veteran.post(
        "/my_health/v1/messaging/message_drafts",
        {"recipient_id": int(team["id"]), "category": "OTHER", "subject": "s", "body": "b"},
        format="json",
    )
    assert response.status_code == 201, response.content
    drafts = Message.objects.filter(veteran__username=created["username"], state="draft")
    assert drafts.count() == 1
    sent_before = Message.objects.filter(veteran__username=created["username"], state="sent")
    sent_count = sent_before.count()
    assert qa_api.post(f"{API}/veterans/{created['username']}/reset").status_code == 204
    assert drafts.count() == 0
    assert sent_before.count() == sent_count  # the scenario's sent messages are back
    # The password still works after a reset.
    assert token_for(created["username"], created["password"])


def test_reset_restores_contact_list_and_clears_overrides(qa_api, create, user_named):
    created = create("vista.single")
    user = user_named(created["username"])
    user.team_links.update(on_contact_list=False)
    qa_api.put(
        f"{API}/veterans/{created['username']}/overrides", {"todayOffsetDays": 5}, format="json"
    )
    qa_api.post(f"{API}/veterans/{created['username']}/reset")
    assert user.team_links.filter(on_contact_list=True).exists()
    assert TestVeteran.objects.get(user=user).today_offset_days is None


def test_delete_signs_the_veteran_out_for_good(qa_api, create):
    created = create()
    client = sign_in_by_link(created["signInUrl"])
    token = token_for(created["username"], created["password"])
    link = qa_api.post(f"{API}/veterans/{created['username']}/sign-in-link").json()["signInUrl"]
    assert qa_api.delete(f"{API}/veterans/{created['username']}").status_code == 204
    response = client.get(f"{BASE}/inbox/")
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/my_health/v1/messaging/folders").status_code == 401
    assert Client().get(path_of(link)).status_code == 410
    assert not Message.objects.filter(veteran__username=created["username"]).exists()


def test_every_page_of_a_test_veteran_with_overrides_carries_the_banner(qa_api, create):
    created = create("vista.single")
    client = sign_in_by_link(created["signInUrl"])
    assert "Test account" not in client.get(f"{BASE}/inbox/").content.decode()
    qa_api.put(
        f"{API}/veterans/{created['username']}/overrides",
        {"flags": {CURATED_LIST_FLOW: False}, "todayOffsetDays": -200},
        format="json",
    )
    from messaging.common import clock

    expected_today = (clock.deployment_today() - timedelta(days=200)).isoformat()
    for path in (f"{BASE}/inbox/", f"{BASE}/sent/", f"{BASE}/contact-list/", f"{NEW}/"):
        page = client.get(path).content.decode()
        assert "Test account: curated flow off (override)" in page, path
        assert f"today = {expected_today}" in page, path


def test_a_real_veteran_never_has_a_banner(veteran_client):
    client = veteran_client("vista.single")  # a test account without overrides
    assert "Test account" not in client.get(f"{BASE}/inbox/").content.decode()


def test_sm_today_moves_every_clock_reader(settings, create, qa_api, user_named):
    from messaging.common import clock

    settings.SM_TODAY = "2026-05-14"
    created = create()
    user = user_named(created["username"])
    assert clock.today(user=user).isoformat() == "2026-05-14"
    qa_api.put(
        f"{API}/veterans/{created['username']}/overrides", {"todayOffsetDays": 3}, format="json"
    )
    assert clock.today(user=user_named(created["username"])).isoformat() == "2026-05-17"
    assert clock.now(user=user_named(created["username"])).date().isoformat() in (
        "2026-05-17",
        "2026-05-16",
        "2026-05-18",
    )


@pytest.mark.django_db(transaction=True)
def test_a_link_opened_at_once_from_many_threads_signs_in_once(demo_data, user_named):
    """Single use under a real race (meaningful on PostgreSQL, as CI runs it): eight
    threads, each with its own connection, use the same link at the same moment."""
    import threading

    from django.db import connections

    from messaging.qa import links

    token = links.sign_in_link_create(actor=user_named("qa.lead"), username="vista.single")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def worker():
        try:
            barrier.wait(timeout=10)
            links.sign_in_link_use(token=token)
            outcomes.append("signed in")
        except links.LinkRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused"] * 7 + ["signed in"]


@pytest.mark.django_db(transaction=True)
def test_three_veterans_created_at_once_get_distinct_usernames(demo_data, user_named):
    import threading

    from django.db import connections

    from messaging.qa import services as qa

    lead = user_named("qa.lead")
    barrier = threading.Barrier(3)
    names: list[str] = []
    failures: list[Exception] = []

    def worker():
        try:
            barrier.wait(timeout=10)
            names.append(qa.test_veteran_create(actor=lead, scenario="hybrid").user.username)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert len(set(names)) == 3 and all(n.startswith("qa-hybrid-") for n in names)
