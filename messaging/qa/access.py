"""Who may use the QA tools: staff accounts in the group `qa`."""

from __future__ import annotations

from messaging.services.bundle import QA_GROUP


def is_qa_staff(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.groups.filter(name=QA_GROUP).exists()
    )
