"""Writes about the veteran's messaging preferences. One transaction each; keyword-only."""

from __future__ import annotations

from django.db import transaction

from messaging.models import MessageSignature


@transaction.atomic
def signature_save(*, veteran, name: str, title: str, include: bool) -> MessageSignature:
    """Set the veteran's messaging signature (checked by the form or serializer first: a
    name when it is included, 50 characters each). Not the ROI electronic signature."""
    signature, _ = MessageSignature.objects.update_or_create(
        veteran=veteran,
        defaults={"name": name.strip(), "title": title.strip(), "include": include},
    )
    return signature
