"""Start message and legacy compose, sending: the message goes out, or the refusal is shown
with every word kept."""

from __future__ import annotations

import logging
from dataclasses import dataclass

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

from . import compose_tabs as tabs
from .flowrequest import INVALID, FlowRequest, url_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What sending a valid form came to: the message sent, or the status of the page that
    shows the refusal (503 when the scanner could not be asked)."""

    message: Message | None = None
    status: int = INVALID


def send_form(*, request, fr: FlowRequest, page: ComposePage, form: ComposeForm) -> Outcome:
    """Send a valid form's message; a refusal becomes an error on the form."""
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
        count_refusal(request, exc, telemetry.MESSAGE_SENT)
        form.add_error(None, exc.message)
    except AttachmentsRefused as exc:
        for error in exc.errors:
            form.add_error("attachments", error.message)
    except AttachmentsInfected as exc:
        form.add_error("attachments", exc.message)
    except ScannerUnavailable:  # never a silent pass: not sent, try again
        log.warning("attachment scanner unavailable: send refused", exc_info=True)
        form.add_error("attachments", UNAVAILABLE_ERROR)
        return Outcome(status=503)
    except Message.DoesNotExist as exc:
        raise Http404("No such draft") from exc
    except Exception:  # storage or database failure: keep everything, save the draft
        log.exception("send failed")
        form.add_error(None, SOMETHING_WENT_WRONG)
    else:
        request.sm_replayed = not result.created  # the same message again: not a second send
        return Outcome(message=result.message)
    return Outcome()


def count_refusal(request, exc: RecipientNotAllowed, event: str) -> None:
    """A refusal because the team's facility is moving to Oracle Health is counted."""
    if isinstance(exc, FacilityMigrating):
        telemetry.record_refusal(exc.moving, event=event, request=request)


def to_inbox(*, request, flow_name: str, message: Message, redirect_path: str = ""):
    """After a send: "Message sent" in the inbox (or where a renewal request came from); Back
    to the page says "This message was sent"."""
    flow.clear(request)
    tabs.remember_sent(request, message)
    request.session["sm_last_sent_flow"] = flow_name  # for the satisfaction survey
    messages.success(request, "Message sent", extra_tags="message-sent")
    # A renewal request goes back where it came from: a path on this site, checked again.
    return redirect(safe_redirect_path(redirect_path) or url_of(Page.INBOX))
