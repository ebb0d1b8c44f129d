"""Reads about the veteran's messaging preferences."""

from __future__ import annotations

from messaging.models import MessageSignature


def signature_for(*, veteran) -> MessageSignature | None:
    """The veteran's messaging signature, if they have one (not the ROI electronic signature)."""
    return MessageSignature.objects.filter(veteran=veteran).first()
