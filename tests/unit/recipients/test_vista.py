from messaging.recipients.common import signature_required
from messaging.recipients.registry import CareSystemEntry, Registry
from messaging.recipients.vista import PayloadMeta, TeamList, adapt_payload
from tests.factories import triage_team

REGISTRY = Registry.from_entries(
    [
        CareSystemEntry(
            stationNumber="589",
            name="VA Kansas City health care",
            ehr="vista",
            facilities=["589", "589GR"],
        ),
        CareSystemEntry(
            stationNumber="668",
            name="VA Spokane health care",
            ehr="oracle_health",
            facilities=["668"],
        ),
    ]
)


def adapt(*teams):
    payload = (PayloadMeta(), TeamList.model_validate({"triageTeam": list(teams)}))
    return [t.recipient for t in adapt_payload(payload, REGISTRY)]


def test_display_name_is_suggested_name_when_present():
    [r] = adapt(
        triage_team(1, "589", name="589 RAW NAME", suggestedNameDisplay="Primary care | PACT")
    )
    assert r.name == "589 RAW NAME"
    assert r.display_name == "Primary care | PACT"


def test_display_name_falls_back_to_name_when_missing_or_null():
    [a, b] = adapt(
        triage_team(1, "589", name="589 RAW"),
        triage_team(2, "589", name="589 RAW 2", suggestedNameDisplay=None),
    )
    assert (a.display_name, b.display_name) == ("589 RAW", "589 RAW 2")


def test_care_system_from_registry_even_for_sub_facility_and_payload_name():
    [r] = adapt(triage_team(1, "589GR", healthCareSystemName="Something else"))
    assert r.care_system.station_number == "589"
    assert r.care_system.name == "VA Kansas City health care"


def test_care_system_unknown_station_named_from_payload_then_station():
    [a, b] = adapt(
        triage_team(1, "999", healthCareSystemName="VA Faraway health care"),
        triage_team(2, "998", healthCareSystemName=None),
    )
    assert (a.care_system.station_number, a.care_system.name, a.care_system.ehr) == (
        "999",
        "VA Faraway health care",
        "vista",
    )
    assert (b.care_system.station_number, b.care_system.name) == ("998", "998")


def test_signature_explicit_flag_wins_over_name():
    [a, b] = adapt(
        triage_team(1, "589", name="589 Release of Information", signatureRequired=False),
        triage_team(2, "589", name="589 Pharmacy", signatureRequired=True),
    )
    assert a.signature_required is False
    assert b.signature_required is True


def test_signature_required_by_name_when_flag_missing():
    names = [
        "589 RELEASE OF INFORMATION Medical Records",
        "Privacy Issues team",
        "privacy issue desk",
        "Record Amendment",
    ]
    recipients = adapt(*(triage_team(i + 1, "589", name=n) for i, n in enumerate(names)))
    assert all(r.signature_required for r in recipients)
    [plain] = adapt(triage_team(9, "589", name="589 Cardiology"))
    assert plain.signature_required is False


def test_signature_rule_is_one_function():
    assert signature_required(None, "x", "Release   of  information")
    assert not signature_required(None, None, "Pharmacy")
    assert signature_required(True, "Pharmacy")


def test_blocked_and_off_contact_list_teams_present_but_not_messageable():
    blocked, off_list, ok = adapt(
        triage_team(1, "589", blockedStatus=True),
        triage_team(2, "589", preferredTeam=False),
        triage_team(3, "589"),
    )
    assert (blocked.blocked, blocked.can_message) == (True, False)
    assert (off_list.on_contact_list, off_list.can_message) == (False, False)
    assert ok.can_message


def test_oh_triage_group_in_vista_payload_becomes_oh_recipient():
    [r] = adapt(triage_team(1, "668", ohTriageGroup=True, blockedStatus=True, preferredTeam=False))
    assert r.source == "oracle_health"
    assert r.care_system.ehr == "oracle_health"
    # OH has no per-veteran block and no contact list.
    assert r.can_message


def test_recipient_is_immutable():
    [r] = adapt(triage_team(1, "589"))
    try:
        r.blocked = True  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("Recipient must be frozen")
