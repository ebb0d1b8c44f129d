"""Start message's files after a refused send (issue 12): the valid ones are kept with the
draft and listed by name with "Remove"; the file input knows the limits and the files kept, so
the script checks new files when they are chosen."""

from __future__ import annotations

import logging

from django.http import Http404

from messaging.compose.attachments import DUPLICATE_ERROR, EMPTY_FILE_ERROR
from messaging.models import Attachment, Message
from messaging.services.attachments import attachment_remove, attachments_hold

log = logging.getLogger(__name__)
REMOVE_ACTION = "remove-attachment:"


def held_files(draft: Message | None) -> list[Attachment]:
    """The files the draft keeps (no query without a draft)."""
    return list(draft.attachments.order_by("pk")) if draft is not None else []


def hold_files(*, request, draft: Message | None, rules) -> list[Attachment] | None:
    """Keep the valid uploaded files with the draft just saved; None when there is no draft
    to keep them with (the page then says to attach them again)."""
    if draft is None:
        return None
    uploads = request.FILES.getlist("attachments")
    if not uploads:
        return held_files(draft)
    try:
        return attachments_hold(veteran=request.user, draft_id=draft.pk, files=uploads, rules=rules)
    except Message.DoesNotExist:
        return None
    except Exception:  # storage failure: the page says to attach them again
        log.exception("keeping the files of a refused send failed")
        return None


def remove_file(*, request, draft_id: int | None, action: str) -> None:
    """ "Remove" next to a kept file (404 for anything not the veteran's draft's)."""
    raw = action.removeprefix(REMOVE_ACTION)
    if draft_id is None or not (raw.isdigit() and int(raw) < 2**63):
        raise Http404("No such attachment")
    try:
        attachment_remove(veteran=request.user, draft_id=draft_id, attachment_id=int(raw))
    except Attachment.DoesNotExist as exc:
        raise Http404("No such attachment") from exc


def describe_files(form, rules, held: list[Attachment]) -> None:
    """What the script needs to check files as they are chosen (the spec's messages too)."""
    widget = form.fields.get("attachments") and form.fields["attachments"].widget
    if not widget:
        return
    widget.attrs.update(
        {
            "data-sm-files": "",
            "data-max-files": rules.max_files,
            "data-max-file-bytes": rules.max_file_bytes,
            "data-max-total-bytes": rules.max_total_bytes,
            "data-kept-files": len(held),
            "data-kept-bytes": sum(a.size for a in held),
            "data-error-type": rules.type_error(),
            "data-error-count": rules.too_many_error(),
            "data-error-size": rules.file_too_large_error(),
            "data-error-total": rules.total_too_large_error(),
            "data-error-empty": EMPTY_FILE_ERROR,
            "data-error-duplicate": DUPLICATE_ERROR,
        }
    )
