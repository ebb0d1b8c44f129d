"""Writes about the veteran's care teams: the contact list and dismissed name-change notices.
Each public function is one transaction; keyword-only arguments."""

from __future__ import annotations

from django.db import transaction

from messaging.models import DismissedNameChange, VeteranTeam


class InvalidContactList(Exception):
    code = "SM_CONTACT_LIST_INVALID"


@transaction.atomic
def contact_list_update(*, veteran, preferred: dict[int, bool]) -> int:
    """Set which of the veteran's VistA teams are on their contact list. Blocked teams and
    OH teams cannot be changed. Returns how many links changed."""
    links = {
        link.care_team.upstream_id: link
        for link in VeteranTeam.objects.select_for_update()
        .filter(veteran=veteran, care_team__source="vista")
        .select_related("care_team")
    }
    unknown = [team_id for team_id in preferred if team_id not in links]
    if unknown:
        raise InvalidContactList(f"{unknown[0]} is not one of your VistA care teams")
    blocked = [
        team_id
        for team_id in preferred
        if links[team_id].blocked and preferred[team_id] != links[team_id].on_contact_list
    ]
    if blocked:
        raise InvalidContactList(f"{blocked[0]} is blocked and cannot be changed")
    changed = [
        link
        for team_id, link in links.items()
        if team_id in preferred and link.on_contact_list != preferred[team_id]
    ]
    for link in changed:
        link.on_contact_list = preferred[link.care_team.upstream_id]
    VeteranTeam.objects.bulk_update(changed, ["on_contact_list"])
    return len(changed)


@transaction.atomic
def name_changes_dismiss(*, veteran, pool_ids: list[int]) -> None:
    """Remember that the veteran dismissed these "{old} is now {new}" notices."""
    DismissedNameChange.objects.bulk_create(
        [DismissedNameChange(veteran=veteran, pool_id=pool_id) for pool_id in pool_ids],
        ignore_conflicts=True,
    )
