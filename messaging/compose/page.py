"""One showing of start message or legacy compose: the team written to, the draft, the
attachment rules and the forms built from them (no request in here)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone
from django.utils.dateformat import format as date_format

from messaging.common.choices import Ehr, Flow
from messaging.compose.attachments import (
    DUPLICATE_ERROR,
    EMPTY_FILE_ERROR,
    AttachmentRules,
    rules_for,
)
from messaging.compose.flow import FlowState, Page
from messaging.compose.forms import ComposeForm, DraftFieldsForm
from messaging.compose.prefill import Prefill
from messaging.models import Attachment, Message
from messaging.recipients import Recipient

PENDING_FIELDS = ("category", "subject", "body")


def saved_status(message: Message, *, not_sent: bool = False) -> str:
    when = timezone.localtime(message.updated_at)
    at = f"{date_format(when, 'F j, Y')} at {date_format(when, 'g:i a T')}"
    if not_sent:  # never reads like success after a refused send
        return f"Your message wasn’t sent. We saved it as a draft on {at}."
    return f"Your message was saved on {at}."


def initial_values(
    state: FlowState, draft: Message | None, prefill: dict | None = None, *, pending: bool = True
) -> dict:
    """The form's first values: the send key, a new message's prefill (renewal lines, the
    signature), the draft's fields, then what was typed (not on a page its address names:
    that tab's own draft, as saved)."""
    initial = {"idempotency_key": state.ensure_send_key(), **(prefill or {})}
    if draft is not None:
        initial.update(
            category=draft.category,
            subject=draft.subject,
            body=draft.body,
            recipient=str(draft.care_team.upstream_id),
        )
    if pending:
        initial.update(
            {k: v for k, v in state.pending.items() if k in PENDING_FIELDS + ("recipient",)}
        )
    return initial


@dataclass
class ComposePage:
    """One showing of start message or legacy compose: the team, the draft, the rules."""

    page: Page
    recipient: Recipient | None
    draft: Message | None
    back_url: str
    initial: dict
    legacy_recipients: list[Recipient] | None = None
    transition: object = None  # the page's facility-transition alerts (TransitionAlerts)
    renewal: bool = False  # a medication renewal request: Category is "Medication"
    prefill: Prefill = Prefill()

    @property
    def legacy(self) -> bool:
        return self.page == Page.LEGACY

    @property
    def flow_name(self) -> str:
        return Flow.LEGACY if self.legacy else Flow.CURATED

    @cached_property
    def rules(self) -> AttachmentRules:
        return rules_for(self.recipient.source if self.recipient else Ehr.VISTA)

    def form(self, data=None, files=None) -> ComposeForm:
        """The whole form: the four draft fields, attachments and, when needed, the signature."""
        return ComposeForm(
            data,
            files,
            recipient=self.recipient,
            rules=self.rules,
            legacy_recipients=self.legacy_recipients,
            signature=bool(self.recipient and self.recipient.signature_required),
            renewal=self.renewal,
            initial=self.initial,
        )

    def draft_fields_form(self, data) -> DraftFieldsForm:
        """The four fields a draft keeps (never attachments or a signature)."""
        return DraftFieldsForm(
            data,
            recipient=self.recipient,
            rules=self.rules,
            legacy_recipients=self.legacy_recipients,
            renewal=self.renewal,
        )

    def held_files(self, draft: Message | None = None) -> list[Attachment]:
        """The files kept with the draft after a refused send (no query without a draft)."""
        draft = draft or self.draft
        return list(draft.attachments.order_by("pk")) if draft is not None else []

    def context(self, **extra) -> dict:
        held = extra.pop("held", None)
        held = self.held_files(extra.get("draft")) if held is None else held
        if "form" in extra:
            describe_files(extra["form"], self.rules, held)
        return {
            "held": held,
            "page": self.page,
            "recipient": self.recipient,
            "draft": self.draft,
            "back_url": self.back_url,
            "legacy": self.legacy,
            "saved_status": saved_status(self.draft) if self.draft else "",
            "transition": self.transition,
            "renewal": self.renewal,
            "renewal_warning": self.prefill.renewal_warning,
            "signature_included": bool(self.prefill.signature),
            **extra,
        }


def describe_files(form, rules: AttachmentRules, held: list[Attachment]) -> None:
    """What the script needs to check files as they are chosen (the spec's messages too)."""
    widget = form.fields.get("attachments") and form.fields["attachments"].widget
    if not widget:
        return
    widget.attrs.update(
        {
            "data-sm-files": "",
            "data-max-files": rules.max_files,
            "data-max-file-bytes": rules.max_file_bytes,
            "data-max-total-bytes": rules.max_total_bytes,
            "data-kept-files": len(held),
            "data-kept-bytes": sum(a.size for a in held),
            "data-error-type": rules.type_error(),
            "data-error-count": rules.too_many_error(),
            "data-error-size": rules.file_too_large_error(),
            "data-error-total": rules.total_too_large_error(),
            "data-error-empty": EMPTY_FILE_ERROR,
            "data-error-duplicate": DUPLICATE_ERROR,
        }
    )
