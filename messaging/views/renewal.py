"""What the flow's views need for medication renewal requests (flow.md 9) and the message
signature (flow.md 10): starting a renewal from the interstitial's parameters, the team it
preselects, and what a new message starts with. Reads go through selectors."""

from __future__ import annotations

from messaging.common.choices import Category
from messaging.compose.flow import FlowState
from messaging.compose.prefill import (
    RENEWAL_SUBJECT,
    Prefill,
    PrescriptionLines,
    provider_name,
    renewal_body,
    safe_redirect_path,
    signature_text,
    with_signature,
)
from messaging.models import Message
from messaging.recipients import Recipient
from messaging.selectors.medications import prescription_for
from messaging.selectors.preferences import signature_for

from .flowrequest import FlowRequest


def start_renewal(*, request, fr: FlowRequest) -> None:
    """A "Request a renewal" link: a new message about one prescription. Where to go after
    sending is kept only when it is a path on this site."""
    fr.state = FlowState(
        origin=fr.state.origin,
        renewal={
            "prescription": request.GET.get("prescriptionId", "")[:30],
            "redirect": safe_redirect_path(request.GET.get("redirectPath")),
            "station": request.GET.get("station_number", "")[:16],
        },
    )
    fr.save()


def renewal_team(*, request, fr: FlowRequest) -> Recipient | None:
    """The renewal's care team when the prescription names one the veteran may message (it
    is chosen for them); else its care system is preselected when they may message there."""
    prescription = prescription_for(
        veteran=request.user, prescription_id=fr.state.renewal.get("prescription")
    )
    team = prescription.care_team if prescription else None
    recipient = fr.recipients.get(team.upstream_id) if team else None
    if recipient is not None and recipient.can_message:
        fr.state.care_system = recipient.care_system.station_number
        fr.state.care_team = recipient.id
        fr.state.pending = {"recipient": str(recipient.id)}  # legacy compose's "To"
        return recipient
    station = (prescription and prescription.station_number) or fr.state.renewal.get("station")
    if station:
        systems = {s.station_number: s for s in fr.recipients.messageable_systems}
        system = systems.get(station) or systems.get(station[:3])  # "640A4" is part of 640
        fr.state.care_system = system.station_number if system else None
    return None


def new_message_prefill(*, request, fr: FlowRequest, draft: Message | None) -> Prefill:
    """A renewal request's category, subject and lines, then two empty lines and the
    veteran's signature. A draft, or text typed before choosing another team, is never
    overwritten."""
    renewal = fr.state.renewal
    saved = signature_for(veteran=request.user)
    signature = (
        signature_text(name=saved.name, title=saved.title) if saved and saved.include else ""
    )
    prescription = None
    if renewal.get("prescription"):
        prescription = prescription_for(
            veteran=request.user, prescription_id=renewal["prescription"]
        )
    warning = bool(renewal.get("prescription")) and prescription is None
    if draft is not None or "body" in fr.state.pending:
        return Prefill(renewal_warning=warning, signature=signature)
    initial: dict = {}
    body = ""
    if renewal:
        body = renewal_body(_lines(prescription))
        initial.update(category=Category.MEDICATIONS, subject=RENEWAL_SUBJECT)
    body = with_signature(body, signature)
    if body:
        initial["body"] = body
    return Prefill(initial=initial, renewal_warning=warning, signature=signature)


def _lines(prescription) -> PrescriptionLines:
    if prescription is None:
        return PrescriptionLines()
    return PrescriptionLines(
        name=prescription.name,
        instructions=prescription.instructions,
        provider=provider_name(prescription.provider_first_name, prescription.provider_last_name),
        expiration_date=prescription.expiration_date,
        dispensed_date=prescription.dispensed_date,
        quantity=prescription.quantity,
        known=True,
    )
