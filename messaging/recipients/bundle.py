"""The data bundle: one JSON file describing a whole environment.

`bundle_parse(text)` checks the whole file (shape, types, and consistency) and returns
either a `ParsedBundle` ready to store or every problem found, each named by its JSON
path (`veterans[2].sentMessages[0].recipientId: 99 is not one of this veteran's
recipients`). Source formats are parsed and adapted by `messaging.recipients`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from messaging.common.choices import Category
from messaging.models import SUBJECT_MAX_LENGTH
from messaging.recipients.common import AdaptedTeam, path_of
from messaging.recipients.oracle_health import FacilityPools, adapt_pools
from messaging.recipients.registry import CareSystemEntry, Registry
from messaging.recipients.vista import Payload, adapt_payload


class SentMessage(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    recipientId: int
    daysAgo: int = Field(ge=0, le=36500)
    category: Category
    subject: str = Field(min_length=1, max_length=SUBJECT_MAX_LENGTH)
    body: str = Field(min_length=1)


class Prescription(BaseModel):
    """A prescription the veteran may ask to renew (data.md, "Added in 2026")."""

    model_config = ConfigDict(strict=True, extra="forbid")

    prescriptionId: int = Field(gt=0)
    prescriptionName: str = Field(min_length=1, max_length=300)
    sig: str | None = Field(default=None, max_length=1000)
    providerFirstName: str | None = Field(default=None, max_length=100)
    providerLastName: str | None = Field(default=None, max_length=100)
    expirationDate: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    dispensedDate: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    quantity: int | None = Field(default=None, ge=0)
    stationNumber: str | None = Field(default=None, max_length=16)
    careTeamId: int | None = None
    renewable: bool = False


class Signature(BaseModel):
    """The veteran's message signature (data.md, "Added in 2026")."""

    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(default="", max_length=50)
    title: str = Field(default="", max_length=50)
    include: bool = False


class Veteran(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(min_length=1)
    fullName: str = Field(min_length=1, max_length=200)
    vistaRecipients: Payload | None = None
    ohFacilities: list[str] = Field(default_factory=list)
    sentMessages: list[SentMessage] = Field(default_factory=list)
    testAccount: bool = False
    signature: Signature | None = None
    prescriptions: list[Prescription] = Field(default_factory=list)


class Staff(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(min_length=1)
    fullName: str = Field(min_length=1, max_length=200)
    groups: list[str] = Field(default_factory=list)


class Bundle(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    careSystems: list[CareSystemEntry]
    ohPools: list[FacilityPools] = Field(default_factory=list)
    veterans: list[Veteran]
    staff: list[Staff] = Field(default_factory=list)


@dataclass(frozen=True)
class ParsedVeteran:
    data: Veteran
    teams: list[AdaptedTeam]
    oh_systems: list[tuple[str, str]]  # (registered station, care system station), in order


@dataclass(frozen=True)
class ParsedBundle:
    registry: Registry
    care_systems: list[CareSystemEntry]
    pools: list[AdaptedTeam]
    veterans: list[ParsedVeteran]
    staff: list[Staff]


class BundleError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _describe(error: dict) -> str:
    value = error.get("input")
    shown = (
        json.dumps(value)[:60]
        if isinstance(value, str | int | float | bool) or value is None
        else None
    )
    message = error["msg"]
    return f"{shown} — {message}" if shown is not None and error["type"] != "missing" else message


def bundle_parse(text: str | bytes) -> ParsedBundle:
    """Validate the whole bundle; raise BundleError listing every problem with its JSON path."""
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError([f"$: not valid JSON ({exc})"]) from exc
    if nul_paths := list(_strings_with_nul(raw)):
        raise BundleError(
            [f"{path or '$'}: text must not contain NUL characters" for path in nul_paths]
        )
    try:
        # JSON mode: strict types, but JSON arrays are tuples and strings are enum values.
        bundle = Bundle.model_validate_json(text)
    except ValidationError as exc:
        problems = [f"{path_of(tuple(e['loc'])) or '$'}: {_describe(e)}" for e in exc.errors()]
        raise BundleError(problems) from exc
    return _check_consistency(bundle)


def _strings_with_nul(node, loc: tuple = ()):
    """Paths of strings (values or keys) holding NUL, which no database text column takes."""
    if isinstance(node, str):
        if "\x00" in node:
            yield path_of(loc)
    elif isinstance(node, dict):
        for key, value in node.items():
            if "\x00" in key:
                yield path_of(loc)
            yield from _strings_with_nul(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings_with_nul(value, (*loc, index))


def _check_consistency(bundle: Bundle) -> ParsedBundle:
    problems: list[str] = []

    seen_systems: dict[str, int] = {}
    seen_facilities: dict[str, str] = {}
    for i, system in enumerate(bundle.careSystems):
        if system.stationNumber in seen_systems:
            problems.append(
                f"careSystems[{i}].stationNumber: {system.stationNumber} is listed twice"
            )
        seen_systems[system.stationNumber] = i
        for j, facility in enumerate(system.facilities):
            owner = seen_facilities.get(facility)
            if owner and owner != system.stationNumber:
                problems.append(
                    f"careSystems[{i}].facilities[{j}]: {facility} already belongs to {owner}"
                )
            seen_facilities[facility] = system.stationNumber
    registry = Registry.from_entries(bundle.careSystems)

    migrating = {entry.stationNumber for entry in bundle.careSystems if entry.migration}

    def oh_station(station: str, where: str) -> None:
        system = registry.system_for(station)
        if system is None:
            problems.append(f"{where}: {station} is not a station in careSystems")
        elif system.ehr != "oracle_health" and system.station_number not in migrating:
            problems.append(
                f"{where}: {station} belongs to {system.name}, which is not an Oracle Health system"
            )

    pool_ids: dict[int, str] = {}
    for i, facility in enumerate(bundle.ohPools):
        oh_station(facility.stationNumber, f"ohPools[{i}].stationNumber")
        for j, pool in enumerate(facility.pools):
            where = f"ohPools[{i}].pools[{j}]"
            if pool.locationStationNumber:
                oh_station(pool.locationStationNumber, f"{where}.locationStationNumber")
            if pool.poolId in pool_ids:
                problems.append(
                    f"{where}.poolId: {pool.poolId} is already used by {pool_ids[pool.poolId]}"
                )
            pool_ids.setdefault(pool.poolId, where)
    if problems:
        raise BundleError(problems)
    # Pools of a VistA system that is moving to Oracle Health wait for its cutover
    # (transition.md); until transitions are modelled they are accepted, not stored.
    waiting = [
        f for f in bundle.ohPools if registry.system_for(f.stationNumber).ehr != "oracle_health"
    ]
    pools = adapt_pools([f for f in bundle.ohPools if f not in waiting], registry)
    pools_by_system: dict[str, list[AdaptedTeam]] = {}
    for team in pools:
        pools_by_system.setdefault(team.recipient.care_system.station_number, []).append(team)

    usernames: dict[str, str] = {}
    vista_ids: dict[int, str] = {}
    veterans: list[ParsedVeteran] = []
    for i, veteran in enumerate(bundle.veterans):
        where = f"veterans[{i}]"
        if veteran.username in usernames:
            problems.append(
                f"{where}.username: {veteran.username} is already used by {usernames[veteran.username]}"
            )
        usernames.setdefault(veteran.username, where)

        teams = adapt_payload(veteran.vistaRecipients, registry) if veteran.vistaRecipients else []
        ids: dict[int, str] = {}
        for j, team in enumerate(teams):
            team_where = f"{where}.vistaRecipients[1].triageTeam[{j}].triageTeamId"
            rid = team.recipient.id
            if rid in ids:
                problems.append(
                    f"{team_where}: {rid} is already a recipient of this veteran ({ids[rid]})"
                )
            elif rid in pool_ids:
                problems.append(
                    f"{team_where}: {rid} is already the id of the pool at {pool_ids[rid]}"
                )
            ids.setdefault(rid, team_where)
            vista_ids.setdefault(rid, team_where)

        oh_systems: list[tuple[str, str]] = []
        for j, station in enumerate(veteran.ohFacilities):
            before = len(problems)
            oh_station(station, f"{where}.ohFacilities[{j}]")
            if len(problems) > before:
                continue
            system = registry.system_for(station)
            assert system is not None
            if any(s == station for s, _ in oh_systems):
                problems.append(f"{where}.ohFacilities[{j}]: {station} is listed twice")
                continue
            oh_systems.append((station, system.station_number))
            for pool in pools_by_system.get(system.station_number, []):
                if pool.recipient.id in ids:
                    problems.append(
                        f"{where}.ohFacilities[{j}]: pool {pool.recipient.id} at {station} has the same id "
                        f"as {ids[pool.recipient.id]}"
                    )
                ids.setdefault(pool.recipient.id, f"pool at {station}")

        for j, message in enumerate(veteran.sentMessages):
            rid = message.recipientId
            if rid not in ids:
                hint = " (a pool that is not offered)" if rid in pool_ids else ""
                problems.append(
                    f"{where}.sentMessages[{j}].recipientId: {rid} is not one of this veteran's recipients{hint}"
                )
        veterans.append(ParsedVeteran(data=veteran, teams=teams, oh_systems=oh_systems))

    for i, staff in enumerate(bundle.staff):
        if staff.username in usernames:
            problems.append(
                f"staff[{i}].username: {staff.username} is already used by {usernames[staff.username]}"
            )
        usernames.setdefault(staff.username, f"staff[{i}]")

    if problems:
        raise BundleError(problems)
    return ParsedBundle(
        registry=registry,
        care_systems=list(bundle.careSystems),
        pools=pools,
        veterans=veterans,
        staff=list(bundle.staff),
    )
