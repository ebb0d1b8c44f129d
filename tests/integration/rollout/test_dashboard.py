"""The staff rollout dashboard (/ops/rollout/): access, every figure against a known data set,
the time window, a constant query count, and the stage / rollback forms."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging.models import (
    CareTeam,
    CsatResponse,
    FlagChange,
    Message,
    MetricEvent,
    VeteranProfile,
)
from messaging.rollout import stages as rollout
from messaging.rollout.flags import CURATED_LIST_FLOW, RECENT_RECIPIENTS

pytestmark = pytest.mark.django_db

URL = "/ops/rollout/"
CONFIRM = "on"


class _Tables(HTMLParser):
    """Rows of cell texts for every <table id=...> of a page."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(response) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables


def body_rows(table: list[list[str]]) -> list[list[str]]:
    """Without the header row (and without the footer, passed separately by the caller)."""
    return table[1:]


@pytest.fixture
def staff(client, demo_data, user_named):
    client.force_login(user_named("qa.lead"))
    return client


def _ev(name, *, flow="", status=None, value=None, page="", vet=None):
    return MetricEvent(
        name=name, flow=flow, status_code=status, value=value, page=page, veteran_id=vet
    )


def _at(rows, when):
    """`at` is auto_now_add: move freshly created rows afterwards."""
    model = type(rows[0])
    model.objects.filter(pk__in=[r.pk for r in rows]).update(at=when)


@pytest.fixture
def known(demo_data, user_named):
    """The known data set (see the expected figures in the tests): real veterans' traffic.
    The demo veterans are test accounts, whose traffic the figures leave out by default,
    so here they are made real ones."""
    from messaging.models import TestVeteran

    TestVeteran.objects.all().delete()
    MetricEvent.objects.all().delete()
    CsatResponse.objects.all().delete()
    Message.objects.filter(state=Message.State.SENT).update(
        sent_at=timezone.now() - timedelta(days=400)
    )
    now = timezone.now()
    recent = now - timedelta(hours=1)
    E = _ev
    events = (
        [E("draft_created", flow="curated", status=201, vet=1) for _ in range(3)]
        + [E("draft_created", flow="legacy", status=201, vet=5) for _ in range(2)]
        + [E("draft_updated", flow="curated", status=200, vet=1)]
        + [E("draft_deleted", flow="legacy", status=204, vet=5)]
        + [E("message_sent", flow="curated", status=201, vet=v) for v in (1, 2, 3, 3)]
        + [E("message_sent", flow="curated", status=502, vet=4)]
        + [E("message_sent", flow="legacy", status=201, vet=v) for v in (5, 6)]
        + [
            E("latency", flow="curated", status=201, value=v, page="message_sent")
            for v in range(100, 0, -10)
        ]
        + [
            E("latency", flow="curated", status=201, value=v, page="draft_created")
            for v in (9, 5, 7)
        ]
        + [E("page_view", flow="curated", page="interstitial", vet=v) for v in (1, 1, 2, 3, 4, 7)]
        + [E("page_view", flow="legacy", page="interstitial", vet=v) for v in (5, 6, 8, 9)]
        + [E("interaction", flow="curated", page="care-system-changed", vet=v) for v in (1, 1, 2)]
        + [E("interaction", flow="curated", page="select-different-care-team", vet=3)]
    )
    _at(MetricEvent.objects.bulk_create(events), recent)
    # Path analysis: veterans 1 and 2 view "recent" 3 hours ago.
    path = {
        now - timedelta(hours=3): [
            E("page_view", page="recent", vet=1),
            E("page_view", page="recent", vet=2),
        ],
        now - timedelta(hours=2): [
            E("page_view", page="start-message", vet=1),
            E("page_view", page="select-care-team", vet=2),
            E("page_view", page="select-care-team", vet=10),  # never saw "recent"
        ],
        now - timedelta(hours=4): [E("page_view", page="start-message", vet=1)],  # before recent
    }
    for when, rows in path.items():
        _at(MetricEvent.objects.bulk_create(rows), when)
    csat = CsatResponse.objects.bulk_create(
        [CsatResponse(score=s, flow=f) for s, f in ((5, "curated"), (4, "curated"), (3, "legacy"))]
    )
    _at(csat, recent)
    team = CareTeam.objects.first()
    a, b = user_named("vista.single"), user_named("vista.multi")

    def msg(vet, platform, sent_at):
        return Message(
            veteran=vet,
            care_team=team,
            category="OTHER",
            subject="s",
            body="b",
            state=Message.State.SENT,
            sent_at=sent_at,
            platform=platform,
            flow="curated",
        )

    Message.objects.bulk_create(
        [
            msg(a, "web", recent),
            msg(a, "web", recent),
            msg(b, "web", recent),
            msg(a, "mobile", recent),
        ]
    )
    # Ten days old: only in the 30- and 90-day windows.
    old = now - timedelta(days=10)
    _at(
        MetricEvent.objects.bulk_create(
            [E("message_sent", flow="curated", status=201, vet=v) for v in (20, 21, 22, 23, 24)]
            + [E("latency", flow="curated", status=201, value=1000, page="message_sent")]
            + [E("interaction", flow="legacy", page="cant-find-care-team", vet=30)]
        ),
        old,
    )
    _at(CsatResponse.objects.bulk_create([CsatResponse(score=1, flow="legacy")]), old)
    Message.objects.bulk_create([msg(b, "my_va_health", old)])
    return now


# Access ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_veteran_is_forbidden(client, demo_data, user_named):
    client.force_login(user_named("vista.single"))
    assert client.get(URL).status_code == 403
    response = client.post(
        URL, {"flag": CURATED_LIST_FLOW, "action": "rollback", "confirm": CONFIRM}
    )
    assert response.status_code == 403
    assert not FlagChange.objects.filter(actor="vista.single").exists()


def test_staff_sees_the_page(staff):
    response = staff.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Rollout dashboard | Veterans Affairs</title>" in html
    for heading in (
        "Can we advance?",
        "Over time",
        "Drafts and messages",
        "Latency",
        "Satisfaction (CSAT)",
        "Messages per platform",
        "Post-launch questions",
    ):
        assert f">{heading}</h2>" in html
    assert "one-sided two-proportion z-test" in html
    assert 'name="window"' in html and ">Show</button>" in html
    assert 'style="' not in html.split("<main", 1)[1]


# Every figure ---------------------------------------------------------------------------


def test_every_figure_of_the_known_data_set(staff, known):
    response = staff.get(URL)
    assert response.status_code == 200
    t = tables(response)

    assert body_rows(t["writes-table"]) == [
        ["draft_created", "curated", "message", "201", "3"],
        ["draft_created", "legacy", "message", "201", "2"],
        ["draft_deleted", "legacy", "message", "204", "1"],
        ["draft_updated", "curated", "message", "200", "1"],
        ["message_sent", "curated", "message", "201", "4"],
        ["message_sent", "curated", "message", "502", "1"],
        ["message_sent", "legacy", "message", "201", "2"],
    ]
    # Nearest rank: n=3 -> ranks 2, 3, 3; n=10 -> ranks 5, 10, 10.
    assert body_rows(t["latency-table"]) == [
        ["curated", "draft_created", "3", "7", "9", "9"],
        ["curated", "message_sent", "10", "50", "100", "100"],
    ]
    assert body_rows(t["csat-table"]) == [["curated", "2", "4.50"], ["legacy", "1", "3.00"]]
    assert body_rows(t["platforms-table"]) == [
        ["Web", "3", "75.0 %", "2", "100.0 %"],
        ["VA mobile app", "1", "25.0 %", "1", "50.0 %"],
        ["All platforms", "4", "100 %", "2", "(a veteran may use several)"],
    ]
    veterans = VeteranProfile.objects.count()
    month = timezone.localtime(known - timedelta(hours=1)).strftime("%B %Y")
    share = f"{100 * 2 / veterans:.1f} %"
    assert body_rows(t["senders-table"]) == [
        [month, "2", share, "4", "2.00"],
        ["Whole window", "2", share, "4", "2.00"],
    ]
    assert body_rows(t["failed-table"]) == [
        ["curated", "5", "1", "20.0 %"],
        ["legacy", "2", "0", "0.0 %"],
        ["All flows", "7", "1", "14.3 %"],
    ]
    # Sent (status < 400) over reached the interstitial, distinct veterans.
    assert body_rows(t["conversion-table"]) == [
        ["curated", "5", "3", "60.0 %"],
        ["legacy", "4", "2", "50.0 %"],
    ]
    assert body_rows(t["path-table"]) == [
        ["Straight to start message", "1", "1"],
        ["On to select care team", "1", "1"],
    ]
    assert "(2 veterans viewed it)" in response.content.decode()
    assert body_rows(t["interactions-table"]) == [
        ["care-system-changed", "3", "2"],
        ["select-different-care-team", "1", "1"],
    ]
    html = response.content.decode()
    assert "No sends with a known device in this window." in html
    # The pie chart: an image named by its heading and finding, a slice per platform, each
    # named beside it, palette fills; its numbers in its own table.
    pie = html[html.index('id="chart-platform-share"') :]
    pie = pie[: pie.index("</figure>")]
    assert 'role="img"' in pie
    assert 'aria-labelledby="platform-share-heading platform-share-finding"' in pie
    assert "4 messages sent in the window: Web 3 (75.0 %), VA mobile app 1 (25.0 %)." in pie
    assert pie.count('fill="#005ea2"') == 1 and pie.count('fill="#d54309"') == 1
    assert ">Web 75 %</text>" in pie and ">VA mobile app 25 %</text>" in pie
    assert body_rows(t["platform-share-numbers"]) == [
        ["Web", "3", "75.0 %"],
        ["VA mobile app", "1", "25.0 %"],
    ]


def test_the_window_changes_the_numbers(staff, known):
    t = tables(staff.get(URL, {"window": "30d"}))
    assert body_rows(t["failed-table"])[0] == ["curated", "10", "1", "10.0 %"]
    # Percentiles come from a DDSketch: each within 1 % of the exact nearest-rank value.
    flow, event, n, *percentiles = body_rows(t["latency-table"])[1]
    assert [flow, event, n] == ["curated", "message_sent", "11"]
    for shown, exact in zip(percentiles, (60, 1000, 1000), strict=True):
        assert abs(float(shown) - exact) <= exact * 0.01, (shown, exact)
    assert body_rows(t["csat-table"]) == [["curated", "2", "4.50"], ["legacy", "2", "2.00"]]
    assert ["My VA Health", "1", "20.0 %", "1", "50.0 %"] in body_rows(t["platforms-table"])
    assert ["cant-find-care-team", "1", "1"] in body_rows(t["interactions-table"])
    # The last 24 hours still hold the recent rows; a 2-day-old row would not be counted.
    t = tables(staff.get(URL, {"window": "24h"}))
    assert body_rows(t["failed-table"])[-1] == ["All flows", "7", "1", "14.3 %"]
    MetricEvent.objects.filter(name="message_sent", flow="legacy").update(
        at=timezone.now() - timedelta(days=2)
    )
    t = tables(staff.get(URL, {"window": "24h"}))
    assert body_rows(t["failed-table"]) == [
        ["curated", "5", "1", "20.0 %"],
        ["All flows", "5", "1", "20.0 %"],
    ]
    t = tables(staff.get(URL, {"window": "7d"}))
    assert body_rows(t["failed-table"])[-1] == ["All flows", "7", "1", "14.3 %"]


def test_an_unknown_window_falls_back_to_seven_days(staff):
    response = staff.get(URL, {"window": "forever"})
    assert response.status_code == 200
    assert response.context["d"].window == "7d"
    assert '<option value="7d" selected>' in response.content.decode()


# Query count ----------------------------------------------------------------------------


def _events(n: int) -> list[MetricEvent]:
    names = ("draft_created", "draft_updated", "draft_deleted", "message_sent")
    rows = []
    for i in range(n):
        kind = i % 6
        flow = ("curated", "legacy")[i % 2]
        if kind < 4:
            rows.append(_ev(names[kind], flow=flow, status=(201, 200, 204, 502)[i % 4], vet=i % 50))
        elif kind == 4:
            rows.append(
                _ev("latency", flow="curated", status=201, value=i % 300, page="message_sent")
            )
        else:
            page = ("interstitial", "recent", "start-message", "select-care-team")[i % 4]
            rows.append(_ev("page_view", flow=flow, page=page, vet=i % 50))
    return rows


def test_the_query_count_does_not_grow_with_the_events(staff):
    def count(n):
        MetricEvent.objects.all().delete()
        MetricEvent.objects.bulk_create(_events(n), batch_size=500)
        staff.get(URL)  # warm caches (session, waffle)
        with CaptureQueriesContext(connection) as ctx:
            assert staff.get(URL).status_code == 200
        return len(ctx.captured_queries)

    assert count(10) == count(2000)


def test_opening_the_dashboard_never_writes(staff):
    """A GET reads: a flag without a row is shown off, and no row is made for it."""
    from messaging.models import Flag

    Flag.objects.all().delete()
    staff.get(URL)  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        response = staff.get(URL)
    assert response.status_code == 200
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert not Flag.objects.exists()


# Stage and rollback forms ---------------------------------------------------------------


def test_set_stage_needs_the_confirmation(staff):
    before = FlagChange.objects.count()
    response = staff.post(URL, {"flag": CURATED_LIST_FLOW, "action": "set-stage", "stage": "A"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "usa-alert--error" in html and "I understand this changes what veterans see" in html
    assert FlagChange.objects.count() == before


def test_set_stage_and_roll_back(staff):
    rollout.rollback(CURATED_LIST_FLOW, actor="setup")
    response = staff.post(
        URL + "?window=30d",
        {
            "flag": CURATED_LIST_FLOW,
            "action": "set-stage",
            "stage": "A",
            "reason": "go",
            "confirm": CONFIRM,
        },
    )
    assert response.status_code == 302 and response["Location"] == URL + "?window=30d"
    change = FlagChange.objects.filter(flag=CURATED_LIST_FLOW).first()
    assert (change.actor, change.to_state["stage"], change.reason) == ("qa.lead", "A", "go")
    page = staff.get(URL)
    assert "is now at stage A" in page.content.decode()
    assert f'data-testid="stage-{CURATED_LIST_FLOW}">A<' in page.content.decode()

    # Moving up while the criteria fail (no data) is refused, with the reason shown.
    refused = staff.post(
        URL, {"flag": CURATED_LIST_FLOW, "action": "set-stage", "stage": "B", "confirm": CONFIRM}
    )
    assert refused.status_code == 409
    assert "refused: collection: no message sent on the new flow yet" in refused.content.decode()
    assert FlagChange.objects.filter(flag=CURATED_LIST_FLOW).first().pk == change.pk

    # The rollback needs the checkbox too.
    no_confirm = staff.post(URL, {"flag": CURATED_LIST_FLOW, "action": "rollback"})
    assert no_confirm.status_code == 422
    response = staff.post(
        URL, {"flag": CURATED_LIST_FLOW, "action": "rollback", "reason": "bad", "confirm": CONFIRM}
    )
    assert response.status_code == 302
    last = FlagChange.objects.filter(flag=CURATED_LIST_FLOW).first()
    assert (last.actor, last.from_state["stage"], last.to_state["stage"], last.reason) == (
        "qa.lead",
        "A",
        "off",
        "bad",
    )
    rows = tables(staff.get(URL))
    assert rows  # the history table of each flag is rendered
    html = staff.get(URL).content.decode()
    assert '<td data-label="Who">qa.lead</td>' in html
    assert '<td data-label="Reason">bad</td>' in html


def test_forms_are_csrf_protected(demo_data, user_named):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("qa.lead"))
    response = client.post(
        URL, {"flag": RECENT_RECIPIENTS, "action": "rollback", "confirm": CONFIRM}
    )
    assert response.status_code == 403
    assert not FlagChange.objects.filter(actor="qa.lead").exists()


def test_stage_reports_measured_and_written(client, demo_data, user_named):
    from messaging.models import MetricEvent as Event
    from messaging.rollout import stages as rollout_module
    from messaging.rollout.flags import CURATED_LIST_FLOW

    rollout_module.whitelist(CURATED_LIST_FLOW, "vista.single", add=True, actor="lead")
    vet = user_named("vista.single")
    Event.objects.bulk_create(
        [
            Event(
                name="message_sent",
                flow="curated",
                platform="web",
                status_code=302,
                veteran_id=vet.pk,
            ),
            Event(
                name="message_sent",
                flow="curated",
                platform="web",
                status_code=500,
                veteran_id=vet.pk,
            ),
            Event(
                name="draft_created",
                flow="curated",
                platform="web",
                status_code=422,
                veteran_id=vet.pk,
            ),
        ]
    )
    client.force_login(user_named("qa.lead"))
    response = client.post(
        "/ops/rollout/stage-report/",
        {
            "flag": CURATED_LIST_FLOW,
            "stage": "whitelist",
            "planned_start": "2026-11-01",
            "planned_end": "2026-11-14",
            "downstream_impact": "None seen",
            "changes_needed": "Clarify OH info text",
        },
    )
    assert response.status_code == 302
    html = client.get("/ops/rollout/").content.decode()
    report = html[html.index('id="stage-reports"') : html.index('id="questions"')]
    assert "Stage whitelist" in report and "2026-11-01 to 2026-11-14" in report
    assert "<dt>Unique veterans on the new flow</dt><dd>1</dd>" in report
    assert "<dt>Errors logged</dt><dd>422: 1, 500: 1</dd>" in report
    assert "None seen" in report and "Clarify OH info text" in report
    assert "FAIL collection" in report or "PASS collection" in report
    bad = client.post(
        "/ops/rollout/stage-report/",
        {
            "flag": CURATED_LIST_FLOW,
            "stage": "whitelist",
            "planned_start": "2026-11-14",
            "planned_end": "2026-11-01",
        },
    )
    assert bad.status_code == 422
    client.force_login(user_named("hybrid"))
    assert (
        client.post(
            "/ops/rollout/stage-report/", {"flag": CURATED_LIST_FLOW, "stage": "A"}
        ).status_code
        == 403
    )


def test_whitelist_from_the_dashboard(client, demo_data, user_named):
    from messaging.models import Flag
    from messaging.rollout.flags import CURATED_LIST_FLOW

    client.force_login(user_named("qa.lead"))
    data = {"flag": CURATED_LIST_FLOW, "action": "whitelist-add", "who": "hybrid", "confirm": "on"}
    assert client.post("/ops/rollout/", data).status_code == 302
    assert list(
        Flag.objects.get(name=CURATED_LIST_FLOW).users.values_list("username", flat=True)
    ) == ["hybrid"]
    assert client.post("/ops/rollout/", {**data, "who": "nobody-here"}).status_code == 409
    assert client.post("/ops/rollout/", {**data, "confirm": ""}).status_code == 422
    assert client.post("/ops/rollout/", {**data, "action": "whitelist-remove"}).status_code == 302
    assert not Flag.objects.get(name=CURATED_LIST_FLOW).users.exists()


def test_no_url_or_cookie_switches_a_flag(client, demo_data, user_named, set_flags, settings):
    settings.WAFFLE_OVERRIDE = False  # as the production profile forces
    set_flags(curated=False, recent=False)
    client.force_login(user_named("vista.single"))
    client.cookies["dwft_mhv_secure_messaging_curated_list_flow"] = "True"
    page = client.get(
        "/my-health/secure-messages/new-message/?mhv_secure_messaging_curated_list_flow=1&dwft_mhv_secure_messaging_curated_list_flow=1"
    ).content.decode()
    assert 'class="sm-action-link"' not in page  # still the legacy interstitial


def test_renewal_drafts_and_sends_are_their_own_rows(staff):
    """flow.md 9: medication renewal drafts and sends are counted as renewals."""
    from messaging.rollout import telemetry

    for name, renewal, code in (
        (telemetry.DRAFT_CREATED, True, 302),
        (telemetry.MESSAGE_SENT, True, 302),
        (telemetry.MESSAGE_SENT, True, 302),
        (telemetry.MESSAGE_SENT, False, 302),
    ):
        telemetry.record(name, flow="curated", platform="web", status_code=code, renewal=renewal)
    rows = body_rows(tables(staff.get(URL))["writes-table"])
    assert ["draft_created", "curated", "renewal", "302", "1"] in rows
    assert ["message_sent", "curated", "renewal", "302", "2"] in rows
    assert ["message_sent", "curated", "message", "302", "1"] in rows
