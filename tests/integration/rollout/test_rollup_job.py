"""The rollup job (messaging/rollout/rollup_job.py): each closed hour rolled up once, whole
local days merged, back-dated events counted once their days are reopened, raw events and
rollups pruned past their retention without changing a figure of the rolled-up hours."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from messaging.models import MetricEvent, MetricHourly, MetricHourlySet
from messaging.rollout import dashboard, hours, rollup_job, rollups
from tests.integration.rollout.test_rollups import dashboard_figures, expected

pytestmark = pytest.mark.django_db


def test_each_hour_is_rolled_up_once(events):
    now = events
    first = rollup_job.roll_up(now=now)
    rows = MetricHourly.objects.count(), MetricHourlySet.objects.count()
    assert rollup_job.roll_up(now=now) == 0
    assert (MetricHourly.objects.count(), MetricHourlySet.objects.count()) == rows
    assert first > 0
    # Totals of the rollups are the events of the rolled hours, once each.
    until = rollups.rolled_until()
    total = sum(MetricHourly.objects.filter(hours=1).values_list("count", flat=True))
    assert total == MetricEvent.objects.filter(at__lt=until).count()
    # Each complete local day (TIME_ZONE) also as one row per series, starting at local
    # midnight: the sum of its hours, once.
    days = MetricHourly.objects.filter(hours=24)
    assert days.exists()
    for day in days.values_list("hour", flat=True).distinct():
        assert timezone.localtime(day).time() == time(0)
        end = hours.next_day(day)
        whole = sum(days.filter(hour=day).values_list("count", flat=True))
        assert whole == MetricEvent.objects.filter(at__gte=day, at__lt=end).count()


def test_pruning_keeps_every_figure_of_the_rolled_up_hours(events):
    now = events
    rollup_job.roll_up(now=now)
    # From a whole hour on, a window reads rollups for the rolled-up hours: pruning the raw
    # events of those hours changes no figure.
    since = rollups.ceil_hour(dashboard.window_start(window="7d", now=now))
    before = dashboard_figures(since)
    assert before == expected(since)
    total = MetricEvent.objects.count()
    call_command("prune_metrics", "--event-days", "2", "--rollup-days", "30", verbosity=0)
    left = MetricEvent.objects.count()
    assert 0 < left < total
    assert not MetricEvent.objects.filter(at__lt=now - timedelta(days=2)).exists()
    assert dashboard_figures(since) == before


def test_pruning_never_deletes_events_not_rolled_up(events):
    # Nothing rolled up yet: the retention does not apply to what the rollups lack.
    total = MetricEvent.objects.count()
    call_command("prune_metrics", "--event-days", "1", "--rollup-days", "30", verbosity=0)
    assert MetricEvent.objects.count() == total


def test_rollup_command_runs_once(events, capsys):
    call_command("rollup_metrics")
    assert "rolled up" in capsys.readouterr().out
    assert rollups.rolled_until() is not None


def test_back_dated_events_are_counted_once_their_days_are_reopened(events):
    now = events
    rollup_job.roll_up(now=now)
    since = dashboard.window_start(window="7d", now=now)
    late = MetricEvent.objects.create(name="message_sent", flow="curated", status_code=201)
    MetricEvent.objects.filter(pk=late.pk).update(at=now - timedelta(days=3))
    # Written into an hour already rolled up: not counted until its days are reopened.
    assert dashboard_figures(since) != expected(since)
    rollup_job.reopen(since=now - timedelta(days=3))
    assert dashboard_figures(since) == expected(since)  # raw events stand in meanwhile
    rollup_job.roll_up(now=now)
    assert dashboard_figures(since) == expected(since)
