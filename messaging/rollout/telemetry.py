"""Metric events: stored for the built-in dashboard and, when DOGSTATSD_HOST is set, sent to
a DogStatsD agent through the `datadog` package's client (UDP, a non-blocking socket, no
buffering). Recording never blocks or fails a request. No subject, body or name ever goes
into a metric."""

from __future__ import annotations

import logging
import re
import time

from datadog.dogstatsd import DogStatsd
from django.conf import settings

from messaging.models import MetricEvent, TestVeteran

log = logging.getLogger(__name__)

DRAFT_CREATED = "draft_created"
DRAFT_UPDATED = "draft_updated"
DRAFT_DELETED = "draft_deleted"
MESSAGE_SENT = "message_sent"
# Not drafts or sends (each criterion compares like with like, rollout.md):
MESSAGE_DELETED = "message_deleted"  # a sent or received message deleted (API DELETE)
SEND_REPLAYED = "message_send_replayed"  # a repeated send answered with the first one
RATE_LIMITED = "rate_limited"  # a draft save or send refused with 429 (page: which)
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
# Facility transitions (transition.md): an alert shown (once per page view and moving
# system), and a draft or send refused because the team's system is locked.
MIGRATION_ALERT_SHOWN = "migration_alert_shown"
MIGRATION_REFUSED = "migration_refused"
_TAG_SAFE = str.maketrans({c: "_" for c in ",|#:@\n "})

_client: tuple[tuple[str, int], DogStatsd] | None = None
_MOBILE_AGENT = re.compile(r"Mobi|Android|iPhone|iPad|iPod", re.IGNORECASE)


def device_of(request) -> str:
    """ "mobile" or "desktop" from the User-Agent (only this class is kept, never the agent)."""
    agent = request.headers.get("User-Agent", "") if request is not None else ""
    if not agent:
        return ""
    return "mobile" if _MOBILE_AGENT.search(agent) else "desktop"


def write_event(intended: str, *, status_code: int, replayed: bool = False) -> str:
    """The event a draft or send request is recorded as: a 429 is a refusal, not a write,
    and a replayed send is not a second send."""
    if status_code == 429:
        return RATE_LIMITED
    if replayed and intended == MESSAGE_SENT:
        return SEND_REPLAYED
    return intended


def _tags(tags: dict[str, object]) -> list[str]:
    return [f"{k}:{str(v).translate(_TAG_SAFE)}" for k, v in tags.items() if v not in (None, "")]


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


def _statsd() -> DogStatsd | None:
    """One client per agent address (DOGSTATSD_HOST/PORT), made when first needed."""
    global _client
    host = settings.DOGSTATSD_HOST
    if not host:
        return None
    address = (host, int(settings.DOGSTATSD_PORT))
    if _client is None or _client[0] != address:
        _client = (
            address,
            DogStatsd(
                host=host,
                port=address[1],
                namespace="sm",
                disable_buffering=True,  # each metric leaves at once; no flush thread
                disable_telemetry=True,  # no client self-metrics on the wire
                origin_detection_enabled=False,
                socket_timeout=0,  # non-blocking: a full buffer drops, never waits
            ),
        )
    return _client[1]


def _export(name: str, value: float | None, tags: dict[str, object]) -> None:
    try:
        client = _statsd()
        if client is None:
            return
        if name == LATENCY:
            client.timing("request.latency", _number(value or 0), tags=_tags(tags))
        else:
            client.increment(name, tags=_tags(tags))
    except Exception:  # noqa: BLE001 - no agent, bad address: metrics must never hurt a request
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
    test: bool | None = None,
    phase: str = "",
    station: str = "",
    renewal: bool = False,
) -> None:
    """Store one event and export it. Never raises. A test veteran's event is tagged
    `test` (qa.md): the rollout figures leave it out by default."""
    try:
        if test is None:
            test = TestVeteran.state_for_id(veteran_id).test
        MetricEvent.objects.create(
            test=test,
            name=name,
            flow=flow,
            platform=platform,
            status_code=status_code,
            value=value,
            page=page[:60],
            veteran_id=veteran_id,
            device=device,
            phase=phase,
            station=station,
            renewal=renewal,
        )
    except Exception:  # noqa: BLE001 - a metric must not fail the request it describes
        log.warning("metric %s not stored", name, exc_info=True)
    tags = {
        "flow": flow,
        "platform": platform,
        "status": status_code,
        "page": page,
        "device": device,
        "test": "true" if test else "",
        "phase": phase,
        "station": station,
        "renewal": "true" if renewal else "",
    }
    _export(name, value, tags)


def record_request(
    name: str,
    *,
    flow: str,
    platform: str,
    status_code: int,
    started: float,
    veteran_id: int | None,
    device: str = "",
    replayed: bool = False,
    renewal: bool = False,
) -> None:
    """A draft, send or delete request: the event with its status and its latency on either
    flow (the dashboard sets the new flow's beside the base flow's). A 429 is recorded as RATE_LIMITED and a replayed send as SEND_REPLAYED
    (page: the write they stand for), without latency. `started` is `time.perf_counter()` at
    the start of the request. Medication
    renewal drafts and sends carry `renewal` (flow.md 9)."""
    try:
        test = TestVeteran.state_for_id(veteran_id).test
    except Exception:  # noqa: BLE001 - as in record(): never fail the request
        test = False
    event = write_event(name, status_code=status_code, replayed=replayed)
    record(
        event,
        flow=flow,
        platform=platform,
        status_code=status_code,
        veteran_id=veteran_id,
        device=device,
        page="" if event == name else name,
        test=test,
        renewal=renewal,
    )
    if event == name:  # replays and 429s carry no latency
        elapsed_ms = (time.perf_counter() - started) * 1000
        record(
            LATENCY,
            flow=flow,
            platform=platform,
            status_code=status_code,
            value=elapsed_ms,
            page=name,
            device=device,
            test=test,
        )


def record_migration_alerts(moving_systems, *, page: str, request) -> None:
    """One `migration_alert_shown` per moving system an alert on this page view names, with
    its phase and station."""
    user = getattr(request, "user", None)
    for moving in moving_systems:
        record(
            MIGRATION_ALERT_SHOWN,
            page=page,
            phase=moving.phase,
            station=moving.system.station_number,
            veteran_id=user.pk if user is not None and user.is_authenticated else None,
            device=device_of(request),
        )


def record_refusal(moving, *, event: str, request) -> None:
    """A draft (`event` draft_created/draft_updated) or a send refused because the team's care
    system is locked by its move to Oracle Health."""
    user = getattr(request, "user", None)
    record(
        MIGRATION_REFUSED,
        page=event,
        phase=moving.phase,
        station=moving.system.station_number,
        veteran_id=user.pk if user is not None and user.is_authenticated else None,
        device=device_of(request),
    )
