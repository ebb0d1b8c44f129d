"""Reads about the veteran's prescriptions (medication renewal requests, flow.md 9)."""

from __future__ import annotations

from django.db.models import QuerySet

from messaging.models import Prescription


def prescriptions_for(*, veteran) -> QuerySet[Prescription]:
    """The veteran's prescriptions, in the order the data gives them."""
    return Prescription.objects.filter(veteran=veteran).order_by("position", "pk")


def prescription_for(*, veteran, prescription_id: int | str | None) -> Prescription | None:
    """One of the veteran's prescriptions by its id; None for an unknown id or anyone else's."""
    try:
        wanted = int(prescription_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not -(2**63) <= wanted < 2**63:
        return None
    return (
        Prescription.objects.filter(veteran=veteran, prescription_id=wanted)
        .select_related("care_team")
        .first()
    )
