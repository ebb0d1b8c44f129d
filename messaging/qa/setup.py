"""Start-up wiring of the QA tools: the clock's per-test-veteran offset, the `qa` group's
permissions after every migrate, and the deploy check."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from messaging.common import clock
from messaging.models import TestVeteran
from messaging.services.bundle import qa_group_ensure


def _offset(user) -> int | None:
    return TestVeteran.state_for(user).today_offset_days


def _qa_group(**kwargs) -> None:
    qa_group_ensure()


@checks.register(checks.Tags.security, deploy=True)
def qa_tools_in_production(app_configs=None, **kwargs):
    """`check --deploy` warns when SM_QA_TOOLS is set under the production profile."""
    if settings.PRODUCTION and settings.SM_QA_TOOLS_REQUESTED:
        where = (
            "staging: test veterans, sign-in links and overrides are on"
            if settings.SM_QA_TOOLS
            else "production: they stay off there"
        )
        return [
            checks.Warning(
                f"SM_QA_TOOLS is set under the production profile ({where}).",
                hint="Unset SM_QA_TOOLS everywhere but a staging deployment.",
                id="sm_portal.W001",
            )
        ]
    return []


def connect(app_config, post_migrate) -> None:
    clock.use_offset_source(_offset)
    post_migrate.connect(_qa_group, sender=app_config, dispatch_uid="sm-qa-group")
