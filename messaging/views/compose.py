"""The new-message flow (built out by the flow issue)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def interstitial(request):
    return render(request, "messaging/placeholder.html")
