"""The QA API contract (qa.md): every call and every refusal."""

import re

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from messaging.models import AuditEvent, Message, TestVeteran
from messaging.qa.scenarios import SCENARIOS
from tests.helpers import QA_API as API
from tests.helpers import token_for

pytestmark = pytest.mark.django_db


def test_scenarios_lists_every_named_scenario(qa_api):
    response = qa_api.get(f"{API}/scenarios")
    assert response.status_code == 200
    names = [s["name"] for s in response.json()["scenarios"]]
    assert names == list(SCENARIOS)
    assert {"vista.single", "migrating", "big"} <= set(names)


def test_create_answers_username_password_and_one_time_link(qa_api):
    response = qa_api.post(f"{API}/veterans", {"scenario": "hybrid"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"username", "password", "signInUrl"}
    assert re.fullmatch(r"qa-hybrid-[0-9a-f]{8}", body["username"])
    assert re.match(r"http://testserver/qa/sign-in/[^/]+/$", body["signInUrl"])
    user = get_user_model().objects.get(username=body["username"])
    assert user.check_password(body["password"])
    assert user.test_veteran.scenario == "hybrid"
    assert AuditEvent.objects.filter(
        action="qa.veteran.created", actor="qa.lead", target_id=body["username"]
    ).exists()


def test_three_veterans_get_distinct_usernames(create):
    names = {create("vista.single")["username"] for _ in range(3)}
    assert len(names) == 3


def test_inline_veteran_entry(qa_api):
    veteran = {
        "fullName": "Inline Person",
        "vistaRecipients": [
            {"associatedTriageGroups": 1, "associatedBlockedTriageGroups": 0},
            {
                "triageTeam": [
                    {
                        "triageTeamId": 77000001,
                        "name": "QA INLINE TEAM",
                        "stationNumber": "589",
                        "blockedStatus": False,
                        "preferredTeam": True,
                    }
                ]
            },
        ],
    }
    response = qa_api.post(f"{API}/veterans", {"veteran": veteran}, format="json")
    assert response.status_code == 201, response.content
    username = response.json()["username"]
    assert username.startswith("qa-inline-")
    user = get_user_model().objects.get(username=username)
    assert list(user.team_links.values_list("care_team__upstream_id", flat=True)) == [77000001]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scenario": "nope"}, "scenario"),
        ({"scenario": 3}, "scenario"),
        ({"scenario": "hybrid", "extra": 1}, "extra"),
        ({"veteran": {"fullName": ""}}, "veteran.fullName"),
        ({"veteran": {"fullName": "X", "ohFacilities": ["000"]}}, "veteran.ohFacilities[0]"),
        ({"veteran": {"fullName": "X", "username": "mine"}}, "veteran.username"),
    ],
)
def test_bad_create_bodies_name_the_field(qa_api, body, field):
    response = qa_api.post(f"{API}/veterans", body, format="json")
    assert response.status_code in (400, 422), response.content
    error = response.json()["errors"][0]
    assert field in error["detail"]


def test_inline_team_id_of_another_team_is_refused(qa_api):
    veteran = {
        "fullName": "Clash",
        "vistaRecipients": [
            {},
            {"triageTeam": [{"triageTeamId": 0, "name": "NOT THE SAME", "stationNumber": "589"}]},
        ],
    }
    existing = Message.objects.none()  # noqa: F841 - readability
    from messaging.models import CareTeam

    taken = CareTeam.objects.filter(source="vista").first()
    veteran["vistaRecipients"][1]["triageTeam"][0]["triageTeamId"] = taken.upstream_id
    response = qa_api.post(f"{API}/veterans", {"veteran": veteran}, format="json")
    assert response.status_code == 422
    assert "triageTeam[0].triageTeamId" in response.json()["errors"][0]["detail"]
    taken.refresh_from_db()
    assert taken.name != "NOT THE SAME"


def test_malformed_json_is_400(qa_api):
    response = qa_api.generic(
        "POST", f"{API}/veterans", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_overrides_set_and_clear(qa_api, create):
    username = create()["username"]
    url = f"{API}/veterans/{username}/overrides"
    response = qa_api.put(
        url,
        {"flags": {"mhv_secure_messaging_curated_list_flow": False}, "todayOffsetDays": -200},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["flags"] == {"mhv_secure_messaging_curated_list_flow": False}
    assert body["todayOffsetDays"] == -200
    response = qa_api.put(
        url, {"flags": {"mhv_secure_messaging_curated_list_flow": None}}, format="json"
    )
    assert response.json()["flags"] == {}
    assert response.json()["todayOffsetDays"] == -200  # left out: unchanged
    response = qa_api.put(url, {"todayOffsetDays": None}, format="json")
    assert response.json()["todayOffsetDays"] is None
    assert AuditEvent.objects.filter(action="qa.overrides.set", target_id=username).count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"flags": {"no_such_flag": True}}, "flags.no_such_flag"),
        ({"flags": {"mhv_secure_messaging_curated_list_flow": "yes"}}, "flags."),
        ({"flags": []}, "flags"),
        ({"todayOffsetDays": "10"}, "todayOffsetDays"),
        ({"todayOffsetDays": 1.5}, "todayOffsetDays"),
        ({"todayOffsetDays": True}, "todayOffsetDays"),
        ({"todayOffsetDays": 10**6}, "todayOffsetDays"),
        ({"clock": 3}, "clock"),
    ],
)
def test_bad_overrides_name_the_field(qa_api, create, body, field):
    username = create()["username"]
    response = qa_api.put(f"{API}/veterans/{username}/overrides", body, format="json")
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"][0]["detail"]
    assert TestVeteran.objects.get(user__username=username).flag_overrides == {}


def test_reset_and_delete_answer_204(qa_api, create):
    username = create()["username"]
    assert qa_api.post(f"{API}/veterans/{username}/reset").status_code == 204
    assert qa_api.delete(f"{API}/veterans/{username}").status_code == 204
    assert not get_user_model().objects.filter(username=username).exists()
    assert qa_api.delete(f"{API}/veterans/{username}").status_code == 404
    actions = set(AuditEvent.objects.filter(target_id=username).values_list("action", flat=True))
    assert {"qa.veteran.created", "qa.veteran.reset", "qa.veteran.deleted"} <= actions


def test_new_sign_in_link(qa_api, create):
    username = create()["username"]
    response = qa_api.post(f"{API}/veterans/{username}/sign-in-link")
    assert response.status_code == 201
    assert "/qa/sign-in/" in response.json()["signInUrl"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/veterans/{u}/reset"),
        ("delete", "/veterans/{u}"),
        ("put", "/veterans/{u}/overrides"),
        ("get", "/veterans/{u}/overrides"),
        ("post", "/veterans/{u}/sign-in-link"),
    ],
)
@pytest.mark.parametrize("username", ["no.such.user", "qa.lead"])
def test_unknown_and_non_test_accounts_are_404(qa_api, method, path, username):
    response = getattr(qa_api, method)(API + path.format(u=username), {}, format="json")
    assert response.status_code == 404


def test_a_real_veteran_cannot_be_reset(qa_api, demo_data):
    from tests.factories import bundle, care_system, veteran
    from tests.helpers import load

    load(bundle(care_systems=[care_system("589", "Kansas City")], veterans=[veteran("real.one")]))
    assert qa_api.post(f"{API}/veterans/real.one/reset").status_code == 404
    assert (
        qa_api.put(
            f"{API}/veterans/real.one/overrides", {"todayOffsetDays": 3}, format="json"
        ).status_code
        == 404
    )


def test_demo_test_accounts_can_be_reset(qa_api):
    assert qa_api.post(f"{API}/veterans/vista.single/reset").status_code == 204


CALLS = [
    ("get", "/scenarios"),
    ("post", "/veterans"),
    ("post", "/veterans/vista.single/reset"),
    ("delete", "/veterans/vista.single"),
    ("put", "/veterans/vista.single/overrides"),
]


@pytest.mark.parametrize(("method", "path"), CALLS)
def test_no_sign_in_is_401(db, method, path):
    response = getattr(APIClient(), method)(API + path, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"]


@pytest.mark.parametrize("staff", [False, True], ids=["veteran", "staff outside qa"])
@pytest.mark.parametrize(("method", "path"), CALLS)
def test_a_veteran_or_staff_outside_qa_is_403(db, method, path, staff):
    get_user_model().objects.create_user("someone", password="pw-someone-1", is_staff=staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for('someone', 'pw-someone-1')}")
    assert getattr(client, method)(API + path, {}, format="json").status_code == 403


def test_session_needs_csrf(client, demo_data, user_named):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user_named("qa.lead"))
    response = csrf_client.post(
        f"{API}/veterans", {"scenario": "hybrid"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert csrf_client.get(f"{API}/scenarios").status_code == 200
