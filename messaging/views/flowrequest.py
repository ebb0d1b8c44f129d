"""What every flow view needs about the request: flags, flow state, recipients, routing."""

from __future__ import annotations

from functools import cached_property

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from messaging.compose import flow
from messaging.compose.flow import Facts, Page
from messaging.recipients import Kind, RecipientSet, recipients_for
from messaging.rollout import telemetry
from messaging.selectors.teams import recent_teams
from messaging.selectors.transitions import transition_alerts

INVALID = 422  # a form that comes back with errors

NO_TEAMS = (
    "You can’t send messages yet because you don’t have any care teams connected to your account. "
    "To connect with a care team, contact your VA health facility."
)
ALL_BLOCKED = (
    "You can’t send messages to any of your care teams right now. "
    "If you think this is an error, contact your VA health facility."
)


def cannot_message_reason(recipients) -> str | None:
    """Why the veteran can't start a message, else None; "" when teams are locked by a move
    to Oracle Health (the Inbox's locked alert says why)."""
    if recipients.can_message_anyone:
        return None
    if recipients.moving(Kind.LOCKED):
        return ""
    return ALL_BLOCKED if recipients.care_systems else NO_TEAMS


def url_of(target: str) -> str:
    name = target.url_name if isinstance(target, Page) else target
    return reverse(f"messaging:{name}")


class FlowRequest:
    def __init__(self, request):
        self.request = request
        self.flags = flow.flags_for(request)
        self.state = flow.load(request)

    @cached_property
    def recipients(self) -> RecipientSet:
        return recipients_for(self.request.user)

    @cached_property
    def recent(self):
        if not self.flags.recent:
            return []  # no query when the step is off
        return recent_teams(veteran=self.request.user, recipients=self.recipients)

    @cached_property
    def facts(self) -> Facts:
        return _LazyFacts(self)  # type: ignore[return-value]

    def guard(self, page: Page):
        """A redirect response when `page` may not be shown now, else None."""
        target = flow.redirect_for(page, self.flags, self.state, self.facts)
        if target is None:
            return None
        if target == Page.INBOX:
            flow.clear(self.request)
            if reason := cannot_message_reason(self.recipients):
                messages.warning(self.request, reason)
        return redirect(url_of(target))

    def go(self, target) -> object:
        self.save()
        return redirect(url_of(target))

    def back_url(self, page: Page) -> str:
        return url_of(flow.back_from(page, self.flags, self.state, self.facts))

    def save(self) -> None:
        flow.save(self.request, self.state)

    def compose_transition_alerts(self, recipient, *, legacy: bool):
        """Legacy compose offers every team: all the alerts. Start message speaks only of the
        chosen team's system, and only when it is moving (no extra read otherwise). Counted
        when the page is shown."""
        if legacy:
            return self.transition_alerts(None)
        if recipient is not None and recipient.migrating_to_oh:
            return self.transition_alerts(None, station=recipient.care_system.station_number)
        return None

    def transition_alerts(self, page: str | None, **narrow):
        """The page's alerts about the veteran's moving systems, counted once as shown on
        `page` (None: the caller counts them when it renders)."""
        alerts = transition_alerts(recipients=self.recipients, **narrow)
        if page is not None:
            telemetry.record_migration_alerts(alerts.shown, page=page, request=self.request)
        return alerts


class _LazyFacts:
    """`flow.Facts`, each answer computed when routing first asks for it: start message never
    asks whether there are recent teams, so it never runs that query."""

    def __init__(self, fr: FlowRequest):
        self._fr = fr

    @cached_property
    def can_message_anyone(self) -> bool:
        team = self._fr.state.care_team
        if team is not None and self._fr.recipients.can_message(team):
            return True  # the team they chose (start message reads it anyway): no summary
        return self._fr.recipients.can_message_anyone

    @cached_property
    def has_recent(self) -> bool:
        return bool(self._fr.recent)
