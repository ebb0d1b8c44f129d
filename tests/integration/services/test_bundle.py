import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.models import (
    CareSystem,
    CareTeam,
    Message,
    OhRegistration,
    VeteranProfile,
    VeteranTeam,
)
from messaging.recipients.bundle import BundleError, bundle_parse
from tests.factories import DEMO_BUNDLE_PATH, demo_bundle

pytestmark = pytest.mark.django_db

MODELS = [CareSystem, CareTeam, VeteranTeam, OhRegistration, Message, VeteranProfile]


def counts():
    data = {m.__name__: m.objects.count() for m in MODELS}
    data["User"] = get_user_model().objects.count()
    return data


def refuse(tmp_path, data, expected_path: str):
    """Loading `data` fails naming `expected_path` and leaves the database as it was."""
    before = counts()
    file = tmp_path / "bundle.json"
    file.write_text(data if isinstance(data, str) else json.dumps(data))
    with pytest.raises(CommandError) as excinfo:
        call_command("load_bundle", str(file))
    assert expected_path in str(excinfo.value), str(excinfo.value)
    assert counts() == before
    return str(excinfo.value)


def test_demo_bundle_loads_with_expected_rows():
    call_command("load_bundle", str(DEMO_BUNDLE_PATH))
    assert counts() == {
        "CareSystem": 14,
        # 230 offered pools + the 5 of Detroit (moving to Oracle Health: stored, offered
        # from the end of its lock) + 45 VistA teams
        "CareTeam": 280,
        "VeteranTeam": 45,
        "OhRegistration": 5,
        "Message": 21,
        "VeteranProfile": 9,
        "User": 10,
    }
    assert get_user_model().objects.get(username="qa.lead").is_staff


def test_loading_twice_changes_no_row_count():
    call_command("load_bundle", str(DEMO_BUNDLE_PATH))
    first = counts()
    call_command("load_bundle", str(DEMO_BUNDLE_PATH))
    assert counts() == first


def test_sent_messages_are_dated_days_ago():
    from django.utils import timezone

    call_command("load_bundle", str(DEMO_BUNDLE_PATH))
    message = Message.objects.get(veteran__username="vista.single", care_team__upstream_id=4399502)
    age = timezone.now() - message.sent_at
    assert message.state == "sent"
    assert 39.9 < age.total_seconds() / 86400 < 40.1


def test_users_can_sign_in_with_bundle_password(client):
    call_command("load_bundle", str(DEMO_BUNDLE_PATH))
    assert client.login(username="vista.single", password="demo-password-1")


def test_bad_json_refused(tmp_path):
    call_command("load_bundle", str(DEMO_BUNDLE_PATH))
    refuse(tmp_path, '{"careSystems": [', "not valid JSON")


def test_unknown_oh_station_refused(tmp_path):
    data = demo_bundle()
    data["veterans"][2]["ohFacilities"] = ["999"]
    message = refuse(tmp_path, data, "veterans[2].ohFacilities[0]")
    assert "999 is not a station in careSystems" in message


def test_unknown_pool_location_refused(tmp_path):
    data = demo_bundle()
    data["ohPools"][0]["pools"][3]["locationStationNumber"] = "000XX"
    refuse(tmp_path, data, "ohPools[0].pools[3].locationStationNumber: 000XX is not a station")


def test_duplicate_recipient_id_for_one_veteran_refused(tmp_path):
    data = demo_bundle()
    teams = data["veterans"][0]["vistaRecipients"][1]["triageTeam"]
    teams[1]["triageTeamId"] = teams[0]["triageTeamId"]
    message = refuse(tmp_path, data, "veterans[0].vistaRecipients[1].triageTeam[1].triageTeamId")
    assert "already a recipient of this veteran" in message


def test_sent_message_to_unknown_recipient_refused(tmp_path):
    data = demo_bundle()
    data["veterans"][2]["sentMessages"] = [
        {"recipientId": 99, "daysAgo": 1, "category": "OTHER", "subject": "Hi", "body": "Hello"}
    ]
    message = refuse(tmp_path, data, "veterans[2].sentMessages[0].recipientId")
    assert "99 is not one of this veteran's recipients" in message


def test_missing_username_refused(tmp_path):
    data = demo_bundle()
    del data["veterans"][4]["username"]
    refuse(tmp_path, data, "veterans[4].username: Field required")


def test_wrong_type_refused(tmp_path):
    data = demo_bundle()
    data["veterans"][0]["vistaRecipients"][1]["triageTeam"][2]["blockedStatus"] = "no"
    refuse(tmp_path, data, "veterans[0].vistaRecipients[1].triageTeam[2].blockedStatus")


def test_bad_category_and_long_subject_refused(tmp_path):
    data = demo_bundle()
    data["veterans"][0]["sentMessages"][0]["category"] = "GOSSIP"
    data["veterans"][0]["sentMessages"][1]["subject"] = "x" * 51
    message = refuse(tmp_path, data, "veterans[0].sentMessages[0].category")
    assert "veterans[0].sentMessages[1].subject" in message


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    data = demo_bundle()
    data["veterans"][2]["ohFacilities"] = ["999"]
    data["veterans"][3]["sentMessages"][0]["recipientId"] = 12345
    message = refuse(tmp_path, data, "veterans[2].ohFacilities[0]")
    assert "veterans[3].sentMessages[0].recipientId" in message


def test_unreadable_file_refused(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_bundle", str(tmp_path / "missing.json"))


# Property: any single corruption of a valid bundle's leaf value into a value of another
# JSON type is refused with a JSON path, or accepted; it never crashes or half-stores.
def _leaf_paths(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaf_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaf_paths(value, (*path, index))
    else:
        yield path


SMALL = demo_bundle()
SMALL["ohPools"] = [{"stationNumber": "668", "pools": SMALL["ohPools"][0]["pools"][:4]}]
SMALL["veterans"] = SMALL["veterans"][:2]
LEAVES = list(_leaf_paths(SMALL))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    index=st.integers(min_value=0, max_value=len(LEAVES) - 1),
    value=st.one_of(
        st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.just([]), st.just({})
    ),
)
def test_corrupted_leaf_is_refused_with_its_path_or_loaded_whole(index, value):
    data = json.loads(json.dumps(SMALL))
    target = data
    path = LEAVES[index]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    before = counts()
    try:
        parsed = bundle_parse(json.dumps(data))
    except BundleError as exc:
        assert exc.problems and all(":" in p for p in exc.problems)
        assert counts() == before
        return
    from messaging.services.bundle import bundle_load

    try:  # the loader's own checks (e.g. a password too short) refuse it whole, with a path
        bundle_load(bundle=parsed)
    except BundleError as exc:
        assert exc.problems and all(":" in p for p in exc.problems)
        assert counts() == before


def test_nul_character_refused(tmp_path):
    data = demo_bundle()
    data["veterans"][1]["fullName"] = "Jordan\u0000Lee"
    refuse(tmp_path, data, "veterans[1].fullName: text must not contain NUL characters")


def test_a_load_refreshes_the_planner_statistics_of_what_it_filled():
    """PostgreSQL plans the flow pages' team queries from table statistics: right after a big
    load they said "empty" until autovacuum came. load_bundle ends with ANALYZE of the tables
    it filled (PostgreSQL only; SQLite has no such statistics and gets no such statement)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call_command("load_bundle", str(DEMO_BUNDLE_PATH))
    analyzed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor != "postgresql":
        assert analyzed == []
        return
    assert len(analyzed) == 1 and CareTeam._meta.db_table in analyzed[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = %s", [CareTeam._meta.db_table]
        )
        assert cursor.fetchone()[0] == CareTeam.objects.count()
