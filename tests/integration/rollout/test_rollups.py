"""The dashboard reads hourly rollups (messaging/rollout/rollups.py) plus the raw events of
the hours not rolled up; every figure equals the one computed from the raw events
(tests/rollout_reference.py), for every window, rolled up or not, before and after the raw
events past their retention are pruned."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from messaging.models import FlagChange, MetricEvent, MetricHourly, MetricHourlySet
from messaging.rollout import dashboard, rollups
from messaging.rollout import stages as rollout
from messaging.rollout.flags import CURATED_LIST_FLOW
from tests import rollout_reference as ref

pytestmark = pytest.mark.django_db

PAGES = ("interstitial", "recent", "start-message", "select-care-team", "care-team-help")
WRITES = ("draft_created", "draft_updated", "draft_deleted", "message_sent")


def generate(now, *, n=3000, seed=17):
    """Events over the last 12 days, times to the microsecond, 40 veterans (so that page
    views follow each other within minutes), every kind the dashboard reads, a few in the
    current hour and a few in the hour the job leaves alone (GRACE)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        kind = rng.random()
        vet = rng.randrange(1, 41) if rng.random() > 0.05 else None
        flow = rng.choice(("curated", "curated", "legacy"))
        fields = {
            "platform": rng.choice(("web", "web", "mobile", "my_va_health", "")),
            "device": rng.choice(("desktop", "mobile", "")),
            "flow": flow,
            "veteran_id": vet,
        }
        if kind < 0.35:
            name = rng.choice(WRITES)
            status = rng.choice((201, 201, 201, 204, 400, 422, 502))
            rows.append(MetricEvent(name=name, status_code=status, **fields))
        elif kind < 0.5:
            rows.append(
                MetricEvent(
                    name="latency",
                    status_code=201,
                    value=rng.choice((0.0, rng.lognormvariate(5, 0.8))),
                    page=rng.choice(("draft_created", "message_sent")),
                    **{**fields, "veteran_id": None},
                )
            )
        elif kind < 0.9:
            rows.append(MetricEvent(name="page_view", page=rng.choice(PAGES), **fields))
        else:
            rows.append(
                MetricEvent(
                    name="interaction",
                    page=rng.choice(("care-system-changed", "cant-find-care-team")),
                    **fields,
                )
            )
    created = MetricEvent.objects.bulk_create(rows)
    # Mostly spread over 12 days; a burst of page views per veteran (paths within minutes);
    # some in the current hour and in the last GRACE minutes.
    for i, event in enumerate(created):
        if i % 10 == 0:
            at = now - timedelta(seconds=rng.uniform(0, 3600))
        elif event.name == "page_view" and i % 3 == 0:
            day = rng.randrange(0, 12)
            at = now - timedelta(days=day, minutes=rng.uniform(0, 40))
        else:
            at = now - timedelta(seconds=rng.uniform(0, 12 * 86400))
        MetricEvent.objects.filter(pk=event.pk).update(at=at)


def dashboard_figures(since, until=None):
    """The dashboard's metric figures in the reference's shapes."""
    latency = {
        (g["flow"], g["event"]): {k: v for k, v in g.items() if k not in ("flow", "event")}
        for g in dashboard.latency_percentiles(since=since)
    }
    path = dashboard.recent_path(since=since)
    return {
        "writes": {
            (r["name"], r["flow"], r["status_code"]): r["count"]
            for r in dashboard.write_counts(since=since)
        },
        "latency": latency,
        "failed": {
            r["flow"]: (r["total"], r["failed"])
            for r in dashboard.failed_sends(since=since)["rows"]
        },
        "conversion": {
            r["flow"]: (r["reached"], r["sent"]) for r in dashboard.conversion_by_flow(since=since)
        },
        "path": {
            "veterans": path["veterans"],
            "start-message": (path["start_message"]["views"], path["start_message"]["veterans"]),
            "select-care-team": (
                path["select_care_team"]["views"],
                path["select_care_team"]["veterans"],
            ),
        },
        "interactions": {
            r["page"]: (r["count"], r["veterans"])
            for r in dashboard.interaction_counts(since=since)
        },
        "devices": {
            r["device"]: (r["sends"], r["senders"]) for r in dashboard.device_breakdown(since=since)
        },
    }


def expected(since):
    figures = ref.raw_figures(since=since)
    figures["latency"] = {
        key: {k: v for k, v in f.items() if not k.startswith("exact_")}
        for key, f in figures["latency"].items()
    }
    return figures


def windows(now):
    starts = [dashboard.window_start(window=w, now=now) for w in dashboard.WINDOWS]
    # Unaligned starts: inside a rolled-up hour, inside the hour not rolled up yet.
    return [*starts, now - timedelta(days=3, minutes=17, seconds=3), now - timedelta(minutes=3)]


@pytest.fixture
def events():
    now = timezone.now()
    generate(now)
    return now


@pytest.mark.parametrize("rolled", ["none", "all closed hours", "up to 5 days ago"])
def test_every_figure_equals_the_figure_from_the_raw_events(events, rolled):
    now = events
    if rolled == "all closed hours":
        assert rollups.roll_up(now=now) > 0
        assert rollups.rolled_until() == rollups.floor_hour(now - rollups.GRACE)
    elif rolled == "up to 5 days ago":
        rollups.roll_up(now=now - timedelta(days=5))
    for since in windows(now):
        assert dashboard_figures(since) == expected(since), since
    # The rollups really are what is read: the rolled hours' events are counted in them.
    if rolled == "all closed hours":
        assert MetricHourly.objects.exists() and MetricHourlySet.objects.exists()


def test_latency_percentiles_are_within_one_percent_of_the_nearest_rank(events):
    rollups.roll_up(now=events)
    since = dashboard.window_start(window="30d", now=events)
    exact = ref.latency(since)
    shown = dashboard.latency_percentiles(since=since)
    assert shown
    for group in shown:
        figures = exact[(group["flow"], group["event"])]
        assert group["count"] == figures["count"]
        for p in (50, 95, 99):
            assert abs(group[f"p{p}"] - figures[f"exact_p{p}"]) <= 0.01 * figures[f"exact_p{p}"]


def test_stage_reports_and_criteria_equal_the_raw_events(events, settings):
    now = events
    # Stage changes at unaligned times: each period starts and ends inside an hour.
    moments = [now - timedelta(days=9, minutes=7), now - timedelta(days=4, minutes=41)]
    for stage in ("A", "B"):
        rollout.set_stage(CURATED_LIST_FLOW, stage, actor="qa", reason="test", force=True)
    for change, at in zip(FlagChange.objects.order_by("pk"), moments, strict=True):
        FlagChange.objects.filter(pk=change.pk).update(at=at)
    rollups.roll_up(now=now)
    reports = next(
        f["reports"] for f in dashboard.stage_reports() if f["flag"] == CURATED_LIST_FLOW
    )
    assert [r["stage"] for r in reports] == ["B", "A"]
    for report in reports:
        want = ref.stage_figures(report["start"], report["end"])
        assert report["veterans"] == want["veterans"]
        assert {e["status_code"]: e["n"] for e in report["errors"]} == want["errors"]
        error_rate = next(c for c in report["criteria"] if c.name == "error rate")
        (n1, f1), (n0, f0) = (
            want["error_rate_counts"]["curated"],
            want["error_rate_counts"]["legacy"],
        )
        assert f"new {f1 / n1:.1%} of {n1} vs base {f0 / n0:.1%} of {n0};" in error_rate.detail
        collection = next(c for c in report["criteria"] if c.name == "collection")
        if "no message" not in collection.detail:
            assert collection.detail.startswith(f"{want['collected']} send metrics")


def test_each_hour_is_rolled_up_once(events):
    now = events
    first = rollups.roll_up(now=now)
    rows = MetricHourly.objects.count(), MetricHourlySet.objects.count()
    assert rollups.roll_up(now=now) == 0
    assert (MetricHourly.objects.count(), MetricHourlySet.objects.count()) == rows
    assert first > 0
    # Totals of the rollups are the events of the rolled hours, once each.
    until = rollups.rolled_until()
    total = sum(MetricHourly.objects.filter(hours=1).values_list("count", flat=True))
    assert total == MetricEvent.objects.filter(at__lt=until).count()
    # Each complete UTC day also as one row per series: the sum of its hours, once.
    days = MetricHourly.objects.filter(hours=24)
    assert days.exists()
    for day in days.values_list("hour", flat=True).distinct():
        whole = sum(days.filter(hour=day).values_list("count", flat=True))
        assert whole == MetricEvent.objects.filter(at__gte=day, at__lt=day + rollups.DAY).count()


def test_pruning_keeps_every_figure_of_the_rolled_up_hours(events):
    now = events
    rollups.roll_up(now=now)
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
    rollups.roll_up(now=now)
    since = dashboard.window_start(window="7d", now=now)
    late = MetricEvent.objects.create(name="message_sent", flow="curated", status_code=201)
    MetricEvent.objects.filter(pk=late.pk).update(at=now - timedelta(days=3))
    # Written into an hour already rolled up: not counted until its days are reopened.
    assert dashboard_figures(since) != expected(since)
    rollups.reopen(since=now - timedelta(days=3))
    assert dashboard_figures(since) == expected(since)  # raw events stand in meanwhile
    rollups.roll_up(now=now)
    assert dashboard_figures(since) == expected(since)
