"""Start message's files after a refused send (issue 12): the valid ones are kept with the
draft and listed by name with "Remove" (what the file input tells the script is in
`compose.page.describe_files`)."""

from __future__ import annotations

import logging

from django.http import Http404

from messaging.models import Attachment, Message
from messaging.services.attachments import attachment_remove, attachments_hold

log = logging.getLogger(__name__)
REMOVE_ACTION = "remove-attachment:"


def hold_files(*, request, draft: Message | None, rules) -> list[Attachment] | None:
    """Keep the valid uploaded files with the draft just saved; None when there is no draft
    to keep them with (the page then says to attach them again)."""
    if draft is None:
        return None
    uploads = request.FILES.getlist("attachments")
    if not uploads:
        return list(draft.attachments.order_by("pk"))
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
