"""Files kept for a draft (issue 12): after a refused send the valid files stay with the
veteran's draft, as its attachments, so they never attach them again. They go with the draft:
sent along when it is sent, deleted with it. One transaction each; keyword-only arguments."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.storage import default_storage
from django.db import transaction

from messaging.compose.attachments import (
    DUPLICATE_ERROR,
    AttachmentError,
    AttachmentRules,
    CheckedFile,
    check_attachments,
)
from messaging.compose.scanning import scan_uploads
from messaging.models import Attachment, Message


def held_conflicts(
    *, veteran, draft_id: int | None, checked: Sequence[CheckedFile], rules: AttachmentRules
) -> list[AttachmentError]:
    """What adding `checked` to the files already kept for the draft would break: the count,
    the total size, or a file kept already."""
    if draft_id is None:
        return []
    held = list(
        Attachment.objects.filter(
            message_id=draft_id, message__veteran=veteran, message__state=Message.State.DRAFT
        ).values_list("sha256", "size")
    )
    if not held:
        return []
    errors: list[AttachmentError] = []
    shas = {sha for sha, _ in held}
    for info in checked:
        if info.sha256 in shas:
            errors.append(AttachmentError(info.name, DUPLICATE_ERROR))
    if len(held) + len(checked) > rules.max_files:
        errors.append(AttachmentError(None, rules.too_many_error()))
    if sum(size for _, size in held) + sum(i.size for i in checked) > rules.max_total_bytes:
        errors.append(AttachmentError(None, rules.total_too_large_error()))
    return errors


def attachments_hold(
    *, veteran, draft_id: int, files: Sequence, rules: AttachmentRules
) -> list[Attachment]:
    """Keep the valid ones of `files` with the veteran's draft (Message.DoesNotExist for
    anyone else's), within the limits, in the order given; a bad file is left out, never the
    good ones. Each is checked, then scanned before anything is stored: a file the scanner
    flags is never kept, and no verdict (ScannerUnavailable) keeps none. Returns every file
    the draft now keeps."""
    candidates = []
    for upload in files:
        checked, errors = check_attachments([upload], rules)
        if checked and not errors:
            candidates.append((upload, checked[0]))
    verdicts = scan_uploads([upload for upload, _ in candidates])
    clean = [
        candidate
        for candidate, (_file, verdict) in zip(candidates, verdicts, strict=True)
        if verdict.clean
    ]
    return _hold(veteran=veteran, draft_id=draft_id, clean=clean, rules=rules)


@transaction.atomic
def _hold(*, veteran, draft_id: int, clean: list, rules: AttachmentRules) -> list[Attachment]:
    draft = Message.objects.select_for_update().get(
        pk=draft_id, veteran=veteran, state=Message.State.DRAFT
    )
    held = list(draft.attachments.order_by("pk"))
    total = sum(a.size for a in held)
    shas = {a.sha256 for a in held}
    stored: list[str] = []
    try:
        for upload, info in clean:
            if (
                info.sha256 in shas
                or len(held) >= rules.max_files
                or total + info.size > rules.max_total_bytes
            ):
                continue
            attachment = attachment_store(message=draft, upload=upload, info=info, stored=stored)
            held.append(attachment)
            shas.add(info.sha256)
            total += info.size
    except BaseException:
        files_delete(stored)
        raise
    return held


def attachment_store(*, message: Message, upload, info: CheckedFile, stored: list[str]):
    """Store one checked (and scanned) file as the message's attachment; its stored name is
    added to `stored` first, so a caller can delete the files of a write that fails."""
    attachment = Attachment(
        message=message,
        name=info.name,
        size=info.size,
        content_type=info.content_type,
        sha256=info.sha256,
    )
    attachment.file.save(info.name, upload, save=False)
    stored.append(attachment.file.name)
    attachment.save()
    return attachment


@transaction.atomic
def attachment_remove(*, veteran, draft_id: int, attachment_id: int) -> None:
    """Remove one file kept for the veteran's draft (Attachment.DoesNotExist otherwise)."""
    attachment = Attachment.objects.select_for_update().get(
        pk=attachment_id,
        message_id=draft_id,
        message__veteran=veteran,
        message__state=Message.State.DRAFT,
    )
    name = attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: files_delete([name]))


def files_of(*, veteran, draft_id: int) -> list[str]:
    """The stored names of a draft's files (to delete them once the draft is gone)."""
    return list(
        Attachment.objects.filter(message_id=draft_id, message__veteran=veteran).values_list(
            "file", flat=True
        )
    )


def files_delete(names: list[str]) -> None:
    """Delete stored upload files (after a failed write, or once their rows are gone)."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # nothing stored is better than a crash while cleaning up
            pass
