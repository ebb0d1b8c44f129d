"""The dashboard's charts (issue 18): per-day SVG drawn on the server, the same numbers as
their tables and as the criteria, stage changes marked, images with a text alternative,
nothing the strict CSP would block."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import CsatResponse, MetricEvent
from messaging.rollout import charts, daily, vega
from messaging.rollout import stages as rollout
from messaging.rollout.flags import CURATED_LIST_FLOW

pytestmark = pytest.mark.django_db
URL = "/ops/rollout/"
POINT = re.compile(r'<path data-label="([^"]+)"[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"')


@pytest.fixture
def traffic(demo_data):
    """Two days of draft and send requests, latency and survey answers on both flows."""
    now = timezone.now()
    yesterday = now - timedelta(days=1)
    events = []
    for when, new_failed, base_failed in ((yesterday, 1, 0), (now, 2, 1)):
        rows = [MetricEvent(name="message_sent", flow="curated", status_code=201) for _ in range(8)]
        rows += [
            MetricEvent(name="draft_created", flow="curated", status_code=500)
            for _ in range(new_failed)
        ]
        rows += [
            MetricEvent(name="draft_created", flow="legacy", status_code=201) for _ in range(4)
        ]
        rows += [
            MetricEvent(name="message_sent", flow="legacy", status_code=422)
            for _ in range(base_failed)
        ]
        rows += [
            MetricEvent(name="latency", flow=flow, value=v, page="message_sent", status_code=201)
            for flow in ("curated", "legacy")
            for v in (10, 20, 30, 40)
        ]
        created = MetricEvent.objects.bulk_create(rows)
        MetricEvent.objects.filter(pk__in=[r.pk for r in created]).update(at=when)
        events += created
        answers = CsatResponse.objects.bulk_create(
            [CsatResponse(score=s, flow="curated") for s in (4, 5)]
            + [CsatResponse(score=3, flow="legacy")]
        )
        CsatResponse.objects.filter(pk__in=[a.pk for a in answers]).update(at=when)
    return now


@pytest.fixture
def staff(client, demo_data, user_named):
    client.force_login(user_named("qa.lead"))
    return client


def _figures(html: str) -> dict[str, str]:
    return {
        m.group(1): m.group(0)
        for m in re.finditer(
            r'<figure class="sm-chart" id="chart-([\w-]+)".*?</figure>', html, re.S
        )
    }


def _svg(figure: str) -> str:
    return figure[figure.index("<svg") : figure.index("</svg>")]


def _table(figure: str) -> list[list[str]]:
    body = figure[figure.index("<tbody>") : figure.index("</tbody>")]
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_page_shows_the_charts_as_images_with_a_text_alternative(staff, traffic):
    # The demo veterans' sent messages (the pie) are test traffic: shown when asked for.
    html = staff.get(f"{URL}?test=include").content.decode()
    figures = re.findall(r'<figure class="sm-chart" id="chart-([\w-]+)"', html)
    assert figures == [
        "messages-sent",
        "failed-share",
        "latency",
        "csat",
        "platforms",
        "recent-path",
        "platform-share",
    ]
    for slug in figures:
        svg = re.search(rf'<svg[^>]*aria-labelledby="{slug}-heading {slug}-finding"[^>]*>', html)
        assert svg and 'role="img"' in svg.group(0)
        assert f'id="{slug}-heading"' in html and f'id="{slug}-finding"' in html
    finding = re.search(r'id="failed-share-finding">([^<]+)<', html).group(1)
    assert finding == (
        "New flow 15.8 % of 19 requests failed; Base flow 11.1 % of 9 requests failed."
    )


def test_no_chart_needs_inline_style_or_script(staff, traffic):
    """Inline SVG under style-src 'self': presentation attributes only."""
    html = staff.get(URL).content.decode()
    for figure in _figures(html).values():
        svg = _svg(figure)
        assert "style=" not in svg and "<style" not in svg and "<script" not in svg
        assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_every_chart_draws_the_numbers_of_its_table(staff, traffic):
    """Each drawn point: its label names series, day and value; the table has the same value
    for that day and series; and its height on the chart is that value on the y scale."""
    html = staff.get(URL).content.decode()
    built = {c.slug: c for c in charts.build_charts(since=traffic - timedelta(days=7))["charts"]}
    checked = 0
    for slug, figure in _figures(html).items():
        if slug == "platform-share":
            continue
        table = _table(figure)
        columns = built[slug].columns
        for label, _x, y in POINT.findall(_svg(figure)):
            series, rest = label.split(", ", 1)
            day, value = rest.split(": ", 1)
            row = next(
                r
                for r in table
                if r[0] == charts._day(daily.date.fromisoformat(day))
                and (slug != "platforms" or True)
            )
            cells = [c for c in table if c[0] == row[0]]
            assert any(value in " ".join(c) for c in cells), (slug, label, cells)
            if slug not in ("platforms", "csat"):  # one panel: check the drawn height
                top = built[slug].spec["layer"][0]["encoding"]["y"]["scale"]["domain"][1]
                number = float(value.split()[0].replace(",", ""))
                assert abs(top * (1 - float(y) / vega.HEIGHT) - number) <= top / 100
            checked += 1
        assert columns[0] == "Day" or slug == "platform-share"
    assert checked > 40


def test_the_charts_and_the_criteria_count_the_same(staff, traffic):
    """One source of truth: the criterion's totals are the sums of the chart's days."""
    since = traffic - timedelta(days=7)
    days = daily.write_requests(since=since, by_day=True)
    totals = {r["flow"]: (r["requests"], r["failed"]) for r in daily.write_requests(since=since)}
    for flow in ("curated", "legacy"):
        rows = [r for r in days if r["flow"] == flow]
        assert totals[flow] == (sum(r["requests"] for r in rows), sum(r["failed"] for r in rows))
    assert totals == {"curated": (19, 3), "legacy": (9, 1)}
    detail = rollout.error_rate_criterion(since=since).detail
    assert "19 new-flow and 9 base-flow requests" in detail
    csat = rollout.csat_criterion(since=since).detail
    assert "4 new-flow and 2 base-flow responses" in csat
    assert {r["flow"]: r["responses"] for r in daily.csat_responses(since=since)} == {
        "curated": 4,
        "legacy": 2,
    }
    latency = {r["flow"]: r for r in daily.latency(since=since)}
    # Percentiles come from a DDSketch (the rollups): each within 1 % of the nearest rank.
    shown_pair = (latency["curated"]["p50"], latency["curated"]["p95"])
    for shown, exact in zip(shown_pair, (20, 40), strict=True):
        assert abs(shown - exact) <= exact * 0.01, (shown, exact)
    assert (latency["legacy"]["requests"]) == 8


def test_every_stage_change_is_marked(staff, traffic, user_named):
    rollout.whitelist(CURATED_LIST_FLOW, "hybrid", add=True, actor="qa.lead")
    rollout.set_stage(CURATED_LIST_FLOW, "A", actor="qa.lead", force=True, reason="pilot")
    html = staff.get(URL).content.decode()
    sentence = re.search(r'<p id="stage-changes">(.*?)</p>', html, re.S).group(1)
    assert "New flow to whitelist on" in sentence and "New flow to A (5 %) on" in sentence
    for slug, figure in _figures(html).items():
        if slug == "platform-share":
            continue
        svg = _svg(figure)
        assert ">New flow: whitelist, A (5 %)</text>" in svg, slug
        assert 'stroke-dasharray="3,3"' in svg  # the rule on the time axis
        assert 'aria-describedby="stage-changes"' in svg


def test_an_empty_window_still_draws_every_chart(staff, db):
    html = staff.get(URL).content.decode()
    assert html.count('class="sm-chart__svg"') >= 6
    assert "No stage changed in this window." in html
