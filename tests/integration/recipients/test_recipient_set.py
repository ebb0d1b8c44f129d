import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.recipients import recipients_for
from tests.factories import big_veteran_bundle
from tests.helpers import load

pytestmark = pytest.mark.django_db


def test_hybrid_veteran_gets_vista_and_oh_recipients(demo_data, user_named):
    recipients = recipients_for(user_named("hybrid"))
    assert recipients.has_vista and recipients.has_oh
    assert [s.name for s in recipients.care_systems] == [
        "VA Kansas City health care",
        "VA Central Ohio health care",
    ]
    sources = {r.source for r in recipients.recipients}
    assert sources == {"vista", "oracle_health"}
    # Only the pools of the facility the veteran is registered at.
    assert {
        r.care_system.station_number for r in recipients.recipients if r.source == "oracle_health"
    } == {"757"}


def test_oh_only_veteran_gets_every_offered_pool_of_their_facility(demo_data, user_named):
    recipients = recipients_for(user_named("oh.only"))
    assert not recipients.has_vista and recipients.has_oh
    assert len(recipients.recipients) == 120  # 122 pools at 668, 2 not offered
    assert all(r.can_message for r in recipients.recipients)


def test_all_blocked_and_facility_blocked(demo_data, user_named):
    all_blocked = recipients_for(user_named("all.blocked"))
    assert not all_blocked.can_message_anyone
    assert [s.station_number for s in all_blocked.blocked_systems] == ["636"]
    partly = recipients_for(user_named("facility.blocked"))
    assert [s.name for s in partly.blocked_systems] == ["VA Western New York health care"]
    assert [s.name for s in partly.messageable_systems] == ["VA Puget Sound health care"]


def test_off_contact_list_is_listed_but_not_messageable(demo_data, user_named):
    recipients = recipients_for(user_named("vista.multi"))
    off_list = recipients.get(4399509)
    assert off_list is not None and not off_list.on_contact_list
    assert not recipients.can_message(4399509)
    assert recipients.can_message(4399507)
    assert not recipients.can_message("not a number")
    assert not recipients.can_message(999)


def _queries_for(username: str) -> tuple[int, int]:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    with CaptureQueriesContext(connection) as ctx:
        recipients = recipients_for(user)
        _ = (recipients.care_systems, recipients.blocked_systems, recipients.messageable)
    return len(ctx), len(recipients.recipients)


def test_query_count_same_for_10_and_2000_teams(db):
    load(big_veteran_bundle("small", teams=10, id_base=1))
    load(big_veteran_bundle("large", teams=2000, id_base=2))
    small_queries, small_count = _queries_for("small")
    large_queries, large_count = _queries_for("large")
    assert (small_count, large_count) == (10, 2000)
    assert small_queries == large_queries == 2


DEMO_VETERANS = [
    "vista.single",
    "vista.multi",
    "oh.only",
    "hybrid",
    "many.systems",
    "all.blocked",
    "no.teams",
    "facility.blocked",
]


@pytest.mark.parametrize("username", DEMO_VETERANS)
def test_every_narrow_answer_agrees_with_the_whole_list(demo_data, user_named, username):
    """Pages ask narrow questions (a summary, one system, a few ids) so that they never read
    every team; each answer must be exactly what the whole list says."""
    from messaging.recipients import _summarise

    veteran = user_named(username)
    whole = recipients_for(veteran).recipients
    lazy = recipients_for(veteran)
    assert lazy.summary == _summarise(whole)
    assert lazy.care_systems == tuple(dict.fromkeys(r.care_system for r in whole))
    assert lazy.messageable_systems == tuple(
        dict.fromkeys(r.care_system for r in whole if r.can_message)
    )
    assert lazy.blocked_teams == tuple(r for r in whole if r.blocked)
    assert lazy.can_message_anyone == any(r.can_message for r in whole)
    assert (lazy.has_vista, lazy.has_oh) == (
        any(r.source == "vista" for r in whole),
        any(r.source == "oracle_health" for r in whole),
    )
    for system in lazy.care_systems:
        station = system.station_number
        in_system = tuple(r for r in whole if r.care_system.station_number == station)
        assert lazy.in_system(station, messageable_only=False) == in_system
        assert lazy.in_system(station) == tuple(r for r in in_system if r.can_message)
        assert lazy.teams_count(system) == len(in_system)
    some = [r.id for r in whole[::7]] + [999_999_999]
    assert lazy.get_many(some) == {r.id: r for r in whole[::7]}
    assert lazy.get(999_999_999) is None and lazy.get("not a number") is None
    assert "recipients" not in lazy.__dict__, "no narrow question read the whole list"
