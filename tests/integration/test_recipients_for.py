import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.recipients import recipients_for
from tests.conftest import load
from tests.factories import big_veteran_bundle

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
