"""What the flow learns from veterans: interaction beacons and the satisfaction survey."""

import json

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from messaging.common.choices import Flow, Platform
from messaging.compose import flow
from messaging.compose.forms import CsatForm
from messaging.models import CsatResponse
from messaging.rollout import telemetry

MAX_BEACON_BYTES = 1024


def _bad(detail: str, status: int = 400) -> JsonResponse:
    return JsonResponse(
        {
            "errors": [
                {
                    "title": "Bad beacon",
                    "detail": detail,
                    "code": "SM_BEACON_INVALID",
                    "status": str(status),
                }
            ]
        },
        status=status,
    )


# sendBeacon cannot send a CSRF token; a beacon only adds a counted event for the signed-in
# veteran, so a forged one can do no harm beyond a count (and is rate-limited).
@csrf_exempt
@require_POST
@ratelimit(key="user_or_ip", rate=lambda group, request: settings.SM_BEACON_RATE, block=False)
def beacon(request):
    """Record a page view or an interaction: {"event": "...", "page": "/path/"}."""
    if getattr(request, "limited", False):
        return _bad("Too many events", 429)
    if len(request.body) > MAX_BEACON_BYTES:
        return _bad("Payload too large")
    try:
        data = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _bad("Body must be JSON")
    if (
        not isinstance(data, dict)
        or set(data) != {"event", "page"}
        or not all(isinstance(v, str) for v in data.values())
    ):
        return _bad('Body must be {"event": "...", "page": "/..."}')
    event, path = data["event"], data["page"]
    if event != "page-view" and event not in telemetry.INTERACTIONS:
        return _bad(f"Unknown event {event[:40]!r}")
    try:
        match = resolve(path)
    except Resolver404:
        return _bad("Unknown page")
    if match.namespace != "messaging":
        return _bad("Unknown page")
    flags = flow.flags_for(request)
    telemetry.record(
        telemetry.PAGE_VIEW if event == "page-view" else telemetry.INTERACTION,
        flow=flags.flow,
        platform=Platform.WEB,
        page=match.url_name if event == "page-view" else event,
        veteran_id=request.user.pk,
        device=telemetry.device_of(request),
    )
    return HttpResponse(status=204)


@require_POST
def csat(request):
    """The one-question survey shown after "Message sent"."""
    form = CsatForm(request.POST)
    sent_flow = request.session.get("sm_last_sent_flow")
    if not form.is_valid() or sent_flow not in Flow.values:
        messages.error(
            request,
            form.errors.get("score", ["Send a message first, then tell us how it went."])[0],
        )
        return redirect("messaging:inbox")
    CsatResponse.objects.create(
        score=form.cleaned_data["score"],
        comment=form.cleaned_data["comment"],
        flow=sent_flow,
        platform=Platform.WEB,
        veteran_id=request.user.pk,
    )
    request.session.pop("sm_last_sent_flow", None)
    messages.success(request, "Thank you for your feedback.")
    return redirect("messaging:inbox")
