"""Writes. Each public function is one transaction; keyword-only arguments."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import audit
from .attachments import check_attachments, rules_for
from .bundle import ParsedBundle
from .models import (
    Attachment,
    CareSystem,
    CareTeam,
    DismissedNameChange,
    Flow,
    Message,
    OhRegistration,
    Platform,
    VeteranProfile,
    VeteranTeam,
)
from .recipients import Recipient, recipients_for
from .recipients.common import AdaptedTeam


@dataclass(frozen=True)
class BundleLoadResult:
    care_systems: int
    care_teams: int
    veterans: int
    staff: int
    sent_messages: int


def _team_defaults(team: AdaptedTeam, system: CareSystem, position: int) -> dict:
    r = team.recipient
    return {
        "source": r.source,
        "name": r.name,
        "display_name": r.display_name,
        "care_system": system,
        "station_number": team.station_number,
        "signature_required": r.signature_required,
        "per_facility": team.per_facility,
        "position": position,
        "legacy_vista_triage_group_id": team.legacy_vista_triage_group_id,
        "source_record": team.source_record,
    }


_TEAM_FIELDS = [
    "source",
    "name",
    "display_name",
    "care_system",
    "station_number",
    "signature_required",
    "per_facility",
    "position",
    "legacy_vista_triage_group_id",
    "source_record",
]


def _bundle_message_key(username: str, index: int, message) -> str:
    digest = hashlib.sha256(
        f"{username}|{index}|{message.recipientId}|{message.category}|{message.subject}|{message.body}".encode()
    ).hexdigest()[:40]
    return f"bundle:{digest}"


@transaction.atomic
def bundle_load(*, bundle: ParsedBundle) -> BundleLoadResult:
    """Store a parsed bundle. Idempotent: loading the same bundle again changes no row
    count; sent messages are re-dated to `daysAgo` before this load."""
    User = get_user_model()
    systems: dict[str, CareSystem] = {}
    for entry in bundle.care_systems:
        systems[entry.stationNumber], _ = CareSystem.objects.update_or_create(
            station_number=entry.stationNumber,
            defaults={
                "name": entry.name,
                "ehr": entry.ehr,
                "facilities": entry.facilities,
                "in_registry": True,
            },
        )

    def system_for(team: AdaptedTeam) -> CareSystem:
        ref = team.recipient.care_system
        if ref.station_number not in systems:
            # A station the registry does not know: named from the payload (data.md).
            systems[ref.station_number], _ = CareSystem.objects.get_or_create(
                station_number=ref.station_number,
                defaults={"name": ref.name, "ehr": ref.ehr, "in_registry": False},
            )
        return systems[ref.station_number]

    rows: dict[int, CareTeam] = {}
    for position, team in enumerate(bundle.pools):
        rows[team.recipient.id] = CareTeam(
            upstream_id=team.recipient.id, **_team_defaults(team, system_for(team), position)
        )
    for veteran in bundle.veterans:
        for position, team in enumerate(veteran.teams):
            rows[team.recipient.id] = CareTeam(
                upstream_id=team.recipient.id, **_team_defaults(team, system_for(team), position)
            )
    CareTeam.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["upstream_id"],
        update_fields=_TEAM_FIELDS,
        batch_size=500,
    )
    team_pk = dict(
        CareTeam.objects.filter(upstream_id__in=rows.keys()).values_list("upstream_id", "pk")
    )
    # Every system's cached pool options (messaging/team_options.py) are stale from now on
    # (a pool may also have moved between systems): one UPDATE, bundle loads are rare.
    CareSystem.objects.update(pools_version=F("pools_version") + 1)

    now = timezone.now()
    sent = 0
    for veteran in bundle.veterans:
        data = veteran.data
        user = _account(
            User,
            username=data.username,
            password=data.password,
            full_name=data.fullName,
            staff=False,
        )
        VeteranProfile.objects.update_or_create(user=user, defaults={"full_name": data.fullName})

        links = [
            VeteranTeam(
                veteran=user,
                care_team_id=team_pk[team.recipient.id],
                blocked=team.recipient.blocked,
                on_contact_list=team.recipient.on_contact_list,
                position=position,
            )
            for position, team in enumerate(veteran.teams)
        ]
        VeteranTeam.objects.filter(veteran=user).exclude(
            care_team_id__in=[link.care_team_id for link in links]
        ).delete()
        VeteranTeam.objects.bulk_create(
            links,
            update_conflicts=True,
            unique_fields=["veteran", "care_team"],
            update_fields=["blocked", "on_contact_list", "position"],
        )

        stations = [station for station, _ in veteran.oh_systems]
        OhRegistration.objects.filter(veteran=user).exclude(station_number__in=stations).delete()
        for position, (station, system_station) in enumerate(veteran.oh_systems):
            OhRegistration.objects.update_or_create(
                veteran=user,
                station_number=station,
                defaults={"care_system": systems[system_station], "position": position},
            )

        pk_by_id = {**team_pk}
        for index, message in enumerate(data.sentMessages):
            if message.recipientId not in pk_by_id:
                pk_by_id[message.recipientId] = CareTeam.objects.get(
                    upstream_id=message.recipientId
                ).pk
            sent_at = now - timedelta(days=message.daysAgo)
            Message.objects.update_or_create(
                veteran=user,
                idempotency_key=_bundle_message_key(data.username, index, message),
                defaults={
                    "care_team_id": pk_by_id[message.recipientId],
                    "category": message.category,
                    "subject": message.subject,
                    "body": message.body,
                    "state": Message.State.SENT,
                    "sent_at": sent_at,
                },
            )
            sent += 1

    for staff in bundle.staff:
        _account(
            User,
            username=staff.username,
            password=staff.password,
            full_name=staff.fullName,
            staff=True,
        )

    return BundleLoadResult(
        care_systems=len(systems),
        care_teams=len(rows),
        veterans=len(bundle.veterans),
        staff=len(bundle.staff),
        sent_messages=sent,
    )


def _account(User, *, username: str, password: str, full_name: str, staff: bool):
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": full_name[:150]}
    )
    changed = created
    # A new account has no password to check (checking would cost a second hash).
    if created or not user.check_password(password):
        user.set_password(password)
        changed = True
    if user.first_name != full_name[:150] or user.is_staff != staff:
        user.first_name, user.is_staff = full_name[:150], staff
        changed = True
    if changed:
        user.save()
    return user


# --- Drafts, sending and the contact list -------------------------------------------------

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


class InvalidContactList(Exception):
    code = "SM_CONTACT_LIST_INVALID"


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


def signed_body(*, body: str, full_name: str, on: date) -> str:
    """The message body with the electronic signature block appended."""
    return f"{body.rstrip()}\n\n{'-' * 40}\n{full_name.strip()}\nSigned electronically on {on.isoformat()}."


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


@transaction.atomic
def name_changes_dismiss(*, veteran, pool_ids: list[int]) -> None:
    """Remember that the veteran dismissed these "{old} is now {new}" notices."""
    DismissedNameChange.objects.bulk_create(
        [DismissedNameChange(veteran=veteran, pool_id=pool_id) for pool_id in pool_ids],
        ignore_conflicts=True,
    )
