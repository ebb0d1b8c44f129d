"""Writes about messages: drafts, sending, deleting. Each public function is one
transaction; keyword-only arguments."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.common.choices import Flow, Platform
from messaging.compose.attachments import check_attachments, rules_for
from messaging.models import Attachment, CareTeam, Message
from messaging.recipients import Recipient, recipients_for
from messaging.rollout.stages import audit

BLOCKED_MESSAGE = "You are blocked from sending messages to this recipient."
SOMETHING_WENT_WRONG = "We’re sorry. Something went wrong on our end."


class RecipientNotAllowed(Exception):
    """The veteran may not message this team (blocked, off the contact list, or not theirs)."""

    code = "SM_RECIPIENT_NOT_ALLOWED"

    def __init__(self, message: str = BLOCKED_MESSAGE):
        super().__init__(message)
        self.message = message


class AttachmentsRefused(Exception):
    code = "SM_ATTACHMENT_INVALID"

    def __init__(self, errors):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool


def _messageable_team(*, veteran, recipient_id) -> tuple[CareTeam, Recipient]:
    """The team, checked now (not when the page was drawn) against who the veteran may message."""
    recipient = recipients_for(veteran).get(recipient_id)
    if recipient is None or not recipient.can_message:
        raise RecipientNotAllowed()
    return CareTeam.objects.get(upstream_id=recipient.id), recipient


@transaction.atomic
def draft_save(
    *,
    veteran,
    recipient_id: int,
    category: str,
    subject: str,
    body: str,
    draft_id: int | None = None,
    flow: str = Flow.CURATED,
    platform: str = Platform.WEB,
) -> tuple[Message, bool]:
    """Create or update one of the veteran's drafts (recipient, category, subject, body only:
    never attachments or a signature). Returns (draft, created)."""
    team, _ = _messageable_team(veteran=veteran, recipient_id=recipient_id)
    fields = {"care_team": team, "category": category, "subject": subject, "body": body}
    if draft_id is not None:
        draft = Message.objects.select_for_update().get(
            pk=draft_id, veteran=veteran, state=Message.State.DRAFT
        )
        for name, value in fields.items():
            setattr(draft, name, value)
        draft.save()
        return draft, False
    return Message.objects.create(veteran=veteran, flow=flow, platform=platform, **fields), True


@transaction.atomic
def draft_delete(*, veteran, draft_id: int) -> None:
    """Delete one of the veteran's drafts (Message.DoesNotExist for anyone else's)."""
    Message.objects.get(pk=draft_id, veteran=veteran, state=Message.State.DRAFT).delete()
    audit.record(
        audit.Action.DRAFT_DELETED, actor=veteran, target_type="message", target_id=draft_id
    )


def message_send(
    *,
    veteran,
    recipient_id: int,
    category: str,
    subject: str,
    body: str,
    idempotency_key: str = "",
    draft_id: int | None = None,
    files: Sequence = (),
    flow: str = Flow.CURATED,
    platform: str = Platform.WEB,
) -> SendResult:
    """Send a message exactly once.

    The same idempotency key (a retry, a double click, a second tab of the session) returns
    the message already sent; so does sending a draft that has already become a message.
    The team is checked at the moment of sending; the message, its attachments and the
    draft turning into it are one transaction."""
    key = (idempotency_key or "")[:100]
    existing = _already_sent(veteran=veteran, key=key, draft_id=draft_id)
    if existing and existing.idempotency_key == key and key:
        content = (int(recipient_id), category, subject, body)
        if _content_of(existing) != content:
            # Another message written under the same key (the flow's key is shared by the
            # session's tabs): it is a message of its own, with a key of its own that its
            # retries share.
            key = _content_key(key, content)
            existing = _already_sent(veteran=veteran, key=key, draft_id=None)
    if existing:
        return SendResult(existing, created=False)
    team, recipient = _messageable_team(veteran=veteran, recipient_id=recipient_id)
    checked, errors = check_attachments(list(files), rules_for(recipient.source))
    if errors:
        raise AttachmentsRefused(errors)

    stored_names: list[str] = []
    try:
        with transaction.atomic():
            if draft_id is not None:
                message = Message.objects.select_for_update().get(pk=draft_id, veteran=veteran)
                if message.state != Message.State.DRAFT:  # lost a race with another tab
                    return SendResult(message, created=False)
            else:
                message = Message(veteran=veteran, flow=flow, platform=platform)
            message.care_team = team
            message.category, message.subject, message.body = category, subject, body
            message.state, message.sent_at, message.idempotency_key = (
                Message.State.SENT,
                timezone.now(),
                key,
            )
            message.save()
            audit.record(
                audit.Action.MESSAGE_SENT,
                actor=veteran,
                target_type="message",
                target_id=message.pk,
                detail={
                    "care_team": team.upstream_id,
                    "flow": message.flow,
                    "platform": message.platform,
                    "from_draft": draft_id is not None,
                    "attachments": len(files),
                },
            )
            for upload, info in zip(files, checked, strict=True):
                attachment = Attachment(
                    message=message,
                    name=info.name,
                    size=info.size,
                    content_type=info.content_type,
                    sha256=info.sha256,
                )
                attachment.file.save(info.name, upload, save=False)
                stored_names.append(attachment.file.name)
                attachment.save()
    except IntegrityError:
        # A concurrent request with the same key won the race: return its message.
        _delete_files(stored_names)
        existing = _already_sent(veteran=veteran, key=key, draft_id=draft_id)
        if existing:
            return SendResult(existing, created=False)
        raise
    except BaseException:
        _delete_files(stored_names)
        raise
    return SendResult(message, created=True)


def _content_of(message: Message) -> tuple:
    return (message.care_team.upstream_id, message.category, message.subject, message.body)


def _content_key(key: str, content: tuple) -> str:
    digest = hashlib.sha256(repr(content).encode()).hexdigest()[:32]
    return f"{key[:60]}.{digest}"


def _already_sent(*, veteran, key: str, draft_id: int | None) -> Message | None:
    if key:
        found = Message.objects.filter(
            veteran=veteran, idempotency_key=key, state=Message.State.SENT
        ).first()
        if found:
            return found
    if draft_id is not None:
        found = Message.objects.filter(pk=draft_id, veteran=veteran).first()
        if found is None:
            raise Message.DoesNotExist("no such draft")
        if found.state == Message.State.SENT:
            return found
    return None


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # nothing stored is better than a crash while cleaning up
            pass


@transaction.atomic
def message_delete(*, veteran, message_id: int) -> None:
    """Delete one of the veteran's drafts or messages (Message.DoesNotExist for anyone else's)."""
    message = Message.objects.get(pk=message_id, veteran=veteran)
    names = [a.file.name for a in message.attachments.all()]
    was = message.state
    message.delete()
    audit.record(
        audit.Action.DRAFT_DELETED if was == Message.State.DRAFT else audit.Action.MESSAGE_DELETED,
        actor=veteran,
        target_type="message",
        target_id=message_id,
        detail={"state": was},
    )
    transaction.on_commit(lambda: _delete_files(names))
