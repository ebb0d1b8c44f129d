"""The audit log: one function writes it, inside the caller's transaction, so an entry exists
exactly when the change it describes was committed."""

from __future__ import annotations

from django_guid import get_guid

from messaging.models import AuditEvent

Action = AuditEvent.Action


def record(
    action: str, *, actor, target_type: str, target_id, detail: dict | None = None
) -> AuditEvent:
    """`actor` is a user (veterans, staff) or a name (who ran a management command)."""
    if isinstance(actor, str):
        name, actor_id = actor, None
    else:
        name, actor_id = actor.get_username(), actor.pk
    return AuditEvent.objects.create(
        action=action,
        actor=name[:150],
        actor_id=actor_id,
        target_type=target_type,
        target_id=str(target_id),
        request_id=get_guid() or "",
        detail=detail or {},
    )
