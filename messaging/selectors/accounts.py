"""Reads for the demo sign-in page: the loaded bundle's accounts, described."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from messaging.recipients import recipients_for


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    description: str
    user: object


def _describe_veteran(user) -> str:
    recipients = recipients_for(user)
    moving = "; ".join(
        f"{m.system.name} moving to Oracle Health ({m.phase}, {m.kind})"
        for m in recipients.moving_systems
    )
    if not recipients.recipients:
        return f"No care teams offered now; {moving}." if moving else "No care teams at all."
    kinds = " and ".join(
        name
        for name, present in (("VistA", recipients.has_vista), ("Oracle Health", recipients.has_oh))
        if present
    )
    systems = len(recipients.care_systems)
    blocked = len(recipients.blocked_teams)
    parts = [
        f"{kinds}: {len(recipients.recipients)} care teams in {systems} care system{'s' if systems != 1 else ''}",
    ]
    if blocked:
        parts.append(f"{blocked} blocked")
    if recipients.blocked_systems:
        parts.append("blocked at " + ", ".join(s.name for s in recipients.blocked_systems))
    if moving:
        parts.append(moving)
    return "; ".join(parts) + "."


def demo_accounts() -> list[DemoAccount]:
    """Every account of the loaded bundle with a one-line description, veterans first (QA)."""
    User = get_user_model()
    users = User.objects.filter(is_active=True).select_related("veteran").order_by("is_staff", "pk")
    accounts = []
    for user in users:
        profile = getattr(user, "veteran", None)
        if user.is_staff:
            accounts.append(
                DemoAccount(
                    user.username, user.first_name, "Staff: rollout dashboard and flags.", user
                )
            )
        elif profile is not None:
            accounts.append(
                DemoAccount(user.username, profile.full_name, _describe_veteran(user), user)
            )
    return accounts
