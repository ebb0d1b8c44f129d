"""The interstitial: what to know before writing (and, curated flag off, the way to legacy
compose)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from messaging.compose import flow
from messaging.compose.flow import Page

from .compose import legacy_compose
from .flowrequest import FlowRequest

# --- 1. Interstitial (and, with the curated flag off, the legacy compose page) -------------


@require_http_methods(["GET", "POST"])
def interstitial(request):
    fr = FlowRequest(request)
    if request.GET.get("from") in ("inbox", "sent", "drafts"):
        fr.state.origin = request.GET["from"]
        fr.save()
    if flow.new_message_page(fr.flags, fr.state) == Page.LEGACY:
        return legacy_compose(request, fr)
    if request.method == "POST":
        return interstitial_continue(request)
    if redirect_response := fr.guard(Page.INTERSTITIAL):
        return redirect_response
    return render(
        request,
        "messaging/interstitial.html",
        {"curated": fr.flags.curated, "back_url": fr.back_url(Page.INTERSTITIAL)},
    )


@require_http_methods(["GET", "POST"])
def interstitial_continue(request):
    """ "Continue to start message": records that the interstitial was accepted."""
    fr = FlowRequest(request)
    if redirect_response := fr.guard(Page.INTERSTITIAL):
        return redirect_response
    fr.state.accepted = True
    fr.state.ensure_send_key()
    return fr.go(flow.continue_from(Page.INTERSTITIAL, fr.flags, fr.facts))
