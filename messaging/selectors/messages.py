"""Reads about the veteran's mailbox: folders, messages, drafts and attachments."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet

from messaging.models import Attachment, Message

FOLDERS = {
    "inbox": (0, "Inbox", Message.State.RECEIVED),
    "sent": (-1, "Sent", Message.State.SENT),
    "drafts": (-2, "Drafts", Message.State.DRAFT),
}
FOLDER_PAGE_SIZE = 10


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


def draft_for(*, veteran, draft_id: int) -> Message:
    """One of the veteran's drafts, or Message.DoesNotExist (a 404: never another veteran's)."""
    return Message.objects.select_related("care_team").get(
        pk=draft_id, veteran=veteran, state=Message.State.DRAFT
    )


def message_for(*, veteran, message_id: int) -> Message:
    """A sent or received message of the veteran's, with its attachments."""
    return (
        Message.objects.select_related("care_team__care_system")
        .prefetch_related("attachments")
        .exclude(state=Message.State.DRAFT)
        .get(pk=message_id, veteran=veteran)
    )


def attachment_for(*, veteran, attachment_id: int):
    return Attachment.objects.get(pk=attachment_id, message__veteran=veteran)


FOLDER_IDS = {spec[0]: name for name, spec in FOLDERS.items()}


def folders_with_counts(*, veteran) -> list[dict]:
    """The three folders with how many messages each holds (one query)."""
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


def message_of_another(*, veteran, message_id: int) -> bool:
    """Whether this id is someone else's message (a 404 then, never a fresh draft)."""
    return Message.objects.filter(pk=message_id).exclude(veteran=veteran).exists()
