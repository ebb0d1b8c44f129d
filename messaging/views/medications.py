"""The medications page (flow.md 9): the veteran's prescriptions, each renewable one with a
link that starts a renewal request in secure messages."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from messaging.compose.prefill import NOT_FILLED_YET, long_date
from messaging.selectors.medications import prescriptions_for


@require_GET
def medications(request):
    here = reverse("medications")
    start = reverse("messaging:interstitial")
    rows = [
        {
            "prescription": p,
            "last_filled": long_date(p.dispensed_date) or NOT_FILLED_YET,
            "renewal_url": f"{start}?{urlencode({'prescriptionId': p.prescription_id, 'redirectPath': here}, safe='/')}"
            if p.renewable
            else "",
        }
        for p in prescriptions_for(veteran=request.user)
    ]
    return render(request, "messaging/medications.html", {"rows": rows})
