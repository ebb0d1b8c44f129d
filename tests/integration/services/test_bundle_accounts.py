"""The loader stores the 2026 account fields (data.md): `testAccount` (a test veteran the QA
tools may act on), `staff[].groups`; and a bundle may reference stations already loaded."""

import json

import pytest
from django.contrib.auth.models import Group

from messaging.models import CareSystem, OhRegistration, TestVeteran
from messaging.recipients.bundle import BundleError, bundle_parse
from messaging.selectors.registry import loaded_care_systems, loaded_pool_ids
from messaging.services.bundle import bundle_load
from tests.factories import bundle, care_system, triage_team, vista_payload
from tests.factories import veteran as veteran_entry
from tests.helpers import load

pytestmark = pytest.mark.django_db


def test_demo_veterans_are_test_accounts_and_qa_lead_is_in_qa(demo_data, user_named):
    assert TestVeteran.objects.filter(scenario=TestVeteran.FROM_BUNDLE).count() == 9
    lead = user_named("qa.lead")
    assert list(lead.groups.values_list("name", flat=True)) == ["qa"]
    assert Group.objects.get(name="qa").permissions.filter(codename="view_auditevent").exists()


def test_test_account_false_makes_a_bundle_test_veteran_real_again(db, user_named):
    entry = veteran_entry("flip", testAccount=True)
    data = bundle(care_systems=[care_system("589", "Kansas City")], veterans=[entry])
    load(data)
    assert TestVeteran.objects.filter(user__username="flip").exists()
    data["veterans"][0]["testAccount"] = False
    load(data)
    assert not TestVeteran.objects.filter(user__username="flip").exists()


def test_loading_again_keeps_a_qa_created_test_veteran(db, user_named):
    load(bundle(care_systems=[care_system("589", "Kansas City")], veterans=[veteran_entry("q")]))
    TestVeteran.objects.create(user=user_named("q"), scenario="hybrid", entry={})
    load(bundle(care_systems=[care_system("589", "Kansas City")], veterans=[veteran_entry("q")]))
    assert TestVeteran.objects.get(user__username="q").scenario == "hybrid"


def test_staff_groups_are_stored_and_replaced(db, user_named):
    staff = [
        {
            "username": "ops.one",
            "password": "a-long-staff-passphrase-1",
            "fullName": "Ops",
            "groups": ["qa", "pilots"],
        }
    ]
    data = bundle(care_systems=[], veterans=[], staff=staff)
    load(data)
    assert set(user_named("ops.one").groups.values_list("name", flat=True)) == {"qa", "pilots"}
    data["staff"][0]["groups"] = []
    load(data)
    assert not user_named("ops.one").groups.exists()


def test_a_bundle_may_reference_loaded_stations(demo_data, user_named):
    data = {
        "veterans": [
            veteran_entry(
                "second.file",
                vistaRecipients=vista_payload([triage_team(88000001, "589GR")]),
                ohFacilities=["757"],
                sentMessages=[
                    {
                        "recipientId": 88000001,
                        "daysAgo": 2,
                        "category": "OTHER",
                        "subject": "s",
                        "body": "b",
                    }
                ],
            )
        ]
    }
    text = json.dumps(data)
    with pytest.raises(
        BundleError, match=r"veterans\[0\]\.ohFacilities\[0\]: 757 is not a station"
    ):
        bundle_parse(text)
    parsed = bundle_parse(text, loaded=loaded_care_systems(), loaded_pools=loaded_pool_ids())
    systems_before = CareSystem.objects.count()
    bundle_load(bundle=parsed)
    assert CareSystem.objects.count() == systems_before  # no registry repeated, none changed
    user = user_named("second.file")
    assert user.team_links.get().care_team.care_system.station_number == "589"
    assert OhRegistration.objects.get(veteran=user).care_system.station_number == "757"


def test_load_bundle_command_uses_the_loaded_registry(demo_data, tmp_path, user_named):
    from django.core.management import call_command

    path = tmp_path / "more.json"
    path.write_text(
        json.dumps(
            {
                "veterans": [
                    veteran_entry(
                        "third.file", vistaRecipients=vista_payload([triage_team(88000002, "612")])
                    )
                ]
            }
        )
    )
    call_command("load_bundle", str(path))
    assert user_named("third.file").team_links.get().care_team.care_system.station_number == "612"


def test_days_ago_counts_from_the_deployments_today(settings, db, user_named):
    from django.utils import timezone

    settings.SM_TODAY = "2026-05-14"
    entry = veteran_entry(
        "dated",
        vistaRecipients=vista_payload([triage_team(88000003, "589")]),
        sentMessages=[
            {
                "recipientId": 88000003,
                "daysAgo": 1,
                "category": "OTHER",
                "subject": "s",
                "body": "b",
            }
        ],
    )
    load(bundle(care_systems=[care_system("589", "Kansas City")], veterans=[entry]))
    sent_at = user_named("dated").messages.get().sent_at
    assert timezone.localdate(sent_at).isoformat() == "2026-05-13"
