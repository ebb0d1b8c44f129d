"""Vega-Lite specs for the rollout dashboard's daily charts, drawn to SVG on the server by
vl-convert (ADR "Charts: Vega-Lite through vl-convert").

The SVG has presentation attributes only (no style attribute or element, no script), so it is
put inline in the page under the strict Content-Security-Policy; it is an image
(`role="img"`) named by its <title> and described by the sentence that states its finding.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import date, datetime

from django.core.cache import cache
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 420, 150  # one panel's plot area, px
INK, GRID = "#1b1b1b", "#dfe1e2"  # USWDS ink (16:1 on white); base-lighter for grid lines
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
# Colour, dash pattern and point shape of a series: never colour alone. Colours are USWDS
# tokens with at least 3:1 against white (WCAG 1.4.11, graphics); each series also has its
# own dash and point shape, and its name written at its line's end.
NEW = ("#005ea2", [1, 0], "circle")  # blue-60v, solid, circles
BASE = ("#c05600", [7, 4], "square")  # orange-warm-60v, dashed, squares
NEW_ALT = ("#005ea2", [2, 3], "triangle-up")  # blue-60v dotted, triangles
BASE_ALT = ("#c05600", [10, 3, 2, 3], "diamond")  # orange-warm-60v dash-dot, diamonds
CACHE_VERSION = "charts-2"
CONFIG = {
    "aria": False,  # marks are hidden from assistive technology: the <svg> is one image
    "font": FONT,
    "background": "#ffffff",
    "view": {"stroke": None},
    "axis": {
        "labelColor": INK,
        "titleColor": INK,
        "domainColor": "#565c65",
        "tickColor": "#565c65",
        "gridColor": GRID,
        "labelFontSize": 12,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
    },
    "title": {"color": INK, "fontSize": 13, "fontWeight": "bold", "anchor": "start"},
    "text": {"color": INK, "fontSize": 12},
}


# Spec building -------------------------------------------------------------------------------


def iso_utc(moment: datetime | date) -> str:
    """Local wall-clock time written as UTC, drawn on a UTC scale: the axis shows the local
    day whatever the time zone of the renderer."""
    if isinstance(moment, datetime):
        return timezone.localtime(moment).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return f"{moment.isoformat()}T00:00:00Z"


def _nice_max(values: list[float], floor: float) -> float:
    top = max([v for v in values if v is not None] + [floor])
    for step in (1, 2, 2.5, 5):
        for scale in (1, 10, 100, 1000, 10000, 100000):
            if step * scale >= top:
                return step * scale
    return top


def panel(
    *,
    title: str,
    points: list[dict],
    styles: dict[str, tuple],
    days: list[date],
    markers: list[dict],
    y_title: str,
    y_floor: float = 1,
    y_max: float | None = None,
    y_format: str = "d",
    y_step: float = 1,
) -> dict:
    """A layered line chart: one line per series over the days, its points, its name at
    its last point, and a rule with a label for each stage change."""
    names = list(styles)
    top = y_max or _nice_max([p["value"] for p in points], y_floor)
    x_scale = {"type": "utc", "domain": [iso_utc(days[0]), iso_utc(days[-1])]}
    x_axis = {
        "format": "%b %-d",
        "formatType": "utc",
        "labelAngle": 0,
        "tickCount": {"interval": "day", "step": max(1, len(days) // 6)},
        "labelOverlap": True,
    }
    x = {"field": "day", "type": "temporal", "scale": x_scale, "title": None, "axis": x_axis}
    y = {"field": "value", "type": "quantitative", "title": y_title}
    style_scale = {"domain": names}
    series_enc = {
        "color": {
            "field": "series",
            "scale": {**style_scale, "range": [s[0] for s in styles.values()]},
            "legend": None,
        },
    }
    data = [{**p, "day": iso_utc(p["day"])} for p in points if p["value"] is not None]
    layers = [
        {
            "data": {"values": data},
            "mark": {"type": "line", "strokeWidth": 2},
            "encoding": {
                "x": x,
                "y": {
                    **y,
                    "scale": {"domain": [0, top], "nice": False},
                    "axis": {"format": y_format, "tickCount": 4, "tickMinStep": y_step},
                },
                "strokeDash": {
                    "field": "series",
                    "scale": {**style_scale, "range": [s[1] for s in styles.values()]},
                    "legend": None,
                },
                **series_enc,
            },
        },
        {
            "data": {"values": data},
            "mark": {"type": "point", "filled": True, "size": 45, "opacity": 1, "aria": True},
            "encoding": {
                "x": x,
                "y": {**y, "scale": {"domain": [0, top], "nice": False}},
                "shape": {
                    "field": "series",
                    "scale": {**style_scale, "range": [s[2] for s in styles.values()]},
                    "legend": None,
                },
                "description": {"field": "description"},
                **series_enc,
            },
        },
        {
            "data": {"values": _end_labels(data, top)},
            "mark": {"type": "text", "align": "left", "dx": 8, "baseline": "middle"},
            "encoding": {
                "x": x,
                "y": {"field": "y", "type": "quantitative", "scale": None},
                "text": {"field": "series"},
            },
        },
    ]
    if markers:
        placed, rows = _layout_markers(markers, days)
        rule = {"type": "rule", "color": INK, "strokeDash": [3, 3], "strokeWidth": 1.5}
        layers.append(
            {
                "data": {"values": placed},
                "mark": rule,
                "encoding": {"x": {"field": "at", "type": "temporal", "scale": x_scale}},
            }
        )
        for side, dx in (("left", 4), ("right", -4)):
            layers.append(
                {
                    "data": {"values": [m for m in placed if m["align"] == side]},
                    "mark": {"type": "text", "align": side, "dx": dx, "baseline": "top"},
                    "encoding": {
                        "x": {"field": "at", "type": "temporal", "scale": x_scale},
                        "y": {"field": "y", "type": "quantitative", "scale": None},
                        "text": {"field": "label"},
                    },
                }
            )
    spec = {
        "width": WIDTH,
        "height": HEIGHT,
        "padding": {"top": 8, "right": 48, "left": 4, "bottom": 4},
        "layer": layers,
    }
    return {"title": title, **spec} if title else spec


LABEL_CHAR_PX = 7  # a generous width per character of a 12 px label
ROW_PX = 15


def _layout_markers(markers: list[dict], days: list[date]) -> tuple[list[dict], int]:
    """Where each stage-change label goes: beside its rule (to the right, or to the left near
    the right edge), on the first row above the plot where it overlaps no other label."""
    start = datetime.fromisoformat(iso_utc(days[0]))
    span = max((datetime.fromisoformat(iso_utc(days[-1])) - start).total_seconds(), 1)
    row_ends: list[float] = []  # per row, the right end (px) of its last label
    placed = []
    for marker in sorted(markers, key=lambda m: m["at"]):
        x = WIDTH * (datetime.fromisoformat(marker["at"]) - start).total_seconds() / span
        width = len(marker["label"]) * LABEL_CHAR_PX + 8
        left = x + width > WIDTH + 40
        begin, end = (x - width, x) if left else (x, x + width)
        row = next((i for i, e in enumerate(row_ends) if e < begin), len(row_ends))
        if row == len(row_ends):
            row_ends.append(end)
        row_ends[row] = end
        placed.append({**marker, "row": row, "align": "right" if left else "left"})
    rows = len(row_ends)
    for marker in placed:
        marker["y"] = -ROW_PX * (rows - marker["row"]) - 2
    return placed, rows


def _end_labels(data: list[dict], top: float) -> list[dict]:
    """Each series' name beside its last point, moved apart (at least 14 px) when lines end
    close together."""
    last: dict[str, dict] = {}
    for point in data:
        if point["series"] not in last or point["day"] >= last[point["series"]]["day"]:
            last[point["series"]] = point
    labels = sorted(
        ({**p, "y": HEIGHT * (1 - p["value"] / top)} for p in last.values()), key=lambda p: p["y"]
    )
    for before, label in zip(labels, labels[1:], strict=False):
        label["y"] = max(label["y"], before["y"] + 14)
    return labels


def pie_panel(*, slices: list[dict], texts: list[str]) -> dict:
    """A pie: one slice per {label, value, colour}, each named beside it by its text."""
    values = [{**piece, "text": text} for piece, text in zip(slices, texts, strict=True)]
    theta = {"field": "value", "type": "quantitative", "stack": True}
    colour = {
        "field": "label",
        "scale": {"domain": [s["label"] for s in slices], "range": [s["colour"] for s in slices]},
        "legend": None,
    }
    return {
        "width": 220,
        "height": 220,
        "padding": {"left": 90, "right": 90, "top": 24, "bottom": 24},
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "arc", "outerRadius": 90, "stroke": "#ffffff"},
                "encoding": {"theta": theta, "color": colour},
            },
            {
                "mark": {"type": "text", "radius": 108, "fontWeight": "bold"},
                "encoding": {"theta": theta, "text": {"field": "text"}},
            },
        ],
    }


def spec_of(panels: list[dict]) -> dict:
    """The whole spec: one panel (its title is the page's heading), or panels one above
    the other, each with its own title."""
    if len(panels) == 1:
        body = {key: value for key, value in panels[0].items() if key != "title"}
    else:
        body = {"vconcat": panels, "spacing": 28}
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "config": CONFIG, **body}


# Rendering -----------------------------------------------------------------------------------

_SVG_OPEN = re.compile(r"<svg\b[^>]*\bviewBox=\"([^\"]+)\"[^>]*>")


def render(spec: dict, *, slug: str, title: str, finding: str, changes: str = "") -> SafeString:
    """The SVG of a spec, inline-ready: an image named by the heading and the finding that
    the page shows beside it (ids `<slug>-heading`, `<slug>-finding`) and described by the
    page's list of stage changes (id `stage-changes`), with its own <title> and <desc> too; scaled by the page (a viewBox, no fixed size). Drawn once per spec (a
    cache keyed by the spec: the same data draws the same picture)."""
    import vl_convert  # a large module: loaded on the first chart, not at start-up

    payload = json.dumps(spec, sort_keys=True, default=str)
    key = f"{CACHE_VERSION}:{hashlib.sha256(payload.encode()).hexdigest()}"
    svg = _cache_get(key)
    if svg is None:
        svg = vl_convert.vegalite_to_svg(json.loads(payload))
        _cache_set(key, svg)
    match = _SVG_OPEN.search(svg)
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sm-chart__svg" '
        f'viewBox="{match.group(1)}" role="img" focusable="false" '
        f'aria-labelledby="{slug}-heading {slug}-finding" aria-describedby="stage-changes">'
        f'<title id="{slug}-svg-title">{html.escape(title)}</title>'
        f'<desc id="{slug}-svg-desc">{html.escape(f"{finding} {changes}".strip())}</desc>'
    )
    # bandit B308,B703 accepted: every text we insert is html.escape()d; the rest is vl-convert's SVG with roles and styles removed.
    return mark_safe(opening + _presentational(svg[match.end() :]))  # nosec B308, B703


_MARK_LABEL = re.compile(r'aria-label="([^"]*)" role="graphics-symbol"')
_MARK_ROLE = re.compile(r' (?:role|aria-roledescription)="[^"]*"')


def _presentational(body: str) -> str:
    """The marks inside are the picture, not objects of their own: the image's name says
    what they show. Vega's per-mark roles go; a point keeps what it stands for in a
    data-label (read by tests that compare the drawing with the table)."""
    return _MARK_ROLE.sub("", _MARK_LABEL.sub(r'data-label="\1"', body))


def _cache_get(key: str) -> str | None:
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - a cache outage only costs a redraw
        return None


def _cache_set(key: str, svg: str) -> None:
    try:
        cache.set(key, svg, 24 * 3600)
    except Exception:  # noqa: BLE001
        pass


def stage_markers(changes: list[dict]) -> list[dict]:
    """One marker per flag and day: a rule at the day's last change, labelled with the
    stages the flag went through that day ("New flow: whitelist, A (5 %)")."""
    grouped: dict[tuple[str, date], list[dict]] = {}
    for change in changes:
        day = timezone.localtime(change["at"]).date()
        grouped.setdefault((change["flag"], day), []).append(change)
    return [
        {
            "at": iso_utc(day_changes[-1]["at"]),
            "label": f"{day_changes[0]['name']}: " + ", ".join(c["label"] for c in day_changes),
        }
        for (flag, _day), day_changes in grouped.items()
    ]
