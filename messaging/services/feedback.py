"""Writes about what veterans tell us: the satisfaction survey. One transaction each."""

from __future__ import annotations

from django.db import transaction

from messaging.models import CsatResponse


@transaction.atomic
def csat_save(
    *,
    veteran_id: int | None,
    score: int,
    comment: str,
    flow: str,
    platform: str,
    test: bool = False,
) -> CsatResponse:
    """Store one survey answer with the flow the veteran just sent a message on."""
    return CsatResponse.objects.create(
        score=score, comment=comment, flow=flow, platform=platform, veteran_id=veteran_id, test=test
    )
