"""Where a one-time sign-in link points (absolute, for a suite or a private window)."""

from django.urls import reverse


def sign_in_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("qa-sign-in", args=[token]))
