"""/qa/: the QA page, server-rendered, every action a plain form post (qa.md)."""

import re

import pytest
from django.test import Client

from messaging.models import AuditEvent, TestVeteran
from messaging.rollout.flags import CURATED_LIST_FLOW, RECENT_RECIPIENTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def qa_client(client, demo_data, user_named):
    client.force_login(user_named("qa.lead"))
    return client


def _create(qa_client, scenario="oh.only") -> tuple[str, str]:
    response = qa_client.post("/qa/", {"action": "create", "scenario": scenario}, follow=True)
    page = response.content.decode()
    username = re.search(r"Created test veteran (qa-[\w.]+-[0-9a-f]{8})", page).group(1)
    link = re.search(r'href="(http://testserver/qa/sign-in/[^"]+)"', page).group(1)
    return username, link


def test_create_shows_password_and_link_once(qa_client):
    username, link = _create(qa_client)
    assert username.startswith("qa-oh.only-")
    page = qa_client.get("/qa/").content.decode()
    assert "Password" not in page  # shown once
    assert f'<h3 id="qa-v-1">{username}</h3>' in page
    response = Client().get(link.removeprefix("http://testserver"))
    assert response.status_code == 302


def test_page_lists_stages_and_scenarios(qa_client, set_flags):
    set_flags(curated=True, recent=False)
    page = qa_client.get("/qa/").content.decode()
    assert re.search(rf"<th scope=\"row\">{CURATED_LIST_FLOW}</th><td>E</td>", page)
    assert re.search(rf"<th scope=\"row\">{RECENT_RECIPIENTS}</th><td>off</td>", page)
    assert 'value="migrating"' in page and 'value="big"' in page


def test_overrides_reset_link_and_delete_by_form(qa_client):
    username, _ = _create(qa_client)
    qa_client.post(
        "/qa/",
        {
            "action": "overrides",
            "username": username,
            CURATED_LIST_FLOW: "off",
            RECENT_RECIPIENTS: "",
            "today_offset_days": "-30",
        },
    )
    record = TestVeteran.objects.get(user__username=username)
    assert record.flag_overrides == {CURATED_LIST_FLOW: False}
    assert record.today_offset_days == -30
    page = qa_client.get("/qa/").content.decode()
    assert 'value="off" checked' in page and 'value="-30"' in page
    bad = qa_client.post(
        "/qa/",
        {"action": "overrides", "username": username, "today_offset_days": "soon"},
        follow=True,
    )
    assert "Today offset" in bad.content.decode()
    link = qa_client.post("/qa/", {"action": "link", "username": username}, follow=True)
    assert f"New sign-in link for {username}" in link.content.decode()
    qa_client.post("/qa/", {"action": "reset", "username": username})
    assert TestVeteran.objects.get(user__username=username).flag_overrides == {}
    qa_client.post("/qa/", {"action": "delete", "username": username})
    assert not TestVeteran.objects.filter(user__username=username).exists()
    actions = set(AuditEvent.objects.filter(target_id=username).values_list("action", flat=True))
    assert actions >= {
        "qa.veteran.created",
        "qa.overrides.set",
        "qa.signin_link.created",
        "qa.veteran.reset",
        "qa.veteran.deleted",
    }


def test_a_real_veteran_cannot_be_acted_on_from_the_page(qa_client, demo_data):
    from tests.factories import bundle, care_system, veteran
    from tests.helpers import load

    load(bundle(care_systems=[care_system("589", "Kansas City")], veterans=[veteran("real.two")]))
    assert qa_client.post("/qa/", {"action": "delete", "username": "real.two"}).status_code == 404


def test_veterans_get_403_and_anonymous_sign_in(client, veteran_client):
    assert Client().get("/qa/")["Location"].startswith("/sign-in/?next=/qa/")
    assert veteran_client("vista.single").get("/qa/").status_code == 403


def test_qa_staff_can_read_the_audit_log(qa_client):
    _create(qa_client)
    response = qa_client.get("/admin/messaging/auditevent/")
    assert response.status_code == 200
    assert "qa.veteran.created" in response.content.decode()
    # ...but not change it
    event = AuditEvent.objects.first()
    assert qa_client.post(f"/admin/messaging/auditevent/{event.pk}/delete/").status_code == 403
