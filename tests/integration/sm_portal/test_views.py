"""Signing in with a password lands each kind of account where it has something to do."""

import pytest
from django.contrib.auth.models import Group, User

from messaging.services.bundle import QA_GROUP

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-password-9"


def _staff(username: str, *, qa: bool) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    if qa:
        user.groups.add(Group.objects.get_or_create(name=QA_GROUP)[0])
    return user


def _sign_in(client, username: str, password: str = PASSWORD, **extra):
    return client.post("/sign-in/", {"username": username, "password": password, **extra})


def test_a_veteran_lands_on_the_inbox(client, demo_data):
    response = _sign_in(client, "vista.single", "demo-password-1")
    assert response.status_code == 302
    assert response["Location"] == "/my-health/secure-messages/inbox/"


def test_staff_land_on_the_rollout_dashboard_not_a_veterans_inbox(client, settings):
    _staff("ops.person", qa=False)
    response = _sign_in(client, "ops.person")
    assert response.status_code == 302 and response["Location"] == "/ops/rollout/"


def test_qa_staff_land_on_the_qa_page_where_it_exists(client, settings):
    _staff("qa.person", qa=True)
    settings.SM_QA_TOOLS = True
    assert _sign_in(client, "qa.person")["Location"] == "/qa/"
    client.logout()
    settings.SM_QA_TOOLS = False
    assert _sign_in(client, "qa.person")["Location"] == "/ops/rollout/"


def test_a_next_address_still_wins(client):
    _staff("ops.person", qa=False)
    response = _sign_in(client, "ops.person", next="/my-health/secure-messages/sent/")
    assert response["Location"] == "/my-health/secure-messages/sent/"
