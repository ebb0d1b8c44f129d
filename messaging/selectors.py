"""Reads. Keyword-only arguments; no writes here."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from .models import Message
from .recipients import recipients_for

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
