"""The reads every flow page makes, as plain SQL.

They run on every page of the flow, so they skip the ORM's query building (about a
millisecond of Python each, several times the query itself). Table and column names come
from the models; the statements are portable SQL (SQLite and PostgreSQL), and the test
`test_every_narrow_answer_agrees_with_the_whole_list` holds them to the same answers on
both. VistA-linked teams come first in payload order, then the OH pools of the facilities
the veteran is registered at, in registration order.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from functools import cache

from django.db import connection

from .common import ORACLE_HEALTH, VISTA


@cache
def _names() -> dict[str, str]:
    from messaging.models import CareSystem, CareTeam, OhRegistration, VeteranTeam

    return {
        "link": VeteranTeam._meta.db_table,
        "team": CareTeam._meta.db_table,
        "system": CareSystem._meta.db_table,
        "reg": OhRegistration._meta.db_table,
    }


_TEAM = (
    "t.upstream_id, t.source, t.name, t.display_name, t.signature_required, "
    "t.care_system_id, s.station_number, s.name, s.ehr, s.migration_date, t.per_facility"
)


def _moving_systems_of(n: dict[str, str]) -> str:
    """The care systems the veteran has VistA teams at, each with the position of their first
    team there: after a system's cutover its pools take that place (transition.md)."""
    return (
        # bandit B608 accepted: the names are the models' own tables (_meta); every value is a %s parameter.
        "(SELECT vt.care_system_id AS sid, MIN(vl.position) AS pos"  # nosec B608
        f" FROM {n['link']} vl JOIN {n['team']} vt ON vt.id = vl.care_team_id"
        " WHERE vl.veteran_id = %s AND vt.source = %s GROUP BY vt.care_system_id)"
    )


def _not_registered(n: dict[str, str]) -> str:
    return (
        # bandit B608 accepted: the names are the models' own tables (_meta); every value is a %s parameter.
        f"NOT EXISTS (SELECT 1 FROM {n['reg']} nr"  # nosec B608
        " WHERE nr.veteran_id = %s AND nr.care_system_id = s.id)"
    )


def _date(value):
    """SQLite hands dates back as text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _team_parts(
    veteran_id: int,
    *,
    ids: Collection[int] | None = None,
    station: str | None = None,
    blocked: bool | None = None,
    links: bool = True,
    pools: bool = True,
    join: str = "",
    join_params: Collection = (),
    extra: str = "",
) -> tuple[list[str], list]:
    """The SELECTs of `team_rows` (to be joined by UNION ALL) and their parameters; `join`
    (with `join_params`) is joined to the team `t` in each, `extra` added to its columns."""
    n = _names()
    parts, params = [], []

    def narrowed(where: list[str], args: list) -> tuple[str, list]:
        if ids is not None:
            where.append(f"t.upstream_id IN ({', '.join(['%s'] * len(ids))})")
            args += list(ids)
        if station is not None:
            where.append("s.station_number = %s")
            args.append(station)
        return " AND ".join(where), args

    if links:
        where, args = ["l.veteran_id = %s"], [veteran_id]
        if blocked is not None:
            where.append("l.blocked = %s")
            args.append(blocked)
        clause, args = narrowed(where, args)
        parts.append(
            # bandit B608 accepted: the names are the models' own tables (_meta); every value is a %s parameter.
            f"SELECT {_TEAM}, l.blocked, l.on_contact_list, 0, l.position, l.id, 0{extra}"  # nosec B608
            f" FROM {n['link']} l JOIN {n['team']} t ON t.id = l.care_team_id"
            f" JOIN {n['system']} s ON s.id = t.care_system_id {join} WHERE {clause}"
        )
        params += [*join_params, *args]
    if links and not blocked:  # the pools of the veteran's moving systems
        clause, args = narrowed(
            ["t.per_facility = %s", "s.migration_date IS NOT NULL", _not_registered(n)],
            [True, veteran_id],
        )
        parts.append(
            # bandit B608 accepted: the names are the models' own tables (_meta); every value is a %s parameter.
            f"SELECT {_TEAM}, %s, %s, 0, m.pos, t.position, t.id{extra}"  # nosec B608
            f" FROM {n['team']} t JOIN {n['system']} s ON s.id = t.care_system_id"
            f" JOIN {_moving_systems_of(n)} m ON m.sid = s.id {join} WHERE {clause}"
        )
        params += [False, True, veteran_id, VISTA, *join_params, *args]
    if pools and not blocked:  # pools are never blocked
        clause, args = narrowed(["r.veteran_id = %s", "t.per_facility = %s"], [veteran_id, True])
        parts.append(
            # bandit B608 accepted: the names are the models' own tables (_meta); every value is a %s parameter.
            f"SELECT {_TEAM}, %s, %s, 1, r.position, t.position, t.id{extra}"  # nosec B608
            f" FROM {n['team']} t JOIN {n['system']} s ON s.id = t.care_system_id"
            f" JOIN {n['reg']} r ON r.care_system_id = s.id {join} WHERE {clause}"
        )
        params += [False, True, *join_params, *args]
    return parts, params


def _team_row(row) -> tuple:
    return (*row[:9], _date(row[9]), bool(row[10]), bool(row[11]), bool(row[12]))


def team_rows(
    veteran_id: int,
    *,
    ids: Collection[int] | None = None,
    station: str | None = None,
    blocked: bool | None = None,
    links: bool = True,
    pools: bool = True,
) -> list[tuple]:
    """(upstream_id, source, name, display_name, signature_required, care_system_id,
    station_number, system name, ehr, migration_date, per_facility, blocked,
    on_contact_list) per team, in data order: the veteran's linked teams, and in their place
    the pools of their moving systems (the adapter keeps those from the system's cutover
    on), then the pools of the facilities they are registered at."""
    if ids is not None and not ids:
        return []
    parts, params = _team_parts(
        veteran_id, ids=ids, station=station, blocked=blocked, links=links, pools=pools
    )
    if not parts:
        return []
    sql = " UNION ALL ".join(parts) + " ORDER BY 14, 15, 16, 17"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_team_row(row) for row in cursor.fetchall()]


def recent_rows(veteran_id: int, *, since, message_table: str, sent_state: str) -> list[tuple]:
    """The veteran's teams they sent a message to since `since` (team_rows' columns, then
    the last time), most recent first: the recent-teams read in one query, not two."""
    n = _names()
    recent = (
        # bandit B608 accepted: the names are the models' own tables (_meta); every value is a %s parameter.
        "JOIN (SELECT ct.upstream_id AS uid, MAX(m.sent_at) AS last"  # nosec B608
        f" FROM {message_table} m JOIN {n['team']} ct ON ct.id = m.care_team_id"
        " WHERE m.veteran_id = %s AND m.state = %s AND m.sent_at >= %s"
        " GROUP BY ct.upstream_id) rc ON rc.uid = t.upstream_id"
    )
    recent_params = [veteran_id, sent_state, connection.ops.adapt_datetimefield_value(since)]
    parts, params = _team_parts(
        veteran_id, join=recent, join_params=recent_params, extra=", rc.last"
    )
    sql = " UNION ALL ".join(parts) + " ORDER BY 18 DESC, 1 DESC"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(*_team_row(row), row[17]) for row in cursor.fetchall()]


def summary_rows(veteran_id: int) -> list[tuple]:
    """(care_system_id, station_number, name, ehr, migration_date, source, blocked,
    on_contact_list, kind, pool, teams, pools_version) per group: kind 0 = the veteran's links
    (pool 0) and the pools of their moving systems (pool 1), kind 1 = the pools of the
    facilities they are registered at (with the system's pool-data version, 0 elsewhere);
    each system where it first appears in data order."""
    n = _names()
    system = "t.care_system_id, s.station_number, s.name, s.ehr, s.migration_date, t.source"
    registered = "s.id, s.station_number, s.name, s.ehr, s.migration_date"
    sql = (
        # bandit B608 accepted: the names are the models' own tables (_meta); every value is a %s parameter.
        f"SELECT {system}, l.blocked, l.on_contact_list, 0, 0, MIN(l.position), COUNT(*), 0"  # nosec B608
        f" FROM {n['link']} l JOIN {n['team']} t ON t.id = l.care_team_id"
        f" JOIN {n['system']} s ON s.id = t.care_system_id WHERE l.veteran_id = %s"
        f" GROUP BY {system}, l.blocked, l.on_contact_list"
        " UNION ALL"
        f" SELECT {system}, %s, %s, 0, 1, MIN(m.pos), COUNT(*), 0"
        f" FROM {n['team']} t JOIN {n['system']} s ON s.id = t.care_system_id"
        f" JOIN {_moving_systems_of(n)} m ON m.sid = s.id"
        f" WHERE t.per_facility = %s AND s.migration_date IS NOT NULL AND {_not_registered(n)}"
        f" GROUP BY {system}"
        " UNION ALL"
        # The pools of the facilities the veteran is registered at: counted when stored
        # (CareSystem.pool_count, set by every bundle load), not row by row here.
        f" SELECT {registered}, %s, %s, %s, 1, 1, MIN(r.position), s.pool_count, s.pools_version"
        f" FROM {n['reg']} r JOIN {n['system']} s ON s.id = r.care_system_id"
        " WHERE r.veteran_id = %s AND s.pool_count > 0"
        f" GROUP BY {registered}, s.pool_count, s.pools_version"
        " ORDER BY 9, 11"
    )
    params = [veteran_id, False, True, veteran_id, VISTA, True, veteran_id]
    params += [ORACLE_HEALTH, False, True, veteran_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (*row[:4], _date(row[4]), row[5], bool(row[6]), bool(row[7]), row[8], row[9], *row[11:])
            for row in cursor.fetchall()
        ]


def facility_counts(system_ids: Collection[int]) -> dict[int, int]:
    """How many facilities each of these care systems has (its own station counts as one)."""
    from messaging.models import CareSystem

    rows = CareSystem.objects.filter(pk__in=list(system_ids)).values_list("pk", "facilities")
    return {pk: max(1, len(set(facilities or []))) for pk, facilities in rows}


def crosswalk_rows(veteran_id: int) -> list[tuple]:
    """(VistA team id, its display name, OH pool id, its display name, station number) for
    each of the veteran's VistA teams that a pool names as the team it replaces
    (`legacyVistaTriageGroupId`), in data order."""
    n = _names()
    sql = (
        # bandit B608 accepted: the names are the models' own tables (_meta); every value is a %s parameter.
        "SELECT o.upstream_id, o.display_name, p.upstream_id, p.display_name, s.station_number"  # nosec B608
        f" FROM {n['link']} l JOIN {n['team']} o ON o.id = l.care_team_id"
        f" JOIN {n['team']} p ON p.legacy_vista_triage_group_id = o.upstream_id"
        f" JOIN {n['system']} s ON s.id = p.care_system_id"
        " WHERE l.veteran_id = %s AND p.per_facility = %s AND o.source = %s"
        " ORDER BY l.position, p.position, p.upstream_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [veteran_id, True, VISTA])
        return list(cursor.fetchall())
