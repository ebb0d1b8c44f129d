"""Contract: our allrecipients response has every field a VA.gov client reads from vets-api's,
with the same JSON types (fixture recorded in the vets-api shape)."""

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
RECORDED = json.loads(
    (Path(__file__).parents[2] / "data" / "vets-api-allrecipients.json").read_text()
)


def shape(value):
    """The JSON type tree of a value: dict keys -> shapes; a list -> the shape of its first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def missing(expected, actual, path="$"):
    """Fields (with types) in `expected` that `actual` lacks or types differently."""
    problems = []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object"]
        for key, sub in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += missing(sub, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected an array"]
        if expected and actual:
            problems += missing(expected[0], actual[0], f"{path}[0]")
    elif expected != actual:
        problems.append(f"{path}: {actual} instead of {expected}")
    return problems


@pytest.mark.parametrize("username", ["vista.single", "oh.only", "hybrid"])
def test_allrecipients_matches_the_recorded_vets_api_shape(demo_data, user_named, username):
    client = APIClient()
    client.force_authenticate(user_named(username))
    ours = client.get("/my_health/v1/messaging/allrecipients").json()
    assert missing(shape(RECORDED), shape(ours)) == []


def test_the_contract_check_can_fail():
    assert missing(shape(RECORDED), shape({"data": [{"id": 1}], "meta": {}})) != []
