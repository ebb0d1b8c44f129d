"""The two reads every flow page makes, as plain SQL.

They run on every page of the flow, so they skip the ORM's query building (about a
millisecond of Python each, several times the query itself). Table and column names come
from the models; the statements are portable SQL (SQLite and PostgreSQL), and the test
`test_every_narrow_answer_agrees_with_the_whole_list` holds them to the same answers on
both. VistA-linked teams come first in payload order, then the OH pools of the facilities
the veteran is registered at, in registration order.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache

from django.db import connection

from messaging.common.choices import Ehr


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
    "t.care_system_id, s.station_number, s.name, s.ehr"
)


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
    station_number, system name, ehr, blocked, on_contact_list) per team, in data order."""
    if ids is not None and not ids:
        return []
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
            f"SELECT {_TEAM}, l.blocked, l.on_contact_list, 0, l.position, l.id, 0"
            f" FROM {n['link']} l JOIN {n['team']} t ON t.id = l.care_team_id"
            f" JOIN {n['system']} s ON s.id = t.care_system_id WHERE {clause}"
        )
        params += args
    if pools and not blocked:  # pools are never blocked
        clause, args = narrowed(["r.veteran_id = %s", "t.per_facility = %s"], [veteran_id, True])
        parts.append(
            f"SELECT {_TEAM}, %s, %s, 1, r.position, t.position, t.id"
            f" FROM {n['team']} t JOIN {n['system']} s ON s.id = t.care_system_id"
            f" JOIN {n['reg']} r ON r.care_system_id = s.id WHERE {clause}"
        )
        params += [False, True, *args]
    if not parts:
        return []
    sql = " UNION ALL ".join(parts) + " ORDER BY 12, 13, 14, 15"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(*row[:9], bool(row[9]), bool(row[10])) for row in cursor.fetchall()]


def summary_rows(veteran_id: int) -> list[tuple]:
    """(care_system_id, station_number, name, ehr, source, blocked, on_contact_list, kind,
    teams, pools_version) per group, kind 0 = VistA links, 1 = OH pools, each system where
    it first appears in data order."""
    n = _names()
    sql = (
        "SELECT t.care_system_id, s.station_number, s.name, s.ehr, t.source,"
        " l.blocked, l.on_contact_list, 0, MIN(l.position), COUNT(*), 0"
        f" FROM {n['link']} l JOIN {n['team']} t ON t.id = l.care_team_id"
        f" JOIN {n['system']} s ON s.id = t.care_system_id WHERE l.veteran_id = %s"
        " GROUP BY t.care_system_id, s.station_number, s.name, s.ehr, t.source,"
        " l.blocked, l.on_contact_list"
        " UNION ALL"
        # OH pools: counted when stored (CareSystem.pool_count), not row by row here.
        " SELECT s.id, s.station_number, s.name, s.ehr, %s,"
        " %s, %s, 1, MIN(r.position), s.pool_count, s.pools_version"
        f" FROM {n['reg']} r JOIN {n['system']} s ON s.id = r.care_system_id"
        " WHERE r.veteran_id = %s AND s.pool_count > 0"
        " GROUP BY s.id, s.station_number, s.name, s.ehr, s.pool_count, s.pools_version"
        " ORDER BY 8, 9"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [veteran_id, Ehr.ORACLE_HEALTH.value, False, True, veteran_id])
        return [
            (*row[:5], bool(row[5]), bool(row[6]), row[7], row[9], row[10])
            for row in cursor.fetchall()
        ]


def recent_rows(veteran_id: int, *, since, message_table: str, sent_state: str) -> list[tuple]:
    """The veteran's teams they sent a message to since `since` (team_rows' columns, then
    the last time), most recent first: the recent-teams read in one query, not two."""
    n = _names()
    recent = (
        "(SELECT ct.upstream_id AS uid, MAX(m.sent_at) AS last"
        f" FROM {message_table} m JOIN {n['team']} ct ON ct.id = m.care_team_id"
        " WHERE m.veteran_id = %s AND m.state = %s AND m.sent_at >= %s"
        " GROUP BY ct.upstream_id) r"
    )
    recent_params = [veteran_id, sent_state, connection.ops.adapt_datetimefield_value(since)]
    sql = (
        f"SELECT {_TEAM}, l.blocked, l.on_contact_list, r.last"
        f" FROM {n['link']} l JOIN {n['team']} t ON t.id = l.care_team_id"
        f" JOIN {n['system']} s ON s.id = t.care_system_id"
        f" JOIN {recent} ON r.uid = t.upstream_id WHERE l.veteran_id = %s"
        " UNION ALL"
        f" SELECT {_TEAM}, %s, %s, r.last"
        f" FROM {n['team']} t JOIN {n['system']} s ON s.id = t.care_system_id"
        f" JOIN {n['reg']} reg ON reg.care_system_id = s.id"
        f" JOIN {recent} ON r.uid = t.upstream_id"
        " WHERE reg.veteran_id = %s AND t.per_facility = %s"
        " ORDER BY 12 DESC, 1 DESC"
    )
    params = [*recent_params, veteran_id, False, True, *recent_params, veteran_id, True]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(*row[:9], bool(row[9]), bool(row[10]), row[11]) for row in cursor.fetchall()]
