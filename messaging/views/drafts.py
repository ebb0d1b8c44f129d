"""Deleting the draft being written, and reopening a draft from Drafts."""

from __future__ import annotations

import time

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from messaging.common.choices import Platform
from messaging.compose import flow
from messaging.compose.flow import FlowState, Page
from messaging.models import Message
from messaging.recipients import Recipient
from messaging.rollout import telemetry
from messaging.selectors.messages import draft_for
from messaging.services.messages import draft_delete

from .flowrequest import FlowRequest, url_of

# --- Delete draft, reopen a draft -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def delete_draft(request):
    fr = FlowRequest(request)
    back = url_of(Page.START if fr.flags.curated else Page.LEGACY)
    if request.method == "POST":
        had_draft = fr.state.draft_id is not None
        flow_name = fr.flags.flow
        started = time.perf_counter()
        if had_draft:
            try:
                draft_delete(veteran=request.user, draft_id=fr.state.draft_id)
            except Message.DoesNotExist as exc:
                telemetry.record_request(
                    telemetry.DRAFT_DELETED,
                    flow=flow_name,
                    platform=Platform.WEB,
                    status_code=404,
                    started=started,
                    veteran_id=request.user.pk,
                    device=telemetry.device_of(request),
                )
                raise Http404("No such draft") from exc
            telemetry.record_request(
                telemetry.DRAFT_DELETED,
                flow=flow_name,
                platform=Platform.WEB,
                status_code=302,
                started=started,
                veteran_id=request.user.pk,
                device=telemetry.device_of(request),
            )
        flow.clear(request)
        messages.success(request, "Draft was successfully deleted.")
        return redirect(url_of("drafts" if had_draft else "inbox"))
    return render(request, "messaging/delete_draft.html", {"back_url": back})


@require_GET
def draft_open(request, draft_id: int):
    """Reopen a draft from Drafts into start message (or legacy compose, flag off)."""
    try:
        draft = draft_for(veteran=request.user, draft_id=draft_id)
    except Message.DoesNotExist as exc:
        raise Http404("No such draft") from exc
    fr = FlowRequest(request)
    recipient: Recipient | None = fr.recipients.get(draft.care_team.upstream_id)
    fr.state = FlowState(
        accepted=True,
        care_system=recipient.care_system.station_number if recipient else None,
        care_team=recipient.id if recipient else None,
        draft_id=draft.pk,
        origin="drafts",
    )
    fr.state.ensure_send_key()
    return fr.go(Page.START if fr.flags.curated else Page.LEGACY)
