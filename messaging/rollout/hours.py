"""The buckets of the metric rollups: whole UTC hours, and the app's local calendar days
(TIME_ZONE, the days the dashboard and its charts show). A local day is made of whole UTC
hours in a time zone whose offset is a whole number of hours (the default
America/New_York is), 23 or 25 of them on a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def midnight(day: date) -> datetime:
    """The local day's first moment, in UTC."""
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())


def floor_day(moment: datetime) -> datetime:
    """The local midnight on or before `moment` (day rows are local calendar days)."""
    return midnight(timezone.localdate(moment)).astimezone(UTC)


def next_day(moment: datetime) -> datetime:
    """The first local midnight after `moment`."""
    return midnight(timezone.localdate(moment) + DAY).astimezone(UTC)


def previous_day(day_start: datetime) -> datetime:
    """The local midnight a day before the local midnight `day_start`."""
    return midnight(timezone.localdate(day_start) - DAY).astimezone(UTC)


def ceil_day(moment: datetime) -> datetime:
    floor = floor_day(moment)
    return floor if floor == moment else next_day(moment)
