"""Staged rollout over the waffle flags: stages, guards, rollback and history (rollout.md).

A flag's stage is read from its waffle fields: `everyone=False` is off (a rollback, which
beats everything), a percentage is stage A-E, users or groups alone are the whitelist, and
so is an empty whitelist the service put the flag in (`Flag.stage`). Percentages are
sticky per veteran (`messaging.models.Flag`). Test veterans' traffic never counts in the
criteria unless asked for (`messaging.rollout.traffic`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from messaging.common.choices import Flow
from messaging.models import Flag, FlagChange, StageReport
from messaging.rollout import audit, daily, rollups
from messaging.rollout.flags import ALL_FLAGS
from messaging.rollout.telemetry import MESSAGE_SENT

STAGES = ("off", "whitelist", "A", "B", "C", "D", "E")
PERCENT = {"A": 5, "B": 25, "C": 50, "D": 75, "E": 100}
ALIASES = {str(p): stage for stage, p in PERCENT.items()}
MIN_REQUESTS = 20  # per flow, before the error-rate test can pass
Z_CRITICAL = 1.645  # one-sided, 5 %


class RolloutError(Exception):
    pass


def stage_name(value: str) -> str:
    stage = ALIASES.get(str(value).strip().rstrip("%"), str(value).strip())
    stage = stage.upper() if stage.upper() in PERCENT else stage.lower()
    if stage not in STAGES:
        raise RolloutError(
            f"unknown stage {value!r}: use off, whitelist, A-E or 5, 25, 50, 75, 100"
        )
    return stage


def _known(name: str) -> str:
    if name not in ALL_FLAGS:
        raise RolloutError(f"unknown flag {name!r}: {', '.join(ALL_FLAGS)}")
    return name


def _flag(name: str) -> Flag:
    """The flag's row for a change (made if missing: a flushed test database has none)."""
    flag, _ = Flag.objects.get_or_create(name=_known(name))
    return flag


def flag_state(name: str) -> dict:
    """The flag's whole state, read only: a flag without a row is off (reads never write)."""
    flag = Flag.objects.filter(name=_known(name)).first()
    if flag is None:
        return {
            "flag": name,
            "stage": "off",
            "percent": 0.0,
            "everyone": None,
            "whitelist_users": [],
            "whitelist_groups": [],
        }
    return state_of(flag)


def state_of(flag: Flag) -> dict:
    """The flag's whole state, as printed and stored in the history."""
    users = sorted(flag.users.values_list("username", flat=True))
    groups = sorted(flag.groups.values_list("name", flat=True))
    if flag.everyone is False:
        stage = "off"
    elif flag.everyone is True:
        stage = "E"
    elif flag.percent:
        stage = next((s for s, p in PERCENT.items() if float(flag.percent) <= p), "E")
    elif users or groups or flag.stage == "whitelist":
        stage = "whitelist"  # an emptied whitelist stays the whitelist stage
    else:
        stage = "off"
    return {
        "flag": flag.name,
        "stage": stage,
        "percent": float(flag.percent) if flag.percent else (100.0 if flag.everyone else 0.0),
        "everyone": flag.everyone,
        "whitelist_users": users,
        "whitelist_groups": groups,
    }


@dataclass(frozen=True)
class Criterion:
    name: str
    passed: bool
    detail: str


def error_rate_criterion(*, since, until=None, include_test: bool = False) -> Criterion:
    """Share of failed draft and send requests, new flow vs base, one-sided two-proportion
    z-test: fails when the new flow's rate is higher with z > 1.645 (p < 0.05), or when
    either flow has fewer than MIN_REQUESTS requests."""
    counts = {
        r["flow"]: (r["requests"], r["failed"])
        for r in daily.write_requests(since=since, until=until, include_test=include_test)
    }
    (n1, f1), (n0, f0) = counts.get(Flow.CURATED, (0, 0)), counts.get(Flow.LEGACY, (0, 0))
    if n1 < MIN_REQUESTS or n0 < MIN_REQUESTS:
        return Criterion(
            "error rate",
            False,
            f"not enough data: {n1} new-flow and {n0} base-flow requests (need {MIN_REQUESTS} each)",
        )
    p1, p0 = f1 / n1, f0 / n0
    pooled = (f1 + f0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0)) or 1e-9
    z = (p1 - p0) / se
    passed = not (p1 > p0 and z > Z_CRITICAL)
    return Criterion(
        "error rate",
        passed,
        f"new {p1:.1%} of {n1} vs base {p0:.1%} of {n0}; two-proportion z = {z:.2f} (fails above {Z_CRITICAL})",
    )


MIN_CSAT = 5  # responses per flow
CSAT_MARGIN = 0.5  # the new flow may score at most this much below the base flow
MIN_COVERAGE = 0.99


def collection_criterion(*, since, until=None, include_test: bool = False) -> Criterion:
    """Every message sent on the new flow produced its metric: successful message_sent
    events (first sends only: replays and 429s have their own names) over messages stored
    as sent on the curated flow."""
    sent = daily.sent_messages(since=since, until=until, include_test=include_test)
    stored = sum(r["messages"] for r in sent if r["flow"] == Flow.CURATED)
    recorded = rollups.count(
        since=since,
        until=until,
        where=Q(name=MESSAGE_SENT, flow=Flow.CURATED, status_code__lt=400),
        include_test=include_test,
    )
    if not stored:
        return Criterion("collection", False, "no message sent on the new flow yet")
    # Sent messages deleted since leave their metric behind: more metrics than messages is
    # full coverage, never more than 100 %.
    coverage = min(recorded, stored) / stored
    return Criterion(
        "collection",
        coverage >= MIN_COVERAGE,
        f"{recorded} send metrics for {stored} sent messages ({coverage:.1%}; needs {MIN_COVERAGE:.0%})",
    )


def csat_criterion(*, since, until=None, include_test: bool = False) -> Criterion:
    """Satisfaction: the new flow's average may be at most CSAT_MARGIN below the base's."""
    stats = {
        r["flow"]: {"n": r["responses"], "avg": r["average"]}
        for r in daily.csat_responses(since=since, until=until, include_test=include_test)
    }
    new, base = stats.get(Flow.CURATED), stats.get(Flow.LEGACY)
    if not new or not base or new["n"] < MIN_CSAT or base["n"] < MIN_CSAT:
        counts = (
            f"{new['n'] if new else 0} new-flow and {base['n'] if base else 0} base-flow responses"
        )
        return Criterion("CSAT", False, f"not enough data: {counts} (need {MIN_CSAT} each)")
    passed = new["avg"] >= base["avg"] - CSAT_MARGIN
    return Criterion(
        "CSAT",
        passed,
        f"new {new['avg']:.2f} ({new['n']}) vs base {base['avg']:.2f} ({base['n']}); may be at most {CSAT_MARGIN} lower",
    )


def platforms_criterion(*, since, until=None, include_test: bool = False) -> Criterion:
    """Messages are submitted on the new flow from every platform that submits on the base flow."""
    by_flow: dict[str, set] = {}
    for row in daily.sent_messages(since=since, until=until, include_test=include_test):
        by_flow.setdefault(row["flow"], set()).add(row["platform"])
    missing = sorted(by_flow.get(Flow.LEGACY, set()) - by_flow.get(Flow.CURATED, set()))
    seen = ", ".join(sorted(by_flow.get(Flow.CURATED, set()))) or "none"
    if missing:
        return Criterion(
            "messages per platform",
            False,
            f"no new-flow messages from {', '.join(missing)} (new flow: {seen})",
        )
    return Criterion(
        "messages per platform", bool(by_flow.get(Flow.CURATED)), f"new-flow messages from: {seen}"
    )


def stage_started(name: str):
    change = FlagChange.objects.filter(flag=name).first()
    return change.at if change else timezone.now() - timedelta(days=30)


def criteria(name: str, *, include_test: bool = False) -> list[Criterion]:
    """The current stage's success criteria (none while off)."""
    if flag_state(name)["stage"] == "off":
        return []
    return stage_criteria(since=stage_started(name), until=None, include_test=include_test)


@transaction.atomic
def _change(name: str, *, actor: str, reason: str, forced: bool, apply) -> dict:
    flag = Flag.objects.select_for_update().get(pk=_flag(name).pk)
    before = state_of(flag)
    apply(flag)
    flag.save()
    after = state_of(flag)
    change = FlagChange.objects.create(
        flag=name, actor=actor, from_state=before, to_state=after, reason=reason, forced=forced
    )
    audit.record(
        audit.Action.FLAG_CHANGED,
        actor=actor,
        target_type="flag",
        target_id=name,
        detail={
            "from": before["stage"],
            "to": after["stage"],
            "reason": reason,
            "forced": forced,
            "flag_change": change.pk,
        },
    )
    return after


def set_stage(name: str, stage: str, *, actor: str, reason: str = "", force: bool = False) -> dict:
    """Move a flag to a stage. Moving up while the current stage's criteria fail is refused
    unless forced with a reason; moving down (or off) is always allowed."""
    stage = stage_name(stage)
    current = state_of(_flag(name))["stage"]
    if STAGES.index(stage) > STAGES.index(current) and current != "off":
        failing = [c for c in criteria(name) if not c.passed]
        if failing and not force:
            raise RolloutError(
                "refused: "
                + "; ".join(f"{c.name}: {c.detail}" for c in failing)
                + '. Use --force --reason "..." to advance anyway.'
            )
        if failing and not reason.strip():
            raise RolloutError("--force needs --reason")
        forced = bool(failing)
    else:
        forced = False

    def apply(flag: Flag) -> None:
        # E is "everyone" (waffle's percent field stops at 99.9); off is everyone-off.
        flag.everyone = {"off": False, "E": True}.get(stage)
        flag.percent = PERCENT[stage] if stage in PERCENT and stage != "E" else None
        flag.stage = stage

    return _change(name, actor=actor, reason=reason, forced=forced, apply=apply)


def next_stage(stage: str) -> str | None:
    """The stage after this one (None at E)."""
    return None if stage == "E" else STAGES[STAGES.index(stage) + 1]


def advance(name: str, *, actor: str, reason: str = "", force: bool = False) -> dict:
    current = state_of(_flag(name))["stage"]
    if current == "E":
        raise RolloutError("already at E (100 %)")
    return set_stage(
        name, STAGES[STAGES.index(current) + 1], actor=actor, reason=reason, force=force
    )


def rollback(name: str, *, actor: str, reason: str = "") -> dict:
    """Off for everyone, whitelist included, on the next request of every process."""
    return set_stage(name, "off", actor=actor, reason=reason or "rollback")


def whitelist(name: str, who: str, *, add: bool, actor: str) -> dict:
    """Add or remove a user (by username) or a group (by name) on the flag's whitelist."""
    user = get_user_model().objects.filter(username=who).first()
    group = None if user else Group.objects.filter(name=who).first()
    if user is None and group is None:
        raise RolloutError(f"no user or group named {who!r}")

    def apply(flag: Flag) -> None:
        target = flag.users if user else flag.groups
        (target.add if add else target.remove)(user or group)
        if add and flag.everyone is not True and not flag.percent:
            flag.everyone = None  # from off to the whitelist stage
            flag.stage = "whitelist"
        # Removing the last name keeps the stage: the whitelist is empty, not "off".

    verb = "add" if add else "remove"
    return _change(name, actor=actor, reason=f"whitelist {verb} {who}", forced=False, apply=apply)


def history(name: str, limit: int = 20):
    return list(FlagChange.objects.filter(flag=name)[:limit])


def stage_report_save(name: str, stage: str, *, actor: str, **fields) -> StageReport:
    """Staff's part of a stage report: planned dates and what they learned."""
    _flag(name)
    report, _ = StageReport.objects.update_or_create(
        flag=name, stage=stage_name(stage), defaults={**fields, "updated_by": actor}
    )
    return report


def stage_periods(name: str) -> list[dict]:
    """Each stage the flag has been in, oldest first: when it began and ended (None: now)."""
    changes = list(FlagChange.objects.filter(flag=name).order_by("at", "pk"))
    periods = []
    for index, change in enumerate(changes):
        stage = change.to_state.get("stage")
        if change.from_state.get("stage") == stage:
            continue  # e.g. a whitelist edit within the stage
        end = next((c.at for c in changes[index + 1 :] if c.to_state.get("stage") != stage), None)
        periods.append(
            {
                "stage": stage,
                "start": change.at,
                "end": end,
                "percent": change.to_state.get("percent"),
            }
        )
    return periods


def stage_criteria(*, since, until, include_test: bool = False) -> list[Criterion]:
    window = {"since": since, "until": until, "include_test": include_test}
    return [
        collection_criterion(**window),
        error_rate_criterion(**window),
        csat_criterion(**window),
        platforms_criterion(**window),
    ]
