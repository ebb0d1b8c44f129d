"""Inbox, Sent and Drafts: where the flow lands and QA checks what was sent."""

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from messaging.compose.forms import CsatForm
from messaging.models import Attachment, Message
from messaging.recipients import recipients_for
from messaging.rollout import telemetry
from messaging.selectors.messages import FOLDERS, attachment_for, folder_page, message_for
from messaging.selectors.transitions import transition_alerts

from .flowrequest import cannot_message_reason


@require_GET
def folder_redirect(request):
    return redirect("messaging:inbox")


@require_GET
def folder(request, folder: str):
    _, title, _ = FOLDERS[folder]
    page = folder_page(veteran=request.user, folder=folder, page=request.GET.get("page"))
    recipients = recipients_for(request.user)
    transition = None
    if folder == "inbox":  # the Inbox warns of (and explains) facility transitions
        transition = transition_alerts(recipients=recipients)
        telemetry.record_migration_alerts(transition.shown, page="inbox", request=request)
    return render(
        request,
        "messaging/folder.html",
        {
            "folder": folder,
            "folder_title": title,
            "page": page,
            "folders": FOLDERS,
            "transition": transition,
            "cannot_message": cannot_message_reason(recipients),
            # After "Message sent": the one-question survey, once per message.
            "csat_form": CsatForm() if request.session.get("sm_last_sent_flow") else None,
        },
    )


@require_GET
def message_detail(request, message_id: int):
    """One sent or received message of the veteran's (404 for anyone else's)."""
    try:
        message = message_for(veteran=request.user, message_id=message_id)
    except Message.DoesNotExist as exc:
        raise Http404("No such message") from exc
    return render(request, "messaging/message_detail.html", {"message": message})


@require_GET
def attachment_download(request, attachment_id: int):
    """An attachment, only to the veteran who sent it, and only as a download."""
    try:
        attachment = attachment_for(veteran=request.user, attachment_id=attachment_id)
    except Attachment.DoesNotExist as exc:
        raise Http404("No such attachment") from exc
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
