"""The QA tools' writes (qa.md): test veterans from scenarios or inline entries, reset,
delete, overrides and one-time sign-in links. Each public function is one transaction,
acts only on test veterans and writes its audit entry."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from messaging.common.choices import Ehr
from messaging.models import (
    CareTeam,
    CsatResponse,
    DismissedNameChange,
    Message,
    MetricEvent,
    TestVeteran,
)
from messaging.recipients.bundle import BundleError, bundle_parse
from messaging.recipients.registry import CareSystemEntry
from messaging.rollout import audit
from messaging.rollout.flags import ALL_FLAGS
from messaging.selectors.registry import loaded_care_systems, loaded_pool_ids
from messaging.services.attachments import files_delete
from messaging.services.bundle import bundle_load

from .links import link_create
from .scenarios import SCENARIOS, scenario_bundle
from .selectors import test_veteran_get

MAX_OFFSET_DAYS = 36500


class QaError(Exception):
    """A request the QA tools refuse: `field` names what was wrong, `status` the HTTP answer."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


@dataclass(frozen=True)
class CreatedVeteran:
    user: object
    password: str
    link_token: str


# --- what the loaded registry already holds ------------------------------------------------


def _resolver(entries: list[dict]):
    by_station: dict[str, str] = {}
    for entry in entries:
        by_station.setdefault(entry["stationNumber"], entry["stationNumber"])
        for facility in entry.get("facilities") or []:
            by_station.setdefault(facility, entry["stationNumber"])
    return by_station.get


def _stations_of(veteran: dict) -> set[str]:
    stations = set(veteran.get("ohFacilities") or [])
    payload = veteran.get("vistaRecipients") or []
    if len(payload) == 2 and isinstance(payload[1], dict):
        stations |= {t.get("stationNumber") for t in payload[1].get("triageTeam") or []}
    return {s for s in stations if isinstance(s, str)}


def _scenario_needs(source: dict, loaded: list[CareSystemEntry]) -> dict:
    """The scenario as a bundle holding only what the deployment lacks: care systems the
    veteran uses that are not loaded, and the pools of those without pools. Loaded systems
    and pools are never overwritten (other testers and real veterans use them)."""
    loaded_stations = {entry.stationNumber for entry in loaded}
    for entry in loaded:
        loaded_stations |= set(entry.facilities)
    system_of = _resolver(source["careSystems"])
    used = {system_of(s) for s in _stations_of(source["veteran"])} - {None}
    missing = [
        entry
        for entry in source["careSystems"]
        if entry["stationNumber"] in used and entry["stationNumber"] not in loaded_stations
    ]
    with_pools = set(
        CareTeam.objects.filter(per_facility=True)
        .values_list("care_system__station_number", flat=True)
        .distinct()
    )
    # Pools come with the systems added here, or for a loaded Oracle Health system without
    # any; a loaded VistA system's future pools (a migration) are its registry's business.
    adding = {entry["stationNumber"] for entry in missing}
    oh_loaded = {entry.stationNumber for entry in loaded if entry.ehr == Ehr.ORACLE_HEALTH}
    pools = [
        facility
        for facility in source.get("ohPools", [])
        if (system := system_of(facility["stationNumber"])) in used
        and system not in with_pools
        and (system in adding or system in oh_loaded)
    ]
    return {"careSystems": missing, "ohPools": pools, "veteran": source["veteran"]}


# --- storing a test veteran ----------------------------------------------------------------


def _as_bundle(entry: dict, *, username: str, password: str) -> str:
    veteran = {**entry["veteran"], "username": username, "password": password, "testAccount": True}
    return json.dumps(
        {
            "careSystems": entry.get("careSystems", []),
            "ohPools": entry.get("ohPools", []),
            "veterans": [veteran],
        }
    )


def _request_path(problem: str) -> tuple[str, str]:
    """A loader problem ("veterans[0].fullName: ...") named as the request's field."""
    path, _, message = problem.partition(": ")
    path = path.replace("veterans[0]", "veteran", 1)
    return path, message or problem


def _parse(entry: dict, *, username: str, password: str, source: str):
    try:
        parsed = bundle_parse(
            _as_bundle(entry, username=username, password=password),
            loaded=loaded_care_systems(),
            loaded_pools=loaded_pool_ids(),
        )
    except BundleError as exc:
        if source == "inline":
            field, message = _request_path(exc.problems[0])
            more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            raise QaError(f"{field}: {message}{more}", field=field) from exc
        raise QaError(
            f"scenario {source} does not fit the loaded data: {exc.problems[0]}",
            field="scenario",
            status=409,
        ) from exc
    _refuse_changed_teams(parsed, source=source)
    return parsed


def _refuse_changed_teams(parsed, *, source: str) -> None:
    """A test veteran never changes a team other accounts see: an id already stored must
    name the same team (source, station and name)."""
    veteran = parsed.veterans[0]
    wanted = {team.recipient.id: (index, team) for index, team in enumerate(veteran.teams)}
    wanted.update({team.recipient.id: (None, team) for team in parsed.pools})
    stored = CareTeam.objects.filter(upstream_id__in=wanted).values_list(
        "upstream_id", "source", "station_number", "name"
    )
    for upstream_id, team_source, station, name in stored:
        index, team = wanted[upstream_id]
        if (team_source, station, name) != (
            team.recipient.source,
            team.station_number,
            team.recipient.name,
        ):
            field = (
                f"veteran.vistaRecipients[1].triageTeam[{index}].triageTeamId"
                if index is not None
                else "scenario"
            )
            raise QaError(
                f"{field}: {upstream_id} is already the id of another care team ({name})",
                field=field,
                status=409 if source != "inline" else 422,
            )


def _new_username(scenario: str) -> str:
    User = get_user_model()
    while True:
        username = f"qa-{scenario}-{secrets.token_hex(4)}"
        if not User.objects.filter(username=username).exists():
            return username


def test_veteran_create(*, actor, scenario: str | None = None, veteran: dict | None = None):
    """A fresh test veteran from a named scenario or an inline veteran entry (its stations
    in the loaded registry), with a unique `qa-<scenario>-<random>` username, a password
    and a one-time sign-in link. Retried once when a concurrent creation stored the same
    missing care system first."""
    if (scenario is None) == (veteran is None):
        raise QaError("give either scenario or veteran", field="scenario", status=400)
    if scenario is not None and scenario not in SCENARIOS:
        raise QaError(
            f"scenario: unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}",
            field="scenario",
        )
    if veteran is not None and not isinstance(veteran, dict):
        raise QaError("veteran: must be a veteran entry (an object)", field="veteran")
    for attempt in (1, 2):
        try:
            return _create(actor=actor, scenario=scenario, veteran=veteran)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def _create(*, actor, scenario: str | None, veteran: dict | None) -> CreatedVeteran:
    if scenario is not None:
        entry = _scenario_needs(scenario_bundle(scenario), loaded_care_systems())
        name = scenario
    else:
        extra = sorted(set(veteran) & {"username", "password"})
        if extra:
            raise QaError(
                f"veteran.{extra[0]}: not allowed (the QA tools choose it)",
                field=f"veteran.{extra[0]}",
            )
        entry = {"careSystems": [], "ohPools": [], "veteran": veteran}
        name = TestVeteran.INLINE
    username, password = _new_username(name), secrets.token_urlsafe(18)
    parsed = _parse(entry, username=username, password=password, source=scenario or "inline")
    bundle_load(bundle=parsed)
    user = get_user_model().objects.get(username=username)
    if not user.has_usable_password():  # a loader that never sets one from a file
        user.set_password(password)
        user.save(update_fields=["password"])
    # Reset stores the veteran again; the systems and pools stay loaded.
    TestVeteran.objects.update_or_create(
        user=user,
        defaults={
            "scenario": name,
            "created_by": actor,
            "entry": {"veteran": entry["veteran"]},
        },
    )
    TestVeteran.forget(user.pk)
    audit.record(
        audit.Action.QA_VETERAN_CREATED,
        actor=actor,
        target_type="user",
        target_id=username,
        detail={"scenario": name},
    )
    return CreatedVeteran(
        user=user, password=password, link_token=link_create(actor=actor, user=user)
    )


@transaction.atomic
def test_veteran_reset(*, actor, username: str) -> None:
    """Drafts, sent messages, contact list, dismissed notices and overrides back to the
    scenario's state (sent messages dated again from today)."""
    user = test_veteran_get(username=username)
    record = TestVeteran.objects.select_for_update().get(user=user)
    _remove_messages(user)
    DismissedNameChange.objects.filter(veteran=user).delete()
    record.flag_overrides, record.today_offset_days = {}, None
    record.save(update_fields=["flag_overrides", "today_offset_days"])
    parsed = _parse(
        {"veteran": record.entry["veteran"]},
        username=username,
        password=secrets.token_urlsafe(18),  # never stored: keep_passwords
        source=record.scenario,
    )
    bundle_load(bundle=parsed, keep_passwords=True)
    TestVeteran.forget(user.pk)
    audit.record(audit.Action.QA_VETERAN_RESET, actor=actor, target_type="user", target_id=username)


def _remove_messages(user) -> None:
    messages = Message.objects.filter(veteran=user)
    names = [
        name
        for name in messages.values_list("attachments__file", flat=True)
        if name  # messages without attachments give None
    ]
    messages.delete()
    transaction.on_commit(lambda: files_delete(names))


@transaction.atomic
def test_veteran_delete(*, actor, username: str) -> None:
    """Remove the test veteran and everything it wrote; its sessions, tokens and links stop
    working at once (the account is gone)."""
    user = test_veteran_get(username=username)
    _remove_messages(user)
    MetricEvent.objects.filter(veteran_id=user.pk).delete()
    CsatResponse.objects.filter(veteran_id=user.pk).delete()
    user_id = user.pk
    user.delete()
    TestVeteran.forget(user_id)
    audit.record(
        audit.Action.QA_VETERAN_DELETED, actor=actor, target_type="user", target_id=username
    )


def overrides_check(data) -> dict:
    """The overrides body checked: {"flags": {flag: true|false|null}, "todayOffsetDays":
    int|null}; either key may be left out (unchanged)."""
    if not isinstance(data, dict):
        raise QaError("the body must be a JSON object", field="body", status=400)
    unknown = sorted(set(data) - {"flags", "todayOffsetDays"})
    if unknown:
        raise QaError(f"{unknown[0]}: unknown field", field=unknown[0])
    checked: dict = {}
    if "flags" in data:
        flags = data["flags"]
        if not isinstance(flags, dict):
            raise QaError("flags: must be an object of flag names", field="flags")
        for name, value in flags.items():
            if name not in ALL_FLAGS:
                raise QaError(
                    f"flags.{name}: unknown flag; one of {', '.join(ALL_FLAGS)}",
                    field=f"flags.{name}",
                )
            if value is not None and not isinstance(value, bool):
                raise QaError(f"flags.{name}: must be true, false or null", field=f"flags.{name}")
        checked["flags"] = dict(flags)
    if "todayOffsetDays" in data:
        offset = data["todayOffsetDays"]
        if offset is not None and (
            isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > MAX_OFFSET_DAYS
        ):
            raise QaError(
                f"todayOffsetDays: must be a whole number of days within ±{MAX_OFFSET_DAYS}, or null",
                field="todayOffsetDays",
            )
        checked["todayOffsetDays"] = offset
    return checked


@transaction.atomic
def overrides_set(*, actor, username: str, data) -> TestVeteran:
    """Set this test veteran's flag overrides and clock offset (null clears one)."""
    changes = overrides_check(data)
    user = test_veteran_get(username=username)
    record = TestVeteran.objects.select_for_update().get(user=user)
    flags = dict(record.flag_overrides)
    for name, value in changes.get("flags", {}).items():
        if value is None:
            flags.pop(name, None)
        else:
            flags[name] = value
    record.flag_overrides = flags
    if "todayOffsetDays" in changes:
        record.today_offset_days = changes["todayOffsetDays"]
    record.save(update_fields=["flag_overrides", "today_offset_days"])
    TestVeteran.forget(user.pk)
    audit.record(
        audit.Action.QA_OVERRIDES_SET,
        actor=actor,
        target_type="user",
        target_id=username,
        detail={"flags": flags, "todayOffsetDays": record.today_offset_days},
    )
    return record
