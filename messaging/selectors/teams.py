"""Reads about the veteran's care teams: recent teams, teams per care system, the contact
list, the finder's ranking and the "{old} is now {new}" notices. Keyword-only arguments."""

from __future__ import annotations

import calendar

from django.conf import settings
from django.db import connection

from messaging.common import clock
from messaging.common.choices import Ehr
from messaging.models import CareTeam, DismissedNameChange, Message
from messaging.recipients import CareSystemRef, Recipient, RecipientSet
from messaging.recipients.finder import find
from messaging.recipients.ordering import team_sort_key


def _months_ago(moment, months: int):
    """The same wall-clock moment `months` calendar months earlier (clamped to month end)."""
    month_index = moment.month - 1 - months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def recent_teams(*, veteran, recipients: RecipientSet) -> list[Recipient]:
    """Distinct recipients of the veteran's sent messages in the last N months, most recent
    first, only those the veteran may message now, at most M (both settings). One query."""
    since = _months_ago(clock.now(user=veteran), settings.SM_RECENT_TEAMS_MONTHS)
    sent_to = recipients.sent_to_since(
        since, message_table=Message._meta.db_table, sent_state=Message.State.SENT.value
    )
    return [r for r in sent_to if r.can_message][: settings.SM_RECENT_TEAMS_MAX]


def teams_in_system(*, recipients: RecipientSet, station_number: str | None) -> list[Recipient]:
    """The teams the veteran may message in one care system, in the order the page lists them."""
    if not station_number:
        return []
    return sorted(recipients.in_system(station_number), key=team_sort_key)


def systems_offered(*, recipients: RecipientSet) -> list[CareSystemRef]:
    """Care systems offered on select care team: data order for 2-5, sorted by name for 6+."""
    systems = list(recipients.messageable_systems)
    if len(systems) >= 6:
        systems.sort(key=lambda s: s.name.casefold())
    return systems


def contact_list(
    *, veteran, recipients: RecipientSet
) -> list[tuple[CareSystemRef, list[Recipient]]]:
    """The veteran's VistA teams grouped by care system (OH teams have no contact list)."""
    groups: dict[CareSystemRef, list[Recipient]] = {}
    for recipient in recipients.recipients:
        if recipient.source == Ehr.VISTA:
            groups.setdefault(recipient.care_system, []).append(recipient)
    return [(system, sorted(teams, key=team_sort_key)) for system, teams in groups.items()]


def care_team_search(*, recipients: RecipientSet, query: str, station_number: str | None = None):
    """The teams the veteran may message (optionally in one care system), ranked by the
    finder for a plain-language query, each with the words that matched."""
    teams = recipients.messageable
    if station_number:
        teams = tuple(t for t in teams if t.care_system.station_number == station_number)
    return find(list(teams), query)


MAX_NAME_CHANGES = 4


def name_changes(*, veteran, recipients: RecipientSet) -> list[dict]:
    """ "{old name} is now {new name}": Oracle Health pools the veteran may message that
    replaced a VistA team they sent a message to in the recent window, not dismissed, at
    most four, most recently messaged first. One query (plain SQL: it runs on two flow
    pages, and the ORM took longer to build it than the database to answer it)."""
    since = _months_ago(clock.now(user=veteran), settings.SM_RECENT_TEAMS_MONTHS)
    team, message = CareTeam._meta.db_table, Message._meta.db_table
    dismissed = DismissedNameChange._meta.db_table
    sql = (
        # bandit B608 accepted: the names are the models' own tables (_meta); every value is a %s parameter.
        "SELECT p.upstream_id, o.display_name, MAX(m.sent_at)"  # nosec B608
        f" FROM {team} p JOIN {team} o ON o.upstream_id = p.legacy_vista_triage_group_id"
        f" JOIN {message} m ON m.care_team_id = o.id"
        " WHERE p.per_facility = %s AND m.veteran_id = %s AND m.state = %s"
        " AND m.sent_at >= %s"
        f" AND p.upstream_id NOT IN (SELECT d.pool_id FROM {dismissed} d WHERE d.veteran_id = %s)"
        " GROUP BY p.upstream_id, o.display_name ORDER BY 3 DESC, 1"
    )
    params = [
        True,
        veteran.pk,
        Message.State.SENT.value,
        connection.ops.adapt_datetimefield_value(since),
        veteran.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [(pool_id, old_name) for pool_id, old_name, _last in cursor.fetchall()]
    pools = recipients.get_many(pool_id for pool_id, _old_name in rows)
    changes = []
    for pool_id, old_name in rows:
        pool = pools.get(pool_id)
        if pool is not None and pool.can_message:
            changes.append({"pool_id": pool_id, "old": old_name, "new": pool.display_name})
        if len(changes) == MAX_NAME_CHANGES:
            break
    return changes
