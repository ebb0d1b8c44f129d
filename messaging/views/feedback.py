"""What the flow learns from veterans: interaction beacons and the satisfaction survey."""

import json
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from messaging.common.choices import Flow, Platform
from messaging.common.errors import error_json
from messaging.compose import flow
from messaging.compose.forms import CsatForm
from messaging.models import TestVeteran
from messaging.rollout import telemetry
from messaging.services.feedback import csat_save

MAX_BEACON_BYTES = 1024


def _bad(detail: str, status: int = 400) -> JsonResponse:
    return error_json(status, "Bad beacon", detail, "SM_BEACON_INVALID")


def _same_origin(request) -> bool:
    """What the browser says about where the request comes from: `Sec-Fetch-Site`, and
    `Origin` (both set by the browser, never by a page's script). At least one must be
    there, and each that is there must say this site (as Django's CSRF check reads it)."""
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if site is None and origin is None:
        return False
    if site is not None and site != "same-origin":
        return False
    if origin is not None:
        ours = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
        if origin != ours and origin not in settings.CSRF_TRUSTED_ORIGINS:
            return False
    return True


def same_origin_only(view):
    """Refuse (403) a cross-site request before anything is counted."""

    @wraps(view)
    def check(request, *args, **kwargs):
        if not _same_origin(request):
            return _bad("Beacons are accepted from this site's own pages only", 403)
        return view(request, *args, **kwargs)

    return check


# sendBeacon cannot send a CSRF token: the beacon is exempt from the token check and accepts
# same-origin requests only instead (fake events would feed the rollout guard); rate-limited.
@csrf_exempt
@require_POST
@same_origin_only
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
    csat_save(
        veteran_id=request.user.pk,
        score=form.cleaned_data["score"],
        comment=form.cleaned_data["comment"],
        flow=sent_flow,
        platform=Platform.WEB,
        test=TestVeteran.state_for(request.user).test,  # left out of the figures (qa.md)
    )
    request.session.pop("sm_last_sent_flow", None)
    messages.success(request, "Thank you for your feedback.")
    return redirect("messaging:inbox")
