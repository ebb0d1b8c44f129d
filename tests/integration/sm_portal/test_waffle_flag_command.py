"""waffle's own `waffle_flag` command goes through the rollout service (history and audit),
or is refused (qa.md, issue 14: `--testing` reset the flag for everyone with no history)."""

import pytest
from django.core.management import CommandError, call_command

from messaging.models import AuditEvent, Flag, FlagChange
from messaging.rollout.flags import CURATED_LIST_FLOW

pytestmark = pytest.mark.django_db


def test_deactivate_and_everyone_are_rollout_changes_with_history():
    call_command("waffle_flag", CURATED_LIST_FLOW, "--everyone", "--actor", "ops")
    assert Flag.objects.get(name=CURATED_LIST_FLOW).everyone is True
    call_command("waffle_flag", CURATED_LIST_FLOW, "--deactivate", "--actor", "ops")
    assert Flag.objects.get(name=CURATED_LIST_FLOW).everyone is False
    stages = list(
        FlagChange.objects.filter(flag=CURATED_LIST_FLOW)
        .order_by("at", "pk")
        .values_list("to_state__stage", flat=True)
    )
    assert stages == ["E", "off"]
    assert AuditEvent.objects.filter(action="flag.changed", actor="ops").count() == 2


def test_percent_goes_through_the_guard():
    call_command("waffle_flag", CURATED_LIST_FLOW, "--percent", "25", "--actor", "ops")
    assert FlagChange.objects.get().to_state["stage"] == "B"


@pytest.mark.parametrize("option", ["--testing", "--superusers", "--rollout", "--create"])
def test_what_the_rollout_has_no_stage_for_is_refused(option):
    with pytest.raises(CommandError, match="refused"):
        call_command("waffle_flag", CURATED_LIST_FLOW, option)
    assert not FlagChange.objects.exists()
    assert not Flag.objects.filter(name=CURATED_LIST_FLOW, testing=True).exists()


def test_unknown_flag_is_refused():
    with pytest.raises(CommandError, match="unknown flag"):
        call_command("waffle_flag", "some_flag", "--everyone")
