"""The API through a facility transition: migratingToOh, meta.migratingFacilities, the
crosswalk, and 422 SM_FACILITY_MIGRATING for drafts and sends to a locked team."""

import pytest
from rest_framework.test import APIClient

from messaging.models import CareSystem, Message, MetricEvent
from messaging.recipients import recipients_for
from tests.factories import CUT_OVER, LOCKED, STABLE, WARNED, transition_bundle
from tests.helpers import load

pytestmark = pytest.mark.django_db
API = "/my_health/v1/messaging"
LETTER = {"category": "OTHER", "subject": "Refill", "body": "Please refill my inhaler."}


@pytest.fixture
def api(db, user_named):
    load(transition_bundle())

    def as_veteran(username="mover", camel=True):
        client = APIClient()
        client.force_authenticate(user_named(username))
        if camel:
            client.credentials(HTTP_X_KEY_INFLECTION="camel")
        return client

    return as_veteran


def test_allrecipients_per_phase(api):
    data = api().get(f"{API}/allrecipients").json()
    teams = {int(t["id"]): t["attributes"] for t in data["data"]}
    # warned: offered, migratingToOh; locked: none of its VistA teams; cut over: its pools
    # in place of its VistA teams; stable: as always
    assert list(teams) == [8610001, 8610002, 9630001, 9630002, 9630003, 8640001]
    assert teams[8610001]["migratingToOh"] is True
    assert teams[9630001]["migratingToOh"] is False and teams[9630001]["ohTriageGroup"]
    assert teams[8640001]["migratingToOh"] is False
    dates = dict(CareSystem.objects.values_list("station_number", "migration_date"))
    assert data["meta"]["migratingFacilities"] == [
        {
            "stationNumber": station,
            "facilityName": name,
            "migrationDate": dates[station].isoformat(),
            "phase": phase,
        }
        for station, name, phase in (
            (WARNED, "VA Marion health care", "p1"),
            (LOCKED, "VA Hudson Valley health care", "p4"),
            (CUT_OVER, "VA Lake City health care", "p7"),
        )
    ]
    assert data["meta"]["associatedTriageGroups"] == 6


def test_snake_case_keys_by_default(api):
    data = api(camel=False).get(f"{API}/allrecipients").json()
    assert data["data"][0]["attributes"]["migrating_to_oh"] is True
    assert data["meta"]["migrating_facilities"][0]["phase"] == "p1"


def test_search_does_not_find_locked_teams(api):
    found = api().get(f"{API}/allrecipients/search", {"query": "primary care"}).json()
    ids = {int(t["id"]) for t in found["data"]}
    assert 8620001 not in ids and 8630001 not in ids
    assert {8610001, 9630001} <= ids


def test_crosswalk(api):
    data = api().get(f"{API}/recipients/crosswalk").json()["data"]
    assert data[2] == {
        "vistaTriageGroupId": 8630001,
        "vistaTriageGroupName": "Primary care | PACT team | T31",
        "ohTriageGroupId": 9630001,
        "ohTriageGroupName": "VHA LKC Primary Care Teal",
        "stationNumber": CUT_OVER,
    }
    assert [(p["vistaTriageGroupId"], p["ohTriageGroupId"]) for p in data] == [
        (8610001, 9610001),
        (8620001, 9620001),
        (8630001, 9630001),
        (8630002, 9630002),
    ]
    assert api("bystander").get(f"{API}/recipients/crosswalk").json() == {"data": []}
    assert APIClient().get(f"{API}/recipients/crosswalk").status_code == 401


def test_crosswalk_is_in_the_schema(api):
    schema = api().get(f"{API}/schema/?format=json").json()
    assert "get" in schema["paths"]["/my_health/v1/messaging/recipients/crosswalk"]
    attributes = schema["components"]["schemas"]["RecipientAttributes"]["properties"]
    assert "migrating_to_oh" in attributes
    assert "migrating_facilities" in schema["components"]["schemas"]["RecipientsMeta"]["properties"]


def _refused(response, resumes: str):
    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert error["code"] == "SM_FACILITY_MIGRATING"
    assert resumes in error["detail"] and "VA Hudson Valley health care" in error["detail"]


def test_a_draft_or_a_send_to_a_locked_team_is_refused(api, user_named):
    client = api()
    resumes = recipients_for(user_named("mover")).moving_system(LOCKED).messaging_resumes
    body = {**LETTER, "recipientId": 8620001}
    _refused(client.post(f"{API}/message_drafts", body, format="json"), resumes.isoformat())
    _refused(
        client.post(f"{API}/messages", body, format="json", HTTP_IDEMPOTENCY_KEY="k1"),
        resumes.isoformat(),
    )
    assert not Message.objects.filter(care_team__upstream_id=8620001).exclude(state="sent").exists()
    assert (
        Message.objects.filter(care_team__upstream_id=8620001, state="sent").count() == 1
    )  # the bundle's
    refusals = MetricEvent.objects.filter(name="migration_refused")
    assert sorted(refusals.values_list("page", "phase", "station")) == [
        ("draft_created", "p4", LOCKED),
        ("message_sent", "p4", LOCKED),
    ]


def test_an_existing_draft_to_a_team_that_locked_stays_readable_and_deletable(
    api, settings, user_named
):
    client = api()
    created = client.post(
        f"{API}/message_drafts", {**LETTER, "recipientId": 8610001}, format="json"
    ).json()["data"]
    draft_id = created["id"]
    # The warned system locks (its cutover comes closer): the draft stays, cannot be updated
    CareSystem.objects.filter(station_number=WARNED).update(
        migration_date=CareSystem.objects.get(station_number=LOCKED).migration_date
    )
    listed = client.get(f"{API}/folders/-2/messages").json()["data"]
    assert [d["id"] for d in listed] == [draft_id]
    assert listed[0]["attributes"]["body"] == LETTER["body"]
    response = client.put(
        f"{API}/message_drafts/{draft_id}", {**LETTER, "recipientId": 8610001}, format="json"
    )
    assert response.json()["errors"][0]["code"] == "SM_FACILITY_MIGRATING"
    assert client.delete(f"{API}/messages/{draft_id}").status_code == 204


def test_a_cut_over_systems_vista_team_is_not_the_veterans_any_more(api):
    response = api().post(
        f"{API}/message_drafts", {**LETTER, "recipientId": 8630001}, format="json"
    )
    assert response.json()["errors"][0]["code"] == "SM_RECIPIENT_NOT_ALLOWED"
    sent = api().post(f"{API}/messages", {**LETTER, "recipientId": 9630001}, format="json")
    assert sent.status_code == 201


def test_stable_veteran_sees_no_migration(api):
    data = api("bystander").get(f"{API}/allrecipients").json()
    assert data["meta"]["migratingFacilities"] == []
    assert [t["attributes"]["stationNumber"] for t in data["data"]] == [STABLE]
