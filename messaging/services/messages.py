"""Writes about messages: drafts, sending, deleting. Each public function is one
transaction; keyword-only arguments."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.common.choices import Flow, Platform
from messaging.compose.attachments import check_attachments, rules_for
from messaging.compose.scanning import infected_message, scan_uploads
from messaging.models import CareTeam, Message
from messaging.recipients import MovingSystem, Recipient, recipients_for
from messaging.rollout.stages import audit

from .attachments import attachment_store, files_delete, files_of, held_conflicts

BLOCKED_MESSAGE = "You are blocked from sending messages to this recipient."
SOMETHING_WENT_WRONG = "We’re sorry. Something went wrong on our end."


class RecipientNotAllowed(Exception):
    """The veteran may not message this team (blocked, off the contact list, or not theirs)."""

    code = "SM_RECIPIENT_NOT_ALLOWED"

    def __init__(self, message: str = BLOCKED_MESSAGE):
        super().__init__(message)
        self.message = message


class FacilityMigrating(RecipientNotAllowed):
    """The team is at a care system in the locked phase of its move to Oracle Health
    (transition.md): no draft and no message to it until messaging resumes."""

    code = "SM_FACILITY_MIGRATING"

    def __init__(self, moving: MovingSystem):
        self.moving = moving
        resumes = moving.messaging_resumes
        super().__init__(
            f"You can’t send messages to care teams at {moving.system.name} right now. "
            f"After {resumes:%B} {resumes.day}, {resumes.year}, you’ll be able to start a new "
            "message to contact your care teams."
        )


class AttachmentsInfected(Exception):
    """The malware scanner flagged one or more attachments: nothing is sent or stored."""

    code = "SM172"

    def __init__(self, names: list[str]):
        self.names = names
        self.message = infected_message(len(names))
        super().__init__(self.message)


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
    recipients = recipients_for(veteran)
    recipient = recipients.get(recipient_id)
    if recipient is not None and recipient.locked:
        moving = recipients.moving_system(recipient.care_system.station_number)
        if moving is not None:
            raise FacilityMigrating(moving)
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
    renewal: bool = False,
) -> tuple[Message, bool]:
    """Create or update one of the veteran's drafts (recipient, category, subject, body only:
    never attachments or a signature). `renewal`: a medication renewal request. Returns
    (draft, created)."""
    team, _ = _messageable_team(veteran=veteran, recipient_id=recipient_id)
    fields = {"care_team": team, "category": category, "subject": subject, "body": body}
    if renewal:
        fields["renewal"] = True
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
    """Delete one of the veteran's drafts (Message.DoesNotExist for anyone else's), and the
    files kept for it."""
    draft = Message.objects.get(pk=draft_id, veteran=veteran, state=Message.State.DRAFT)
    names = files_of(veteran=veteran, draft_id=draft_id)
    draft.delete()
    transaction.on_commit(lambda: files_delete(names))
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
    renewal: bool = False,
) -> SendResult:
    """Send a message exactly once.

    The same idempotency key (a retry, a double click, a second tab of the session) returns
    the message already sent; so does sending a draft that has already become a message.
    The team is checked at the moment of sending; the message, its attachments and the
    draft turning into it are one transaction."""
    key, existing = _resolve_send(
        veteran=veteran,
        key=(idempotency_key or "")[:100],
        content=(int(recipient_id), category, subject, body),
        draft_id=draft_id,
    )
    if existing:
        return SendResult(existing, created=False)
    team, recipient = _messageable_team(veteran=veteran, recipient_id=recipient_id)
    rules = rules_for(recipient.source)
    checked, errors = check_attachments(list(files), rules)
    if not errors:  # together with the files kept for the draft (after a refused send)
        errors = held_conflicts(veteran=veteran, draft_id=draft_id, checked=checked, rules=rules)
    if errors:
        raise AttachmentsRefused(errors)
    # Scanned before anything is stored; no verdict (ScannerUnavailable) refuses the send.
    flagged = [
        info.name
        for (_f, result), info in zip(scan_uploads(files), checked, strict=True)
        if not result.clean
    ]
    if flagged:
        raise AttachmentsInfected(flagged)

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
            message.renewal = message.renewal or renewal
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
                attachment_store(message=message, upload=upload, info=info, stored=stored_names)
    except IntegrityError:
        # A concurrent request with the same key won the race: return its message.
        files_delete(stored_names)
        existing = _already_sent(veteran=veteran, key=key, draft_id=draft_id)
        if existing:
            return SendResult(existing, created=False)
        raise
    except BaseException:
        files_delete(stored_names)
        raise
    return SendResult(message, created=True)


def send_replay(
    *,
    veteran,
    idempotency_key: str,
    recipient_id: int,
    category: str,
    subject: str,
    body: str,
    draft_id: int | None = None,
) -> Message | None:
    """The message already stored for this send (same key and content, or the draft already
    sent), or None. Reads only: callers answer a replay before the rate limit counts it."""
    _, existing = _resolve_send(
        veteran=veteran,
        key=(idempotency_key or "")[:100],
        content=(int(recipient_id), category, subject, body),
        draft_id=draft_id,
    )
    return existing


def _resolve_send(
    *, veteran, key: str, content: tuple, draft_id: int | None
) -> tuple[str, Message | None]:
    """(the key this send is stored under, the message already stored for it or None)."""
    existing = _already_sent(veteran=veteran, key=key, draft_id=draft_id)
    if existing and existing.idempotency_key == key and key and _content_of(existing) != content:
        # Another message written under the same key (the flow's key is shared by the
        # session's tabs): it is a message of its own, with a key of its own that its
        # retries share.
        key = _content_key(key, content)
        existing = _already_sent(veteran=veteran, key=key, draft_id=None)
    return key, existing


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


@transaction.atomic
def message_delete(*, veteran, message_id: int) -> str:
    """Delete one of the veteran's drafts or messages (Message.DoesNotExist for anyone else's).
    Returns the state it had (a draft, or a sent or received message)."""
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
    transaction.on_commit(lambda: files_delete(names))
    return was
