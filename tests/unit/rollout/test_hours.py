"""The rollups' buckets: local calendar days made of whole UTC hours, across daylight
saving changes (America/New_York: 23 hours in March, 25 in November)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from messaging.rollout import hours


@pytest.fixture(autouse=True)
def _new_york(settings):
    settings.TIME_ZONE = "America/New_York"


@pytest.mark.parametrize(
    ("moment", "start", "length"),
    [
        (datetime(2026, 7, 1, 3, 30, tzinfo=UTC), datetime(2026, 6, 30, 4, tzinfo=UTC), 24),
        (datetime(2026, 3, 8, 12, tzinfo=UTC), datetime(2026, 3, 8, 5, tzinfo=UTC), 23),
        (datetime(2026, 11, 1, 12, tzinfo=UTC), datetime(2026, 11, 1, 4, tzinfo=UTC), 25),
    ],
)
def test_a_local_day_is_whole_utc_hours_from_local_midnight(moment, start, length):
    assert hours.floor_day(moment) == start
    assert hours.next_day(moment) == start + timedelta(hours=length)
    assert hours.previous_day(hours.next_day(moment)) == start
    assert timezone.localtime(start).hour == 0 and start.minute == 0


def test_ceil_day_keeps_a_midnight_and_rounds_anything_else_up():
    midnight = datetime(2026, 6, 30, 4, tzinfo=UTC)
    assert hours.ceil_day(midnight) == midnight
    assert hours.ceil_day(midnight + timedelta(seconds=1)) == midnight + timedelta(days=1)
    assert hours.ceil_hour(midnight + timedelta(minutes=1)) == midnight + hours.HOUR
