"""The QA tools' reads."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model

from messaging.common import clock
from messaging.models import Flag, TestVeteran
from messaging.rollout.flags import ALL_FLAGS, CURATED_LIST_FLOW, RECENT_RECIPIENTS
from messaging.rollout.stages import state_of


class NotATestVeteran(Exception):
    """No such account, or a real veteran's: the QA tools answer 404 either way."""


def test_veteran_get(*, username: str):
    """The test veteran with this username (NotATestVeteran for anyone else)."""
    user = (
        get_user_model()
        .objects.filter(username=username, test_veteran__isnull=False)
        .select_related("test_veteran")
        .first()
    )
    if user is None:
        raise NotATestVeteran(username)
    return user


def test_veterans_of(*, actor) -> list[dict]:
    """The test veterans this QA account created, newest first, with their overrides."""
    users = (
        get_user_model()
        .objects.filter(test_veteran__created_by=actor)
        .select_related("test_veteran")
        .order_by("-test_veteran__created_at", "-pk")
    )
    return [
        {
            "username": user.username,
            "scenario": user.test_veteran.scenario,
            "created_at": user.test_veteran.created_at,
            "flag_rows": [
                {
                    "name": name,
                    "value": {True: "on", False: "off"}.get(
                        user.test_veteran.flag_overrides.get(name), ""
                    ),
                }
                for name in ALL_FLAGS
            ],
            "today_offset_days": user.test_veteran.today_offset_days,
            "today": clock.deployment_today()
            + timedelta(days=user.test_veteran.today_offset_days or 0),
        }
        for user in users
    ]


def flag_stages() -> list[dict]:
    """Each product flag's current rollout stage."""
    flags = {flag.name: flag for flag in Flag.objects.filter(name__in=ALL_FLAGS)}
    return [
        {"name": name, "stage": state_of(flags[name])["stage"] if name in flags else "off"}
        for name in ALL_FLAGS
    ]


def banner_for(user) -> str | None:
    """ "Test account: curated flow off (override), today = 2026-05-14" for a test veteran
    with overrides; None for everyone else."""
    state = TestVeteran.state_for(user)
    if not state.has_overrides:
        return None
    names = {CURATED_LIST_FLOW: "curated flow", RECENT_RECIPIENTS: "recent care teams"}
    parts = [
        f"{names.get(name, name)} {'on' if on else 'off'} (override)"
        for name, on in sorted(state.flags.items())
    ]
    today = clock.today(user=user).isoformat()
    if state.today_offset_days is not None:
        parts.append(f"today = {today} (offset {state.today_offset_days:+d} days)")
    else:
        parts.append(f"today = {today}")
    return "Test account: " + ", ".join(parts)
