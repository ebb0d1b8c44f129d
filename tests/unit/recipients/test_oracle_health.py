from messaging.recipients.oracle_health import VISIBILITY_RULES, FacilityPools, adapt_pools
from messaging.recipients.registry import CareSystemEntry, Registry
from tests.factories import pool

REGISTRY = Registry.from_entries(
    [
        CareSystemEntry(
            stationNumber="668",
            name="VA Spokane health care",
            ehr="oracle_health",
            facilities=["668", "668QA", "668GA"],
        ),
        CareSystemEntry(
            stationNumber="757",
            name="VA Central Ohio health care",
            ehr="oracle_health",
            facilities=["757"],
        ),
    ]
)


def adapt(station, *pools):
    return adapt_pools(
        [FacilityPools.model_validate({"stationNumber": station, "pools": list(pools)})], REGISTRY
    )


def test_every_active_patient_facing_pool_is_offered_and_no_other():
    teams = adapt(
        "668",
        pool(1, "668"),
        pool(2, "668", active=False),
        pool(3, "668", patientFacing=False),
        pool(4, "668", patientFacing=None),
        pool(5, "668GA"),
    )
    assert [t.recipient.id for t in teams] == [1, 5]
    assert {rule.name for rule in VISIBILITY_RULES} >= {"inactive", "not-patient-facing"}


def test_missing_patient_facing_is_not_offered():
    data = pool(1, "668")
    del data["patientFacing"]
    assert adapt("668", data) == []


def test_sub_facility_maps_to_its_system():
    [team] = adapt("668", pool(1, "668QA"))
    assert team.recipient.care_system.station_number == "668"
    assert team.recipient.care_system.name == "VA Spokane health care"
    assert team.station_number == "668QA"


def test_display_name_external_name_and_primary_care_provider_suffix():
    plain, primary = adapt(
        "668",
        pool(1, "668", externalName="VHA SPO Audiology", internalName="SECRET INTERNAL"),
        pool(
            2, "668", externalName="VHA SPO Primary Care Blue", primaryCareProvider="Okafor, Chidi"
        ),
    )
    assert plain.recipient.display_name == "VHA SPO Audiology"
    assert primary.recipient.display_name == "VHA SPO Primary Care Blue - Okafor, Chidi"
    assert "SECRET" not in plain.recipient.display_name + plain.recipient.name


def test_oh_pools_are_always_messageable():
    [team] = adapt("757", pool(1, "757"))
    r = team.recipient
    assert (r.source, r.blocked, r.on_contact_list, r.can_message) == (
        "oracle_health",
        False,
        True,
        True,
    )
    assert team.per_facility


def test_signature_flag_and_legacy_link_kept():
    [roi, legacy] = adapt(
        "668",
        pool(1, "668", externalName="VHA SPO Release of Information (ROI)", signatureRequired=True),
        pool(2, "668", legacyVistaTriageGroupId=4399501),
    )
    assert roi.recipient.signature_required
    assert not legacy.recipient.signature_required
    assert legacy.legacy_vista_triage_group_id == 4399501


def test_each_visibility_rule_hides_what_it_says_and_nothing_else():
    from messaging.recipients.oracle_health import VISIBILITY_RULES, Pool

    examples = {
        "inactive": pool(1, "668", active=False),
        "not-patient-facing": pool(2, "668", patientFacing=False),
        "internal-name": pool(3, "668", externalName="*SPO Nursing internal"),
        "joint-dod": pool(4, "668", externalName="FHCC Lovell Pharmacy"),
    }
    offered = [
        pool(5, "668", externalName="VHA SPO Pharmacy"),
        pool(6, "668", externalName="VHA SPO FHCC liaison *"),
    ]
    assert {rule.name for rule in VISIBILITY_RULES} == set(examples)
    for rule in VISIBILITY_RULES:
        assert rule.reason and rule.source
        for name, data in examples.items():
            assert rule.hides(Pool.model_validate(data)) is (name == rule.name), (rule.name, name)
        assert not any(rule.hides(Pool.model_validate(p)) for p in offered)
    assert [t.recipient.id for t in adapt("668", *examples.values(), *offered)] == [5, 6]
