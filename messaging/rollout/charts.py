"""The rollout dashboard's charts (rollout.md, issue 18): per local day over the chosen
window, new flow beside base flow, every stage change of either flag marked on the time axis.

Every chart is built from the figures in `messaging.daily`, the functions the stage criteria
use, so a chart cannot show other numbers than the guard. Each chart carries its numbers as a
table (the same values it draws) and a sentence that states its finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from messaging.common.choices import Flow, Platform
from messaging.rollout import daily
from messaging.rollout.flags import CURATED_LIST_FLOW, RECENT_RECIPIENTS
from messaging.rollout.vega import (
    BASE,
    BASE_ALT,
    NEW,
    NEW_ALT,
    panel,
    pie_panel,
    render,
    spec_of,
    stage_markers,
)

FLOW_NAMES = {Flow.CURATED: "New flow", Flow.LEGACY: "Base flow"}
FLAG_NAMES = {CURATED_LIST_FLOW: "New flow", RECENT_RECIPIENTS: "Recent teams"}
PATH_NAMES = {
    "start-message": "Straight to start message",
    "select-care-team": "On to select care team",
}


@dataclass
class Chart:
    """One chart: its SVG, the sentence that states what it shows, and its numbers."""

    slug: str
    title: str
    finding: str
    columns: list[str]
    rows: list[list[str]]
    spec: dict = field(default_factory=dict)
    # bandit B308 accepted: an empty string.
    svg: SafeString = field(default=mark_safe(""))  # nosec B308

    @property
    def labelled_rows(self) -> list[list[tuple[str, str]]]:
        """Each row's cells with their column (a stacked table labels each cell)."""
        return [list(zip(self.columns, row, strict=True)) for row in self.rows]


def stage_label(change: dict) -> str:
    percent = f" ({change['percent']:.0f} %)" if change["to"] in "ABCDE" else ""
    return f"{change['to']}{percent}"


def changes_sentence(changes: list[dict]) -> str:
    if not changes:
        return "No stage changed in this window."
    parts = [
        f"{c['name']} to {stage_label(c)} on {timezone.localtime(c['at']):%b %-d %H:%M}"
        for c in changes
    ]
    return "Stage changes: " + "; ".join(parts) + "."


# The charts ----------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 0, unit: str = "") -> str:
    return "no data" if value is None else f"{value:,.{digits}f}{unit}"


def _day(day: date) -> str:
    return f"{day:%a %b} {day.day}"


def _point(series: str, day: date, value: float | None, text: str) -> dict:
    return {"series": series, "day": day, "value": value, "description": f"{series}, {day}: {text}"}


def _by_day_and_flow(rows: list[dict], value) -> dict[tuple[date, str], object]:
    out: dict[tuple[date, str], object] = {}
    for row in rows:
        key = (row["day"], row["flow"])
        out[key] = value(row, out.get(key))
    return out


def _count_series(counts: dict, days: list[date], names: dict, prefix: tuple = ()):
    """Points and table rows of counts per day and series (0 on a day without any)."""
    points, table = [], []
    for day in days:
        values = [counts.get((day, *prefix, key), 0) for key in names]
        points += [_point(n, day, v, str(v)) for n, v in zip(names.values(), values, strict=True)]
        table.append([_day(day), *prefix, *map(str, values)])
    totals = [sum(p["value"] for p in points if p["series"] == n) for n in names.values()]
    return points, table, totals


def _summed(rows: list[dict], keys: tuple, value: str) -> dict:
    out: dict[tuple, int] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        out[key] = out.get(key, 0) + row[value]
    return out


FLOW_STYLES = {"New flow": NEW, "Base flow": BASE}


def messages_sent_chart(*, since, days, markers, include_test=False) -> Chart:
    rows = daily.sent_messages(since=since, include_test=include_test, by_day=True)
    counts = _summed(rows, ("day", "flow"), "messages")
    points, table, (new, base) = _count_series(counts, days, FLOW_NAMES)
    busiest = max(table, key=lambda r: int(r[1]) + int(r[2]))
    finding = (
        f"New flow {new} messages sent, base flow {base}; "
        f"busiest day {busiest[0]} ({int(busiest[1]) + int(busiest[2])})."
    )
    graph = panel(
        title="", points=points, styles=FLOW_STYLES, days=days, markers=markers, y_title="Messages"
    )
    return _chart(
        "messages-sent",
        "Messages sent per day",
        finding,
        ["Day", *FLOW_NAMES.values()],
        table,
        [graph],
    )


def failed_share_chart(*, since, days, markers, include_test=False) -> Chart:
    rows = daily.write_requests(since=since, include_test=include_test, by_day=True)
    failed = _summed(rows, ("day", "flow"), "failed")
    requests = _summed(rows, ("day", "flow"), "requests")
    points, table = [], []
    for day in days:
        line = [_day(day)]
        for flow, name in FLOW_NAMES.items():
            # bandit B113 accepted: `requests` is a dict of counts here, not the HTTP library.
            n, f = requests.get((day, flow), 0), failed.get((day, flow), 0)  # nosec B113
            share = round(100 * f / n, 1) if n else None
            points.append(_point(name, day, share, _fmt(share, 1, " %")))
            line.append(f"{_fmt(share, 1, ' %')} ({f} of {n})" if n else "no requests")
        table.append(line)
    totals = {r["flow"]: r for r in daily.write_requests(since=since, include_test=include_test)}
    parts = [
        f"{name} {100 * totals[flow]['failed'] / totals[flow]['requests']:.1f} % of "
        f"{totals[flow]['requests']} requests failed"
        if flow in totals
        else f"{name} no requests"
        for flow, name in FLOW_NAMES.items()
    ]
    graph = panel(
        title="",
        points=points,
        styles=FLOW_STYLES,
        days=days,
        markers=markers,
        y_title="Failed (%)",
        y_floor=10,
    )
    columns = ["Day", "New flow failed", "Base flow failed"]
    return _chart(
        "failed-share",
        "Failed requests (drafts and sends), share per day",
        "; ".join(parts) + ".",
        columns,
        table,
        [graph],
    )


def latency_chart(*, since, days, markers, include_test=False) -> Chart:
    rows = {
        (r["day"], r["flow"]): r
        for r in daily.latency(since=since, include_test=include_test, by_day=True)
    }
    styles = {
        "New p50": NEW,
        "New p95": NEW_ALT,
        "Base p50": BASE,
        "Base p95": BASE_ALT,
    }
    points, table = [], []
    for day in days:
        line = [_day(day)]
        for flow, short in ((Flow.CURATED, "New"), (Flow.LEGACY, "Base")):
            row = rows.get((day, flow), {})
            for p in daily.LATENCY_PERCENTILES:
                value = row.get(f"p{p}")
                value = None if value is None else round(value)
                points.append(_point(f"{short} p{p}", day, value, _fmt(value, 0, " ms")))
                line.append(_fmt(value, 0, " ms"))
        table.append(line)
    whole = {r["flow"]: r for r in daily.latency(since=since, include_test=include_test)}
    parts = []
    for flow, name in FLOW_NAMES.items():
        r = whole.get(flow)
        parts.append(
            f"{name} p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms over {r['requests']} requests"
            if r
            else f"{name} not measured"
        )
    panels = [
        panel(
            title="",
            points=points,
            styles=styles,
            days=days,
            markers=markers,
            y_title="Milliseconds",
            y_floor=100,
        )
    ]
    columns = ["Day", "New flow p50", "New flow p95", "Base flow p50", "Base flow p95"]
    title = "Latency of draft and send requests, p50 and p95 per day"
    return _chart("latency", title, "; ".join(parts) + ".", columns, table, panels)


def csat_chart(*, since, days, markers, include_test=False) -> Chart:
    rows = {
        (r["day"], r["flow"]): r
        for r in daily.csat_responses(since=since, include_test=include_test, by_day=True)
    }
    averages, counts, table = [], [], []
    for day in days:
        line = [_day(day)]
        for flow, name in FLOW_NAMES.items():
            row = rows.get((day, flow))
            average = round(row["average"], 2) if row else None
            n = row["responses"] if row else 0
            averages.append(_point(name, day, average, _fmt(average, 2)))
            counts.append(_point(name, day, n, str(n)))
            line += [_fmt(average, 2), str(n)]
        table.append(line)
    whole = {r["flow"]: r for r in daily.csat_responses(since=since, include_test=include_test)}
    parts = [
        f"{name} averaged {whole[flow]['average']:.2f} from {whole[flow]['responses']} responses"
        if flow in whole
        else f"{name} no responses"
        for flow, name in FLOW_NAMES.items()
    ]
    styles = FLOW_STYLES
    panels = [
        panel(
            title="Average score (1 to 5) per day",
            points=averages,
            styles=styles,
            days=days,
            markers=markers,
            y_title="Average score",
            y_max=5,
            y_format=".1f",
        ),
        panel(
            title="Survey responses per day",
            points=counts,
            styles=styles,
            days=days,
            markers=markers,
            y_title="Responses",
        ),
    ]
    columns = [
        "Day",
        "New flow average",
        "New flow responses",
        "Base flow average",
        "Base flow responses",
    ]
    title = "Satisfaction (CSAT): average score and responses per day"
    return _chart("csat", title, "; ".join(parts) + ".", columns, table, panels)


def platforms_chart(*, since, days, markers, include_test=False) -> Chart:
    counts = _summed(
        daily.sent_messages(since=since, include_test=include_test, by_day=True),
        ("day", "platform", "flow"),
        "messages",
    )
    panels, table, parts = [], [], []
    for platform, label in Platform.choices:
        points, rows, (new, base) = _count_series(counts, days, FLOW_NAMES, (platform,))
        table += [[row[0], label, *row[2:]] for row in rows]
        parts.append(f"{label} {new} on the new flow and {base} on the base flow")
        panels.append(
            panel(
                title=f"{label}: messages sent per day",
                points=points,
                styles=FLOW_STYLES,
                days=days,
                markers=markers,
                y_title="Messages",
            )
        )
    columns = ["Day", "Platform", *FLOW_NAMES.values()]
    return _chart(
        "platforms", "Messages per platform", "; ".join(parts) + ".", columns, table, panels
    )


def recent_path_chart(*, since, days, markers, include_test=False) -> Chart:
    path = daily.recent_path(since=since, include_test=include_test, by_day=True)
    counts = _summed(path["days"], ("day", "page"), "views")
    points, table, (straight, on) = _count_series(counts, days, PATH_NAMES)
    finding = (
        f"After /new-message/recent/, {straight} page views went straight to start message "
        f"and {on} on to select care team."
    )
    styles = dict(zip(PATH_NAMES.values(), (NEW, BASE), strict=True))
    graph = panel(
        title="", points=points, styles=styles, days=days, markers=markers, y_title="Page views"
    )
    return _chart(
        "recent-path",
        "Path after /new-message/recent/, page views per day",
        finding,
        ["Day", *PATH_NAMES.values()],
        table,
        [graph],
    )


def _chart(slug, title, finding, columns, rows, panels) -> Chart:
    spec = spec_of(panels)
    return Chart(slug=slug, title=title, finding=finding, columns=columns, rows=rows, spec=spec)


def platform_share_chart(*, platforms: dict) -> Chart | None:
    """The pie of sent messages per platform over the window (the dashboard's figure), each
    slice named beside it with its share."""
    rows = [r for r in platforms["rows"] if r["messages"]]
    if not rows:
        return None
    spec = spec_of(
        [
            pie_panel(
                slices=[
                    {"label": r["label"], "value": r["messages"], "colour": r["colour"]}
                    for r in rows
                ],
                texts=[f"{r['label']} {r['pct']:.0f} %" for r in rows],
            )
        ]
    )
    parts = ", ".join(f"{r['label']} {r['messages']} ({r['pct']:.1f} %)" for r in rows)
    finding = f"{platforms['total']} messages sent in the window: {parts}."
    chart = Chart(
        slug="platform-share",
        title="Share of sent messages per platform",
        finding=finding,
        columns=["Platform", "Messages", "Share"],
        rows=[[r["label"], str(r["messages"]), f"{r['pct']:.1f} %"] for r in rows],
        spec=spec,
    )
    chart.svg = render(spec, slug=chart.slug, title=chart.title, finding=finding)
    return chart


BUILDERS = (
    messages_sent_chart,
    failed_share_chart,
    latency_chart,
    csat_chart,
    platforms_chart,
    recent_path_chart,
)


def build_charts(
    *, since: datetime, now: datetime | None = None, include_test: bool = False
) -> dict:
    """Every time-series chart of the window, with the stage changes they mark."""
    days = daily.days_between(since=since, until=now)
    changes = [
        {**c, "name": FLAG_NAMES.get(c["flag"], c["flag"]), "label": stage_label(c)}
        for c in daily.stage_changes(since=since)
    ]
    markers = stage_markers(changes)
    charts = [
        build(since=since, days=days, markers=markers, include_test=include_test)
        for build in BUILDERS
    ]
    sentence = changes_sentence(changes)
    for chart in charts:
        chart.svg = render(
            chart.spec, slug=chart.slug, title=chart.title, finding=chart.finding, changes=sentence
        )
    return {"charts": charts, "changes": changes, "changes_sentence": sentence}
