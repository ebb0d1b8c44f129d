"""What every flow view needs about the request: flags, flow state, recipients, routing."""

from __future__ import annotations

from functools import cached_property

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from messaging.compose import flow
from messaging.compose.flow import Facts, Page
from messaging.recipients import RecipientSet, recipients_for
from messaging.selectors.teams import recent_teams

INVALID = 422  # a form that comes back with errors

NO_TEAMS = (
    "You can’t send messages yet because you don’t have any care teams connected to your account. "
    "To connect with a care team, contact your VA health facility."
)
ALL_BLOCKED = (
    "You can’t send messages to any of your care teams right now. "
    "If you think this is an error, contact your VA health facility."
)


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
            messages.warning(
                self.request, ALL_BLOCKED if self.recipients.care_systems else NO_TEAMS
            )
        return redirect(url_of(target))

    def go(self, target) -> object:
        self.save()
        return redirect(url_of(target))

    def back_url(self, page: Page) -> str:
        return url_of(flow.back_from(page, self.flags, self.state, self.facts))

    def save(self) -> None:
        flow.save(self.request, self.state)


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
