"""Every named scenario makes a test veteran of its shape, on the demo registry and on a
deployment whose registry lacks the scenario's care systems."""

import pytest
from django.contrib.auth import get_user_model

from messaging.models import CareSystem, CareTeam
from messaging.qa import services as qa
from messaging.qa.scenarios import BIG_SYSTEMS, BIG_TEAMS, SCENARIOS
from messaging.recipients import recipients_for
from tests.factories import demo_bundle
from tests.helpers import load

pytestmark = pytest.mark.django_db


def _demo_shape(username: str) -> tuple:
    user = get_user_model().objects.get(username=username)
    recipients = recipients_for(user)
    return (
        len(recipients.recipients),
        len(recipients.care_systems),
        len(recipients.blocked_teams),
        user.messages.filter(state="sent").count(),
    )


@pytest.mark.parametrize("name", [n for n, s in SCENARIOS.items() if s.demo_username])
def test_each_demo_scenario_has_its_demo_veterans_shape(demo_data, user_named, name):
    lead = user_named("qa.lead")
    created = qa.test_veteran_create(actor=lead, scenario=name)
    assert _demo_shape(created.user.username) == _demo_shape(SCENARIOS[name].demo_username)


def test_big_has_2000_teams_over_12_systems(demo_data, user_named):
    created = qa.test_veteran_create(actor=user_named("qa.lead"), scenario="big")
    recipients = recipients_for(created.user)
    assert len(recipients.recipients) == BIG_TEAMS
    assert len(recipients.care_systems) == BIG_SYSTEMS
    # A second one shares the stored teams: nothing is stored twice.
    teams = CareTeam.objects.count()
    qa.test_veteran_create(actor=user_named("qa.lead"), scenario="big")
    assert CareTeam.objects.count() == teams


def test_a_scenario_adds_only_the_care_systems_the_deployment_lacks(db):
    data = demo_bundle()
    data["careSystems"] = [s for s in data["careSystems"] if s["stationNumber"] != "589"]
    data["veterans"] = [v for v in data["veterans"] if v["username"] in ("oh.only",)]
    data["ohPools"] = [p for p in data["ohPools"] if p["stationNumber"] == "668"]
    renamed = next(s for s in data["careSystems"] if s["stationNumber"] == "668")
    renamed["name"] = "Spokane as this deployment names it"
    load(data)
    lead = get_user_model().objects.create_user("lead", is_staff=True)
    created = qa.test_veteran_create(actor=lead, scenario="vista.single")
    assert CareSystem.objects.filter(station_number="589").exists()  # added: it was missing
    assert CareSystem.objects.get(station_number="668").name == renamed["name"]  # untouched
    assert _demo_shape(created.user.username)[0] == 6
