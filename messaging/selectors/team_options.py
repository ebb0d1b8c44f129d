"""The care-team `<select>` of select care team, as HTML `<option>` elements.

Two levers keep the page's cost flat in the number of teams (ADR 0015):

- The options are rendered here, one f-string per team, not by a template loop: Django's
  template machinery (a context lookup, an `if` and autoescaping per option) cost about
  0.05 ms per option, 20 ms for a 420-team system.
- An Oracle Health system's pools are the same for every veteran registered there, so
  their options are rendered once per pool-data version (`CareSystem.pools_version`, read
  by the summary query every flow page makes anyway, bumped by every bundle load that
  stores pools) and kept in each server process (a new version is simply a new key; the
  shared cache would add a round trip and save only one render per process and version).
  A page for such a system reads no pool at all: it joins the cached options with the
  veteran's own VistA teams there, if any, in the page's order. The no-JavaScript select
  stays complete. A moving system's pools are cached only once they are offered to the
  veteran (`RecipientSet.kinds_in`): before its cutover they are nobody's to list.

The veteran's recent teams of the system (flow.md 11) come first under "Recent care teams",
then every team under "All care teams"; a team in both is selected once (its first listing).
"""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from messaging.recipients import Recipient, RecipientSet
from messaging.recipients.finder import team_label
from messaging.recipients.ordering import team_sort_key

RECENT_TEAMS_GROUP = "Recent care teams"
ALL_TEAMS_GROUP = "All care teams"
LOCAL_ENTRIES = 64  # (system, version) pairs kept in each process (~40 KB each at 400 pools)

# (sort key, team id, "<option ...>...</option>") in the order the page lists teams.
Entry = tuple[tuple[int, str], int, str]

_local: OrderedDict[tuple[str, int], tuple[Entry, ...]] = OrderedDict()
_lock = threading.Lock()  # gunicorn's gthread workers serve requests in threads


def entry(team: Recipient) -> Entry:
    return (
        team_sort_key(team),
        team.id,
        f'<option value="{team.id}">{escape(team_label(team))}</option>',
    )


def entries(teams: Iterable[Recipient]) -> list[Entry]:
    return sorted((entry(t) for t in teams), key=lambda e: e[0])


def pool_entries(
    *, recipients: RecipientSet, station_number: str, version: int
) -> tuple[Entry, ...]:
    """The options of one system's pools, sorted: from this process's copy for this version,
    else read (one query, as the page did before) and rendered."""
    key = (station_number, version)
    found = _local.get(key)
    if found is not None:
        _local.move_to_end(key)
        return found
    found = tuple(entries(recipients.pools_in_system(station_number)))
    with _lock:
        _local[key] = found
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)
    return found


def render(
    items: Iterable[Entry], chosen: int | str | None = None, recent: Sequence[Recipient] = ()
) -> SafeString:
    """`- Select -` then the options (after the recent teams, when there are any, each list
    in its optgroup); the chosen team (if listed) selected once."""
    options = "".join(e[2] for e in items)
    if recent:
        first = "".join(entry(t)[2] for t in recent)
        options = (
            f'<optgroup label="{RECENT_TEAMS_GROUP}">{first}</optgroup>'
            f'<optgroup label="{ALL_TEAMS_GROUP}">{options}</optgroup>'
        )
    html = '<option value="">- Select -</option>' + options
    if chosen is not None and str(chosen).isdecimal():
        marker = f'<option value="{int(chosen)}">'
        html = html.replace(marker, f'<option value="{int(chosen)}" selected>', 1)
    # bandit B308/B703 accepted: every label is escaped in entry(); the rest is fixed markup.
    return mark_safe(html)  # noqa: S308  # nosec B308, B703


def team_options(
    *,
    recipients: RecipientSet,
    station_number: str | None,
    chosen: int | str | None = None,
    recent: Sequence[Recipient] = (),
) -> SafeString:
    """The `<option>`s of the teams the veteran may message in one care system, as the page
    lists them (see `selectors.teams.teams_in_system`), with `chosen` selected when it is
    there; `recent` (the veteran's recent teams there) listed first in their own group."""
    if not station_number:
        return render((), None)
    linked, pooled, version = recipients.kinds_in(station_number)
    if not pooled:
        return render(entries(recipients.in_system(station_number)), chosen, recent)
    pools = pool_entries(recipients=recipients, station_number=station_number, version=version)
    if not linked:
        return render(pools, chosen, recent)
    own = entries(recipients.in_system(station_number, pools=False))
    return render(heapq.merge(own, pools, key=lambda e: e[0]), chosen, recent)


def team_in_system(*, recipients: RecipientSet, station_number: str | None, team_id) -> bool:
    """Whether `team_id` names a team the veteran may message in that care system (one read
    by id, shared with the rest of the request), without listing the system's teams."""
    if not station_number:
        return False
    team = recipients.get(team_id)
    return bool(
        team is not None and team.can_message and team.care_system.station_number == station_number
    )


def clear_local() -> None:
    """Forget this process's copies (tests; a new version needs no clearing)."""
    _local.clear()
