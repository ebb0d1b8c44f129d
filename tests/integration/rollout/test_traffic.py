"""Test traffic (test veterans' events, messages and answers) is tagged and left out of the
rollout criteria, the stage reports and the dashboard figures unless asked for (qa.md)."""

import pytest
from django.core.management import call_command

from messaging.models import CsatResponse, Message, MetricEvent, TestVeteran
from messaging.rollout import dashboard, telemetry
from messaging.rollout import stages as rollout
from messaging.rollout.flags import CURATED_LIST_FLOW
from tests.helpers import BASE, choose_team

pytestmark = pytest.mark.django_db
START = f"{BASE}/new-message/start-message/"
FILLED = {"category": "OTHER", "subject": "Hello", "body": "A question."}


def test_a_test_veterans_events_are_tagged(veteran_client, set_flags, user_named):
    set_flags(curated=True, recent=False)
    vet = veteran_client("vista.single")  # a test account in the demo bundle
    choose_team(vet, "589", 4399504)
    vet.post(START, {**FILLED, "action": "send"})
    sent = MetricEvent.objects.filter(name="message_sent")
    assert sent.count() == 1 and sent.get().test is True
    assert MetricEvent.objects.get(name="latency").test is True
    vet.post(f"{BASE}/feedback/", {"score": "5"})
    assert list(CsatResponse.objects.values_list("test", flat=True)) == [True]
    # A real veteran's are not.
    TestVeteran.objects.filter(user=user_named("vista.multi")).delete()
    TestVeteran.forget(user_named("vista.multi").pk)
    telemetry.record(
        "message_sent", flow="curated", status_code=201, veteran_id=user_named("vista.multi").pk
    )
    assert MetricEvent.objects.filter(test=False).count() == 1


def _sends(n: int, *, test: bool, flow: str = "curated", status: int = 201):
    MetricEvent.objects.bulk_create(
        MetricEvent(name="message_sent", flow=flow, status_code=status, veteran_id=7, test=test)
        for _ in range(n)
    )


def test_dashboard_figures_leave_test_traffic_out_unless_switched_on(client, demo_data, user_named):
    _sends(3, test=False)
    _sends(5, test=True)
    _sends(2, test=True, status=502)
    CsatResponse.objects.create(score=1, flow="curated", test=True)
    since = dashboard.window_start(window="7d")
    assert [r["count"] for r in dashboard.write_counts(since=since)] == [3]
    assert dashboard.failed_sends(since=since)["failed"] == 0
    assert dashboard.csat_by_flow(since=since) == []
    with_test = dashboard.write_counts(since=since, include_test=True)
    assert sorted(r["count"] for r in with_test) == [2, 8]
    client.force_login(user_named("qa.lead"))
    page = client.get("/ops/rollout/").content.decode()
    assert "without test traffic" in page and 'name="test" value="include"' in page
    page = client.get("/ops/rollout/?test=include").content.decode()
    assert "test traffic included" in page and 'value="include" checked' in page


def test_criteria_and_stage_reports_leave_test_traffic_out(demo_data, user_named):
    rollout.whitelist(CURATED_LIST_FLOW, "qa.lead", add=True, actor="lead")
    # Every sent message of the window is a test veteran's (demo accounts).
    veteran = user_named("vista.single")
    team = veteran.team_links.first().care_team
    from django.utils import timezone

    Message.objects.create(
        veteran=veteran,
        care_team=team,
        category="OTHER",
        subject="s",
        body="b",
        state="sent",
        sent_at=timezone.now(),
    )
    _sends(1, test=True)
    collection = {c.name: c for c in rollout.criteria(CURATED_LIST_FLOW)}["collection"]
    assert collection.detail == "no message sent on the new flow yet"
    with_test = {c.name: c for c in rollout.criteria(CURATED_LIST_FLOW, include_test=True)}
    assert "1 send metrics for 1 sent messages" in with_test["collection"].detail
    report = dashboard.stage_reports()[0]["reports"][0]
    assert report["criteria"][0].detail == "no message sent on the new flow yet"
    report = dashboard.stage_reports(include_test=True)[0]["reports"][0]
    assert "1 send metrics" in report["criteria"][0].detail


def test_status_command_has_the_switch(demo_data, capsys):
    rollout.whitelist(CURATED_LIST_FLOW, "qa.lead", add=True, actor="lead")
    _sends(25, test=True)
    call_command("rollout", "status", "--flag", CURATED_LIST_FLOW)
    assert "0 new-flow and 0 base-flow requests" in capsys.readouterr().out
    call_command("rollout", "status", "--flag", CURATED_LIST_FLOW, "--include-test")
    assert "25 new-flow and 0 base-flow requests" in capsys.readouterr().out
