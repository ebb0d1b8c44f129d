"""Metric events: stored for the built-in dashboard and, when DOGSTATSD_HOST is set, sent to
a DogStatsD agent over UDP. Recording never blocks or fails a request. No subject, body or
name ever goes into a metric."""

from __future__ import annotations

import logging
import re
import socket
import time

from django.conf import settings

from messaging.models import MetricEvent

log = logging.getLogger(__name__)

DRAFT_CREATED = "draft_created"
DRAFT_UPDATED = "draft_updated"
DRAFT_DELETED = "draft_deleted"
MESSAGE_SENT = "message_sent"
LATENCY = "latency"
PAGE_VIEW = "page_view"
INTERACTION = "interaction"
# What the beacon script may report (rollout.md: "RUM clicks" and page views).
INTERACTIONS = frozenset(
    {
        "care-system-changed",
        "update-contact-list",
        "cant-find-care-team",
        "select-different-care-team",
    }
)
WRITE_EVENTS = (DRAFT_CREATED, DRAFT_UPDATED, DRAFT_DELETED, MESSAGE_SENT)
_TAG_SAFE = str.maketrans({c: "_" for c in ",|#:@\n "})

_socket: socket.socket | None = None
_MOBILE_AGENT = re.compile(r"Mobi|Android|iPhone|iPad|iPod", re.IGNORECASE)


def device_of(request) -> str:
    """ "mobile" or "desktop" from the User-Agent (only this class is kept, never the agent)."""
    agent = request.headers.get("User-Agent", "") if request is not None else ""
    if not agent:
        return ""
    return "mobile" if _MOBILE_AGENT.search(agent) else "desktop"


def statsd_line(name: str, value: float, kind: str, tags: dict[str, object]) -> str:
    """One DogStatsD datagram line: `sm.<name>:<value>|<kind>|#k:v,...`."""
    tag_text = ",".join(
        f"{k}:{str(v).translate(_TAG_SAFE)}" for k, v in tags.items() if v not in (None, "")
    )
    number = int(value) if float(value).is_integer() else round(value, 3)
    return f"sm.{name}:{number}|{kind}" + (f"|#{tag_text}" if tag_text else "")


def _send_statsd(line: str) -> None:
    global _socket
    host = settings.DOGSTATSD_HOST
    if not host:
        return
    try:
        if _socket is None:
            _socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            _socket.setblocking(False)
        _socket.sendto(line.encode(), (host, settings.DOGSTATSD_PORT))
    except OSError:  # no agent, full buffer, bad address: metrics must never hurt a request
        log.debug("dogstatsd send failed", exc_info=True)


def record(
    name: str,
    *,
    flow: str = "",
    platform: str = "",
    status_code: int | None = None,
    value: float | None = None,
    page: str = "",
    veteran_id: int | None = None,
    device: str = "",
) -> None:
    """Store one event and export it. Never raises."""
    try:
        MetricEvent.objects.create(
            name=name,
            flow=flow,
            platform=platform,
            status_code=status_code,
            value=value,
            page=page[:60],
            veteran_id=veteran_id,
            device=device,
        )
    except Exception:  # noqa: BLE001 - a metric must not fail the request it describes
        log.warning("metric %s not stored", name, exc_info=True)
    tags = {
        "flow": flow,
        "platform": platform,
        "status": status_code,
        "page": page,
        "device": device,
    }
    if name == LATENCY:
        _send_statsd(statsd_line("request.latency", value or 0, "ms", tags))
    else:
        _send_statsd(statsd_line(f"{name}", 1, "c", tags))


def record_request(
    name: str,
    *,
    flow: str,
    platform: str,
    status_code: int,
    started: float,
    veteran_id: int | None,
    device: str = "",
) -> None:
    """A draft or send request: the event with its status and, on the curated (new) flow,
    its latency. `started` is `time.perf_counter()` at the start of the request."""
    record(
        name,
        flow=flow,
        platform=platform,
        status_code=status_code,
        veteran_id=veteran_id,
        device=device,
    )
    if flow == "curated":
        elapsed_ms = (time.perf_counter() - started) * 1000
        record(
            LATENCY,
            flow=flow,
            platform=platform,
            status_code=status_code,
            value=elapsed_ms,
            page=name,
            device=device,
        )
