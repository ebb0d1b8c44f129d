"""Staged rollout: sticky percentages, whitelist, guard, rollback, history (rollout.md)."""

import socket
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from messaging.models import Flag, FlagChange, MetricEvent, sticky_bucket
from messaging.rollout import stages as rollout
from messaging.rollout import telemetry
from messaging.rollout.flags import CURATED_LIST_FLOW

pytestmark = pytest.mark.django_db
VETERANS = range(1, 10_001)


def share_in(percent: float) -> set[int]:
    return {v for v in VETERANS if sticky_bucket(CURATED_LIST_FLOW, v) < percent}


def test_five_percent_is_about_five_percent_and_stable():
    first = share_in(5)
    # Tolerance: 3 standard deviations of a binomial(10,000, 0.05) is about 65 veterans.
    assert abs(len(first) - 500) <= 65, len(first)
    assert share_in(5) == first  # the same veterans every time


def test_raising_the_percentage_only_adds_veterans():
    a, b, c = share_in(5), share_in(25), share_in(50)
    assert a <= b <= c
    assert abs(len(b) - 2500) <= 130 and abs(len(c) - 5000) <= 150


def test_each_flag_draws_its_own_veterans():
    other = {v for v in VETERANS if sticky_bucket("mhv_secure_messaging_recent_recipients", v) < 5}
    assert other != share_in(5)


def _request(user):
    return SimpleNamespace(user=user, GET={}, COOKIES={}, headers={})


def _users(n):
    User = get_user_model()
    return [User.objects.create_user(f"vet{i}", password="x") for i in range(n)]


def test_flag_is_active_by_sticky_bucket_and_whitelist_always_in():
    users = _users(60)
    rollout.set_stage(CURATED_LIST_FLOW, "A", actor="test", force=True, reason="test")
    flag = Flag.objects.get(name=CURATED_LIST_FLOW)
    on = {u.pk for u in users if flag.is_active(_request(u))}
    assert on == {u.pk for u in users if sticky_bucket(CURATED_LIST_FLOW, u.pk) < 5}
    outsider = next(u for u in users if u.pk not in on)
    rollout.whitelist(CURATED_LIST_FLOW, outsider.username, add=True, actor="test")
    flag = Flag.objects.get(name=CURATED_LIST_FLOW)
    assert flag.is_active(_request(outsider))
    group = Group.objects.create(name="qa-testers")
    other = next(u for u in users if u.pk not in on and u != outsider)
    other.groups.add(group)
    rollout.whitelist(CURATED_LIST_FLOW, "qa-testers", add=True, actor="test")
    for stage in ("B", "C", "D", "E"):
        rollout.set_stage(CURATED_LIST_FLOW, stage, actor="test", force=True, reason="test")
        flag = Flag.objects.get(name=CURATED_LIST_FLOW)
        assert flag.is_active(_request(outsider)) and flag.is_active(_request(other))
    # Rollback: off for everyone, whitelist included.
    rollout.rollback(CURATED_LIST_FLOW, actor="test")
    flag = Flag.objects.get(name=CURATED_LIST_FLOW)
    assert not any(flag.is_active(_request(u)) for u in users)
    assert rollout.state_of(flag)["stage"] == "off"


def test_stage_names_and_percentages():
    assert [
        rollout.stage_name(s) for s in ("5", "25%", "50", "75", "100", "a", "whitelist", "OFF")
    ] == ["A", "B", "C", "D", "E", "A", "whitelist", "off"]
    with pytest.raises(rollout.RolloutError):
        rollout.stage_name("30")


def _events(flow, ok, failed):
    for _ in range(ok):
        telemetry.record(telemetry.MESSAGE_SENT, flow=flow, platform="web", status_code=201)
    for _ in range(failed):
        telemetry.record(telemetry.MESSAGE_SENT, flow=flow, platform="web", status_code=500)


def test_advance_refused_when_error_rate_worse_allowed_with_force_and_recorded():
    get_user_model().objects.create_user("qa", password="x")
    rollout.whitelist(CURATED_LIST_FLOW, "qa", add=True, actor="lead")
    _events("curated", 80, 20)
    _events("legacy", 98, 2)
    criterion = _criterion("error rate")
    assert not criterion.passed and "z =" in criterion.detail
    with pytest.raises(
        rollout.RolloutError, match="error rate: new 20.0% of 100 vs base 2.0% of 100"
    ):
        rollout.advance(CURATED_LIST_FLOW, actor="lead")
    with pytest.raises(rollout.RolloutError, match="needs --reason"):
        rollout.advance(CURATED_LIST_FLOW, actor="lead", force=True)
    state = rollout.advance(
        CURATED_LIST_FLOW, actor="lead", force=True, reason="known flaky upstream"
    )
    assert state["stage"] == "A" and state["percent"] == 5.0
    change = FlagChange.objects.filter(flag=CURATED_LIST_FLOW).first()
    assert (change.actor, change.forced, change.reason) == ("lead", True, "known flaky upstream")
    assert (change.from_state["stage"], change.to_state["stage"]) == ("whitelist", "A")


def _criterion(name):
    return next(c for c in rollout.criteria(CURATED_LIST_FLOW) if c.name == name)


def _sent_messages(flow, platform, count):
    from messaging.models import CareTeam, Message

    veteran = get_user_model().objects.get(username="vista.single")
    team = CareTeam.objects.get(upstream_id=4399504)
    from django.utils import timezone

    Message.objects.bulk_create(
        Message(
            veteran=veteran,
            care_team=team,
            category="OTHER",
            subject="s",
            body="b",
            state="sent",
            sent_at=timezone.now(),
            flow=flow,
            platform=platform,
        )
        for _ in range(count)
    )


def _csat(flow, scores):
    from messaging.models import CsatResponse

    CsatResponse.objects.bulk_create(CsatResponse(flow=flow, score=s) for s in scores)


def test_advance_allowed_when_every_criterion_passes(demo_data):
    get_user_model().objects.create_user("qa", password="x")
    rollout.whitelist(CURATED_LIST_FLOW, "qa", add=True, actor="lead")
    _events("curated", 95, 5)
    _events("legacy", 95, 5)
    _sent_messages("curated", "web", 95)  # every curated send has its metric
    _sent_messages("legacy", "web", 10)
    _csat("curated", [4, 5, 4, 4, 5])
    _csat("legacy", [4, 4, 4, 5, 4])
    assert all(c.passed for c in rollout.criteria(CURATED_LIST_FLOW)), rollout.criteria(
        CURATED_LIST_FLOW
    )
    assert rollout.advance(CURATED_LIST_FLOW, actor="lead")["stage"] == "A"


def test_collection_csat_and_platform_criteria_fail_as_described(demo_data):
    get_user_model().objects.create_user("qa", password="x")
    rollout.whitelist(CURATED_LIST_FLOW, "qa", add=True, actor="lead")
    _events("curated", 50, 0)
    _sent_messages("curated", "web", 60)  # 10 sends without a metric
    _sent_messages("legacy", "mobile", 3)
    _csat("curated", [1, 2, 1, 2, 1])
    _csat("legacy", [5, 4, 5, 4, 5])
    assert (
        not _criterion("collection").passed
        and "50 send metrics for 60 sent messages" in _criterion("collection").detail
    )
    assert (
        not _criterion("CSAT").passed
        and "new 1.40 (5) vs base 4.60 (5)" in _criterion("CSAT").detail
    )
    assert (
        not _criterion("messages per platform").passed
        and "no new-flow messages from mobile" in _criterion("messages per platform").detail
    )


def test_not_enough_data_fails_the_criterion():
    get_user_model().objects.create_user("qa", password="x")
    rollout.whitelist(CURATED_LIST_FLOW, "qa", add=True, actor="lead")
    assert all(not c.passed for c in rollout.criteria(CURATED_LIST_FLOW))
    assert "not enough data" in _criterion("error rate").detail


def test_rollout_command_prints_whole_state_and_history(capsys):
    get_user_model().objects.create_user("qa", password="x")
    call_command("rollout", "whitelist", "add", "qa", "--actor", "lead")
    call_command(
        "rollout", "set", "25", "--force", "--reason", "pilot went well", "--actor", "lead"
    )
    out = capsys.readouterr().out
    assert (
        '"stage": "B"' in out
        and '"percent": 25.0' in out
        and '"whitelist_users": [\n    "qa"\n  ]' in out
    )
    assert "lead: whitelist -> B FORCED pilot went well" in out
    call_command("rollout", "rollback", "--actor", "lead")
    out = capsys.readouterr().out
    assert '"stage": "off"' in out and '"everyone": false' in out
    with pytest.raises(CommandError, match="unknown stage"):
        call_command("rollout", "set", "30")
    call_command("rollout", "status")
    out = capsys.readouterr().out
    assert (
        "mhv_secure_messaging_recent_recipients" in out
        and "mhv_secure_messaging_curated_list_flow" in out
    )


# --- Metrics -------------------------------------------------------------------------------


def test_statsd_line_format():
    line = telemetry.statsd_line(
        "message_sent", 1, "c", {"flow": "curated", "platform": "web", "status": 201, "page": ""}
    )
    assert line == "sm.message_sent:1|c|#flow:curated,platform:web,status:201"
    assert (
        telemetry.statsd_line("request.latency", 12.3456, "ms", {"flow": "a,b|c"})
        == "sm.request.latency:12.346|ms|#flow:a_b_c"
    )


def test_metrics_reach_a_real_udp_socket(settings):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    settings.DOGSTATSD_HOST, settings.DOGSTATSD_PORT = "127.0.0.1", receiver.getsockname()[1]
    telemetry.record(telemetry.DRAFT_CREATED, flow="legacy", platform="mobile", status_code=201)
    data, _ = receiver.recvfrom(1024)
    receiver.close()
    assert data.decode() == "sm.draft_created:1|c|#flow:legacy,platform:mobile,status:201"


def test_no_agent_listening_still_records(settings):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    settings.DOGSTATSD_HOST, settings.DOGSTATSD_PORT = "127.0.0.1", port
    for _ in range(3):
        telemetry.record(telemetry.MESSAGE_SENT, flow="curated", platform="web", status_code=201)
    assert MetricEvent.objects.filter(name="message_sent").count() == 3
