"""The new-message flow: its state, and where every page goes. The one place for it.

State lives server-side in the session: interstitial accepted, chosen care system and
care team, the draft being written, the idempotency key of the message being written,
and what the veteran typed while they went to choose another team. Views ask
`redirect_for`, `continue_from` and `back_from`; no view decides a route itself.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import waffle

from messaging.rollout.flags import CURATED_LIST_FLOW, RECENT_RECIPIENTS

SESSION_KEY = "sm_flow"


class Page(StrEnum):
    """Each place the flow can send a veteran; values are URL names in `messaging`."""

    INBOX = "inbox"
    INTERSTITIAL = "interstitial"
    RECENT = "recent"
    SELECT = "select-care-team"
    START = "start-message"
    HELP = "care-team-help"
    LEGACY = "legacy-compose"

    @property
    def url_name(self) -> str:
        # The legacy compose page lives at /new-message/ once the interstitial is accepted.
        return "interstitial" if self is Page.LEGACY else self.value


# Pages that keep the flow's state; visiting anything else clears it (flow.md).
FLOW_URL_NAMES = frozenset(
    {
        "interstitial",
        "interstitial-continue",
        "recent",
        "select-care-team",
        "select-care-team-teams",
        "select-care-team-search",
        "start-message",
        "care-team-help",
        "delete-draft",
        "draft-open",
        "contact-list",
        "beacon",  # the script's page-view and click events keep the state too
        "name-changes-dismiss",
    }
)


@dataclass
class FlowState:
    accepted: bool = False
    care_system: str | None = None
    care_team: int | None = None
    draft_id: int | None = None
    send_key: str = ""
    pending: dict[str, str] = field(default_factory=dict)
    origin: str = "inbox"

    def ensure_send_key(self) -> str:
        """One idempotency key per message being written: shared by every tab of the session."""
        if not self.send_key:
            self.send_key = uuid.uuid4().hex
        return self.send_key


def load(request) -> FlowState:
    data = request.session.get(SESSION_KEY) or {}
    known = {k: v for k, v in data.items() if k in FlowState.__dataclass_fields__}
    return FlowState(**known)


def save(request, state: FlowState) -> None:
    value = asdict(state)
    if request.session.get(SESSION_KEY) != value:  # unchanged: no session write
        request.session[SESSION_KEY] = value


def clear(request) -> None:
    request.session.pop(SESSION_KEY, None)


@dataclass(frozen=True)
class Flags:
    curated: bool
    recent: bool

    @property
    def flow(self) -> str:
        """The flow this request's veteran is on, as metrics and messages record it."""
        return "curated" if self.curated else "legacy"


def flags_for(request) -> Flags:
    """Both flags, evaluated per request (whitelist, percentage and rollback all apply)."""
    curated = waffle.flag_is_active(request, CURATED_LIST_FLOW)
    # The recent step only exists inside the curated flow.
    recent = curated and waffle.flag_is_active(request, RECENT_RECIPIENTS)
    return Flags(curated=curated, recent=recent)


@dataclass(frozen=True)
class Facts:
    """What routing needs to know about the veteran's recipients."""

    can_message_anyone: bool
    has_recent: bool


def shows_recent(flags: Flags, facts: Facts) -> bool:
    return flags.recent and facts.has_recent


def new_message_page(flags: Flags, state: FlowState) -> Page:
    """What `/new-message/` shows: the interstitial, or (curated off, accepted) legacy compose."""
    if not flags.curated and state.accepted:
        return Page.LEGACY
    return Page.INTERSTITIAL


def redirect_for(page: Page, flags: Flags, state: FlowState, facts: Facts) -> Page | None:
    """Where a request for `page` must go instead, or None to show the page."""
    if not facts.can_message_anyone:
        return Page.INBOX
    if page == Page.INTERSTITIAL:
        return None
    if not flags.curated:
        return Page.INTERSTITIAL
    if page == Page.HELP:
        return None
    if not state.accepted:
        return Page.INTERSTITIAL
    if page == Page.RECENT and not shows_recent(flags, facts):
        return Page.SELECT
    if page == Page.START and state.care_team is None:
        return Page.SELECT
    return None


def continue_from(page: Page, flags: Flags, facts: Facts, *, different_team: bool = False) -> Page:
    """Where "Continue" on `page` goes."""
    if page == Page.INTERSTITIAL:
        if not flags.curated:
            return Page.LEGACY
        return Page.RECENT if shows_recent(flags, facts) else Page.SELECT
    if page == Page.RECENT:
        return Page.SELECT if different_team else Page.START
    if page == Page.SELECT:
        return Page.START
    raise ValueError(f"{page} has no Continue")


def back_from(page: Page, flags: Flags, state: FlowState, facts: Facts) -> str:
    """Where "Back" on `page` goes: a Page, or the folder the veteran came from."""
    if page in (Page.INTERSTITIAL, Page.LEGACY):
        return state.origin if state.origin in ("inbox", "sent", "drafts") else Page.INBOX.value
    if page == Page.RECENT:
        return Page.INTERSTITIAL
    if page == Page.SELECT:
        return Page.RECENT if shows_recent(flags, facts) else Page.INTERSTITIAL
    if page in (Page.START, Page.HELP):
        return Page.SELECT
    raise ValueError(f"{page} has no Back")
