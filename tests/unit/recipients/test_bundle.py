"""The data bundle's 2026 fields (data.md "Added in 2026"): prescriptions and the signature,
checked like the rest (every problem named by its JSON path)."""

import json

import pytest

from messaging.recipients.bundle import BundleError, bundle_parse
from tests.factories import prescription, renewal_bundle


def problems(data) -> list[str]:
    with pytest.raises(BundleError) as caught:
        bundle_parse(json.dumps(data))
    return caught.value.problems


def test_renewal_bundle_parses():
    parsed = bundle_parse(json.dumps(renewal_bundle()))
    vet = parsed.veterans[0].data
    assert [p.prescriptionId for p in vet.prescriptions][:2] == [7100001, 7100002]
    assert vet.prescriptions[1].expirationDate is None
    assert vet.signature.name == "Dana Whitfield"


def test_a_prescriptions_care_team_must_be_one_of_the_veterans_recipients():
    data = renewal_bundle()
    data["veterans"][0]["prescriptions"][0]["careTeamId"] = 6129999  # rx.other's team
    assert problems(data) == [
        "veterans[0].prescriptions[0].careTeamId: 6129999 is not one of this veteran's recipients"
    ]


def test_an_oracle_health_pool_the_veteran_may_write_to_is_a_recipient():
    data = renewal_bundle()
    data["veterans"][0]["prescriptions"] = [prescription(1, careTeamId=6530001)]
    bundle_parse(json.dumps(data))


def test_a_prescription_is_listed_once_per_veteran():
    data = renewal_bundle()
    data["veterans"][0]["prescriptions"].append(prescription(7100001))
    assert problems(data) == [
        "veterans[0].prescriptions[5].prescriptionId: 7100001 is already listed at "
        "veterans[0].prescriptions[0]"
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expirationDate", "2027-02-30"),
        ("dispensedDate", "yesterday"),
        ("quantity", -1),
        ("prescriptionId", 0),
        ("prescriptionName", ""),
        ("renewable", "yes"),
        ("careTeamId", "6400001"),
    ],
)
def test_bad_prescription_fields_are_named(field, value):
    data = renewal_bundle()
    data["veterans"][0]["prescriptions"][0][field] = value
    assert any(p.startswith(f"veterans[0].prescriptions[0].{field}") for p in problems(data))


def test_an_included_signature_needs_a_name_and_fields_are_50_characters_at_most():
    data = renewal_bundle()
    data["veterans"][0]["signature"] = {"name": " ", "title": "", "include": True}
    assert any("signature" in p and "name is required" in p for p in problems(data))
    data["veterans"][0]["signature"] = {"name": "x" * 51, "title": "y", "include": False}
    assert any(p.startswith("veterans[0].signature.name") for p in problems(data))
    data["veterans"][0]["signature"] = {"name": "Dana", "include": True, "extra": 1}
    assert any(p.startswith("veterans[0].signature.extra") for p in problems(data))
