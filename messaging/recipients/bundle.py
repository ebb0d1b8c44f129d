"""The data bundle: one JSON file describing a whole environment.

`bundle_parse(text)` checks the whole file (shape, types, and consistency) and returns
either a `ParsedBundle` ready to store or every problem found, each named by its JSON
path (`veterans[2].sentMessages[0].recipientId: 99 is not one of this veteran's
recipients`). Source formats are parsed and adapted by `messaging.recipients`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from messaging.common.choices import Category, Ehr
from messaging.models import BODY_MAX_LENGTH, SIGNATURE_FIELD_MAX_LENGTH, SUBJECT_MAX_LENGTH
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
    body: str = Field(min_length=1, max_length=BODY_MAX_LENGTH)


class Prescription(BaseModel):
    """A prescription the veteran may ask to renew (data.md, "Added in 2026")."""

    model_config = ConfigDict(strict=True, extra="forbid")

    prescriptionId: int = Field(gt=0)
    prescriptionName: str = Field(min_length=1, max_length=300)
    sig: str | None = Field(default=None, max_length=1000)
    providerFirstName: str | None = Field(default=None, max_length=100)
    providerLastName: str | None = Field(default=None, max_length=100)
    expirationDate: date | None = None
    dispensedDate: date | None = None
    quantity: int | None = Field(default=None, ge=0)
    stationNumber: str | None = Field(default=None, max_length=16)
    careTeamId: int | None = None
    renewable: bool = False


class Signature(BaseModel):
    """The veteran's message signature (data.md, "Added in 2026")."""

    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(default="", max_length=SIGNATURE_FIELD_MAX_LENGTH)
    title: str = Field(default="", max_length=SIGNATURE_FIELD_MAX_LENGTH)
    include: bool = False

    @model_validator(mode="after")
    def _name_when_included(self):
        if self.include and not self.name.strip():
            raise ValueError("name is required when the signature is included")
        return self


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

    # May be left out (or list only new systems) when the stations are already loaded.
    careSystems: list[CareSystemEntry] = Field(default_factory=list)
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
    message = error["msg"].removeprefix("Value error, ")
    return f"{shown} — {message}" if shown is not None and error["type"] != "missing" else message


def bundle_parse(
    text: str | bytes,
    *,
    loaded: Iterable[CareSystemEntry] = (),
    loaded_pools: Mapping[str, Collection[int]] | None = None,
) -> ParsedBundle:
    """Validate the whole bundle; raise BundleError listing every problem with its JSON path.

    `loaded`: the care systems already stored; the bundle may reference their stations
    without repeating them (an entry of its own for the same station wins).
    `loaded_pools`: the pool ids already stored, by care system, for systems whose pools
    the bundle does not give."""
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
    return _check_consistency(bundle, loaded, loaded_pools or {})


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


def _prescription_problems(veteran: Veteran, ids: dict[int, str], where: str) -> list[str]:
    """Each prescription once per veteran; its care team one of the veteran's or null."""
    problems, seen = [], {}
    for j, prescription in enumerate(veteran.prescriptions):
        here = f"{where}.prescriptions[{j}]"
        if prescription.prescriptionId in seen:
            problems.append(
                f"{here}.prescriptionId: {prescription.prescriptionId} is already listed at "
                f"{seen[prescription.prescriptionId]}"
            )
        seen.setdefault(prescription.prescriptionId, here)
        if prescription.careTeamId is not None and prescription.careTeamId not in ids:
            problems.append(
                f"{here}.careTeamId: {prescription.careTeamId} is not one of this veteran's "
                "recipients"
            )
    return problems


def _check_consistency(
    bundle: Bundle, loaded: Iterable[CareSystemEntry], loaded_pools: Mapping[str, Collection[int]]
) -> ParsedBundle:
    problems: list[str] = []

    seen_systems: dict[str, int] = {}
    seen_facilities: dict[str, str] = {}
    for i, system in enumerate(bundle.careSystems):
        if system.stationNumber in seen_systems:
            problems.append(
                f"careSystems[{i}].stationNumber: {system.stationNumber} is listed twice"
            )
        seen_systems[system.stationNumber] = i
        if problem := system.migration_problem():
            problems.append(f"careSystems[{i}].migration: {problem}")
        for j, facility in enumerate(system.facilities):
            owner = seen_facilities.get(facility)
            if owner and owner != system.stationNumber:
                problems.append(
                    f"careSystems[{i}].facilities[{j}]: {facility} already belongs to {owner}"
                )
            seen_facilities[facility] = system.stationNumber
    own = {entry.stationNumber for entry in bundle.careSystems}
    registry = Registry.from_entries(
        [*bundle.careSystems, *(entry for entry in loaded if entry.stationNumber not in own)]
    )

    migrating = {entry.stationNumber for entry in bundle.careSystems if entry.migration}

    def oh_station(station: str, where: str) -> None:
        system = registry.system_for(station)
        if system is None:
            problems.append(f"{where}: {station} is not a station in careSystems")
        elif system.ehr != Ehr.ORACLE_HEALTH and system.station_number not in migrating:
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
    # Pools of a VistA system that is moving to Oracle Health are stored like any others;
    # the adapter offers them from the end of the lock on (transition.md).
    pools = adapt_pools(bundle.ohPools, registry)
    pools_by_system: dict[str, list[AdaptedTeam]] = {}
    for team in pools:
        pools_by_system.setdefault(team.recipient.care_system.station_number, []).append(team)
    stored_pools = {
        station: ids for station, ids in loaded_pools.items() if station not in pools_by_system
    }

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
        # From its cutover on, a moving system's pools are this veteran's too (no registration
        # needed), so sent messages may name them.
        for system in dict.fromkeys(
            t.recipient.care_system.station_number
            for t in teams
            if registry.system_for(t.station_number) is not None
        ):
            for pool in pools_by_system.get(system, []) if system in migrating else []:
                # (a VistA id equal to a pool id is refused above)
                ids.setdefault(pool.recipient.id, f"pool at {system}")

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
            for pool_id in stored_pools.get(system.station_number, ()):
                ids.setdefault(pool_id, f"stored pool at {station}")

        for j, message in enumerate(veteran.sentMessages):
            rid = message.recipientId
            if rid not in ids:
                hint = " (a pool that is not offered)" if rid in pool_ids else ""
                problems.append(
                    f"{where}.sentMessages[{j}].recipientId: {rid} is not one of this veteran's recipients{hint}"
                )
        problems.extend(_prescription_problems(veteran, ids, where))
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


def password_problems(bundle: ParsedBundle, *, veterans: bool, staff: bool) -> list[str]:
    """Django's password validators (AUTH_PASSWORD_VALIDATORS) on every password that the
    bundle would set, each problem named by its JSON path. Nothing is stored when any fails."""
    User = get_user_model()
    accounts = []
    if veterans:
        accounts += [(f"veterans[{i}]", v.data) for i, v in enumerate(bundle.veterans)]
    if staff:
        accounts += [(f"staff[{i}]", s) for i, s in enumerate(bundle.staff)]
    problems = []
    for where, account in accounts:
        user = User(username=account.username, first_name=account.fullName[:150])
        try:
            validate_password(account.password, user=user)
        except DjangoValidationError as exc:
            problems += [f"{where}.password: {message}" for message in exc.messages]
    return problems
