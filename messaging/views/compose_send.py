"""Start message and legacy compose, sending: the message goes out, or the refusal is shown
with every word kept."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone

from messaging.common.choices import Platform
from messaging.compose import flow
from messaging.compose.flow import Page
from messaging.compose.forms import ComposeForm
from messaging.compose.page import ComposePage
from messaging.compose.prefill import safe_redirect_path
from messaging.compose.scanning import UNAVAILABLE_ERROR, ScannerUnavailable
from messaging.compose.signature import signed_body
from messaging.models import Message
from messaging.rollout import telemetry
from messaging.services.messages import (
    SOMETHING_WENT_WRONG,
    AttachmentsInfected,
    AttachmentsRefused,
    FacilityMigrating,
    RecipientNotAllowed,
    message_send,
)

from .flowrequest import INVALID, FlowRequest, url_of

log = logging.getLogger(__name__)


# --- Start message (curated) and legacy compose (curated flag off) -------------------------


def _sent_now(*, request, fr: FlowRequest, page: ComposePage, form: ComposeForm) -> int | None:
    """Send a valid form's message: None when sent; a refusal becomes an error on the form
    and the status of the page that shows it (503 when the scanner could not be asked)."""
    body = form.cleaned_data["body"]
    if form.signs:
        body = signed_body(
            body=body, full_name=form.cleaned_data["signature_name"], on=timezone.localdate()
        )
    try:
        result = message_send(
            veteran=request.user,
            recipient_id=page.recipient.id,
            category=form.cleaned_data["category"],
            subject=form.cleaned_data["subject"],
            body=body,
            idempotency_key=form.cleaned_data.get("idempotency_key") or "",
            draft_id=fr.state.draft_id,
            files=form.cleaned_data.get("attachments") or [],
            flow=page.flow_name,
            platform=Platform.WEB,
            renewal=page.renewal,
        )
    except RecipientNotAllowed as exc:
        _refused(request, exc, telemetry.MESSAGE_SENT)
        form.add_error(None, exc.message)
    except AttachmentsRefused as exc:
        for error in exc.errors:
            form.add_error("attachments", error.message)
    except AttachmentsInfected as exc:
        form.add_error("attachments", exc.message)
    except ScannerUnavailable:  # never a silent pass: not sent, try again
        log.warning("attachment scanner unavailable: send refused", exc_info=True)
        form.add_error("attachments", UNAVAILABLE_ERROR)
        return 503
    except Message.DoesNotExist as exc:
        raise Http404("No such draft") from exc
    except Exception:  # storage or database failure: keep everything, save the draft
        log.exception("send failed")
        form.add_error(None, SOMETHING_WENT_WRONG)
    else:
        request.sm_replayed = not result.created  # the same message again: not a second send
        return None
    return INVALID


def _refused(request, exc: RecipientNotAllowed, event: str) -> None:
    """A refusal because the team's facility is moving to Oracle Health is counted."""
    if isinstance(exc, FacilityMigrating):
        telemetry.record_refusal(exc.moving, event=event, request=request)


def _sent(*, request, flow_name: str, redirect_path: str = ""):
    flow.clear(request)
    request.session["sm_last_sent_flow"] = flow_name  # for the satisfaction survey
    messages.success(request, "Message sent", extra_tags="message-sent")
    # A renewal request goes back where it came from: a path on this site, checked again.
    return redirect(safe_redirect_path(redirect_path) or url_of(Page.INBOX))
