"""Is veteran X in the current stage of flag Y, and why (for testers and staff).

Answers in the order the flag check decides (`messaging.models.Flag.is_active`): a test
veteran's own override (QA tools), the rollback, everyone, the whitelist (user, then
group), then the veteran's fixed place for a percentage."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from messaging.models import TestVeteran, sticky_bucket
from messaging.rollout.stages import RolloutError, _flag, state_of


@dataclass(frozen=True)
class Membership:
    flag: str
    username: str
    stage: str
    included: bool
    reason: str

    def __str__(self) -> str:
        verdict = "is in" if self.included else "is not in"
        return (
            f"{self.username} {verdict} the current stage ({self.stage}) of {self.flag}: "
            f"{self.reason}"
        )


def veteran_in_stage(*, flag_name: str, username: str) -> Membership:
    flag = _flag(flag_name)
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise RolloutError(f"no account named {username!r}")
    state = state_of(flag)
    stage = state["stage"]

    def answer(included: bool, reason: str) -> Membership:
        return Membership(flag_name, username, stage, included, reason)

    override = TestVeteran.state_for(user).flags.get(flag_name)
    if override is not None:
        return answer(
            override,
            f"a QA override turns the flag {'on' if override else 'off'} for this test "
            "veteran, whatever the stage",
        )
    if flag.everyone is False:
        return answer(False, "the flag is off for everyone (off or rolled back)")
    if flag.everyone is True:
        return answer(True, "stage E: everyone")
    if user.username in state["whitelist_users"]:
        return answer(True, "on the whitelist by name")
    groups = sorted(
        set(user.groups.values_list("name", flat=True)) & set(state["whitelist_groups"])
    )
    if groups:
        return answer(True, f"in the whitelisted group {groups[0]}")
    if flag.percent:
        place, percent = sticky_bucket(flag.name, user.pk), float(flag.percent)
        if place < percent:
            return answer(
                True, f"their fixed place for this flag is {place:.2f}, below {percent:g} %"
            )
        return answer(
            False, f"their fixed place for this flag is {place:.2f}, not below {percent:g} %"
        )
    if stage == "whitelist":
        return answer(False, "not on the whitelist (the only veterans in this stage)")
    return answer(False, "the flag is off")
