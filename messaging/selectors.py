"""Reads. Keyword-only arguments; no writes here."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Max, QuerySet
from django.utils import timezone

from .models import Message
from .recipients import CareSystemRef, Recipient, RecipientSet, recipients_for

FOLDERS = {
    "inbox": (0, "Inbox", Message.State.RECEIVED),
    "sent": (-1, "Sent", Message.State.SENT),
    "drafts": (-2, "Drafts", Message.State.DRAFT),
}
FOLDER_PAGE_SIZE = 10


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    description: str
    user: object


def _describe_veteran(user) -> str:
    recipients = recipients_for(user)
    if not recipients.recipients:
        return "No care teams at all."
    kinds = " and ".join(
        name
        for name, present in (("VistA", recipients.has_vista), ("Oracle Health", recipients.has_oh))
        if present
    )
    systems = len(recipients.care_systems)
    blocked = len(recipients.blocked_teams)
    parts = [
        f"{kinds}: {len(recipients.recipients)} care teams in {systems} care system{'s' if systems != 1 else ''}",
    ]
    if blocked:
        parts.append(f"{blocked} blocked")
    if recipients.blocked_systems:
        parts.append("blocked at " + ", ".join(s.name for s in recipients.blocked_systems))
    return "; ".join(parts) + "."


def demo_accounts() -> list[DemoAccount]:
    """Every account of the loaded bundle with a one-line description, veterans first (QA)."""
    User = get_user_model()
    users = User.objects.filter(is_active=True).select_related("veteran").order_by("is_staff", "pk")
    accounts = []
    for user in users:
        profile = getattr(user, "veteran", None)
        if user.is_staff:
            accounts.append(
                DemoAccount(
                    user.username, user.first_name, "Staff: rollout dashboard and flags.", user
                )
            )
        elif profile is not None:
            accounts.append(
                DemoAccount(user.username, profile.full_name, _describe_veteran(user), user)
            )
    return accounts


def folder_messages(*, veteran, folder: str) -> QuerySet[Message]:
    """A veteran's messages in one folder, newest first."""
    _, _, state = FOLDERS[folder]
    order = ("-updated_at", "-pk") if state == Message.State.DRAFT else ("-sent_at", "-pk")
    return (
        Message.objects.filter(veteran=veteran, state=state)
        .select_related("care_team__care_system")
        .defer("care_team__source_record", "body")
        .order_by(*order)
    )


def folder_page(*, veteran, folder: str, page: str | int | None) -> Page:
    return Paginator(folder_messages(veteran=veteran, folder=folder), FOLDER_PAGE_SIZE).get_page(
        page
    )


def _months_ago(moment, months: int):
    """The same wall-clock moment `months` calendar months earlier (clamped to month end)."""
    import calendar

    month_index = moment.month - 1 - months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def recent_teams(*, veteran, recipients: RecipientSet) -> list[Recipient]:
    """Distinct recipients of the veteran's sent messages in the last N months, most recent
    first, only those the veteran may message now, at most M (both settings). One query."""
    since = _months_ago(timezone.now(), settings.SM_RECENT_TEAMS_MONTHS)
    rows = (
        Message.objects.filter(veteran=veteran, state=Message.State.SENT, sent_at__gte=since)
        .values_list("care_team__upstream_id")
        .annotate(last=Max("sent_at"))
        .order_by("-last", "-care_team__upstream_id")
    )
    teams = []
    for recipient_id, _last in rows:
        recipient = recipients.get(recipient_id)
        if recipient and recipient.can_message:
            teams.append(recipient)
            if len(teams) == settings.SM_RECENT_TEAMS_MAX:
                break
    return teams


def team_sort_key(recipient: Recipient) -> tuple[int, str]:
    """Care teams sort by display name, names starting with a non-letter first."""
    name = recipient.display_name
    return (1 if name[:1].isalpha() else 0, name.casefold())


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


def draft_for(*, veteran, draft_id: int) -> Message:
    """One of the veteran's drafts, or Message.DoesNotExist (a 404: never another veteran's)."""
    return Message.objects.select_related("care_team").get(
        pk=draft_id, veteran=veteran, state=Message.State.DRAFT
    )


def contact_list(
    *, veteran, recipients: RecipientSet
) -> list[tuple[CareSystemRef, list[Recipient]]]:
    """The veteran's VistA teams grouped by care system (OH teams have no contact list)."""
    groups: dict[CareSystemRef, list[Recipient]] = {}
    for recipient in recipients.recipients:
        if recipient.source == "vista":
            groups.setdefault(recipient.care_system, []).append(recipient)
    return [(system, sorted(teams, key=team_sort_key)) for system, teams in groups.items()]


def message_sent_with_key(*, veteran, key: str) -> Message | None:
    """The message the veteran already sent under this idempotency key, if any."""
    if not key:
        return None
    return Message.objects.filter(
        veteran=veteran, idempotency_key=key, state=Message.State.SENT
    ).first()


def message_for(*, veteran, message_id: int) -> Message:
    """A sent or received message of the veteran's, with its attachments."""
    return (
        Message.objects.select_related("care_team__care_system")
        .prefetch_related("attachments")
        .exclude(state=Message.State.DRAFT)
        .get(pk=message_id, veteran=veteran)
    )


def attachment_for(*, veteran, attachment_id: int):
    from .models import Attachment

    return Attachment.objects.get(pk=attachment_id, message__veteran=veteran)


FOLDER_IDS = {spec[0]: name for name, spec in FOLDERS.items()}


def folders_with_counts(*, veteran) -> list[dict]:
    """The three folders with how many messages each holds (one query)."""
    from django.db.models import Count

    counts = dict(
        Message.objects.filter(veteran=veteran).values_list("state").annotate(n=Count("pk"))
    )
    return [
        {"folder_id": folder_id, "name": title, "count": counts.get(state, 0)}
        for folder_id, title, state in FOLDERS.values()
    ]


def folder_search(*, veteran, folder_id: int, from_date=None, to_date=None) -> QuerySet[Message]:
    """A folder's messages, newest first, optionally within [from_date, to_date]."""
    messages = folder_messages(veteran=veteran, folder=FOLDER_IDS[folder_id]).prefetch_related(
        "attachments"
    )
    date_field = "updated_at" if folder_id == -2 else "sent_at"
    if from_date:
        messages = messages.filter(**{f"{date_field}__gte": from_date})
    if to_date:
        messages = messages.filter(**{f"{date_field}__lte": to_date})
    return messages
