"""One form per page. Copy (labels, hints, errors) is the spec's, word for word."""

from __future__ import annotations

from collections.abc import Callable

from django import forms

from messaging.common.choices import Category
from messaging.models import BODY_MAX_LENGTH, SIGNATURE_FIELD_MAX_LENGTH, SUBJECT_MAX_LENGTH
from messaging.recipients import CareSystemRef, Recipient
from sm_portal.uswds import UswdsFormMixin

DIFFERENT_TEAM = "other"
CARE_TEAM_HINT = (
    "To search, try entering your type of care, provider name, or any part of your care team name."
)


class RecentTeamForm(UswdsFormMixin, forms.Form):
    recipient = forms.ChoiceField(
        label="Select a team you want to message",
        help_text=(
            "This list only includes teams that you've sent messages to in the last 6 months. "
            'If you want to contact another team, select "A different care team."'
        ),
        widget=forms.RadioSelect,
        error_messages={"required": "Select a care team", "invalid_choice": "Select a care team"},
    )

    def __init__(self, *args, teams: list[Recipient], **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = teams
        self.fields["recipient"].choices = [(str(t.id), t.display_name) for t in teams] + [
            (DIFFERENT_TEAM, "A different care team")
        ]

    @property
    def different_team(self) -> bool:
        return self.cleaned_data["recipient"] == DIFFERENT_TEAM

    def chosen(self) -> Recipient | None:
        return next((t for t in self.teams if str(t.id) == self.cleaned_data["recipient"]), None)


class SelectCareTeamForm(UswdsFormMixin, forms.Form):
    """Care system (none / radios / select) and care team (select, a combo box with JS)."""

    care_system = forms.ChoiceField(
        label="Select a VA health care system",
        error_messages={
            "required": "Select a VA health care system",
            "invalid_choice": "Select a VA health care system",
        },
    )
    # The options are rendered by selectors/team_options.py (hundreds of teams); whether
    # the posted team is one of the system's is asked by id (`team_ok`), not by listing.
    care_team = forms.CharField(
        label="Select a care team",
        help_text=CARE_TEAM_HINT,
        max_length=20,
        error_messages={"required": "Select a care team", "max_length": "Select a care team"},
    )

    def __init__(
        self, *args, systems: list[CareSystemRef], team_ok: Callable[[str], bool], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.systems = systems
        self.team_ok = team_ok
        field = self.fields["care_system"]
        field.choices = [(s.station_number, s.name) for s in systems]
        if len(systems) == 1:
            field.widget = forms.HiddenInput()
        elif len(systems) <= 5:
            field.widget = forms.RadioSelect(choices=field.choices)
            field.widget.attrs["class"] = "usa-radio__input"
        else:
            field.choices = [("", "- Select -"), *field.choices]
            field.widget = forms.Select(choices=field.choices, attrs={"class": "usa-select"})

    def clean_care_team(self) -> str:
        value = self.cleaned_data["care_team"]
        if not self.team_ok(value):
            raise forms.ValidationError("Select a care team", code="invalid_choice")
        return value

    @property
    def system_control(self) -> str:
        return (
            "none" if len(self.systems) == 1 else "radios" if len(self.systems) <= 5 else "select"
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput
    default_error_messages = {
        **forms.FileField.default_error_messages,
        "empty": "Your file is empty. Try attaching a different file.",
    }

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def attachment_hint(rules) -> str:
    mb = 1024 * 1024
    types = ", ".join(ext.upper() for ext in rules.extensions)
    return (
        f"You may attach up to {rules.max_files} files. Each file must be {rules.max_file_bytes // mb}MB or "
        f"smaller, and all files together {rules.max_total_bytes // mb}MB or smaller. File types: {types}."
    )


class ComposeForm(UswdsFormMixin, forms.Form):
    """Start message (and legacy compose, which adds the "To" select)."""

    category = forms.ChoiceField(
        label="Category",
        choices=[("", "- Select -"), *Category.choices],
        error_messages={
            "required": "Please select a category.",
            "invalid_choice": "Please select a category.",
        },
    )
    subject = forms.CharField(
        label="Subject",
        max_length=SUBJECT_MAX_LENGTH,
        error_messages={
            "required": "Subject cannot be blank.",
            "max_length": f"Subject must be {SUBJECT_MAX_LENGTH} characters or fewer.",
        },
    )
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 8}),
        strip=False,
        max_length=BODY_MAX_LENGTH,
        error_messages={
            "required": "Message body cannot be blank.",
            "max_length": f"Message must be {BODY_MAX_LENGTH:,} characters or fewer.",
        },
    )
    attachments = MultipleFileField(
        label="Attachments",
        required=False,
        help_text="",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    extra_describedby = {"subject": "id_subject_count", "body": "id_body_count"}

    @property
    def category_text(self) -> str:
        """The chosen category's whole text (narrow screens cut it in the select)."""
        value = str(self["category"].value() or "")
        return dict(self.fields["category"].choices).get(value, "") if value else ""

    def __init__(
        self,
        *args,
        recipient: Recipient | None,
        rules,
        legacy_recipients=None,
        signature=False,
        renewal=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.recipient = recipient
        self.fields["category"].widget.attrs["data-sm-category"] = ""
        # A medication renewal request: the category is "Medication", shown, never chosen.
        self.renewal = renewal
        if renewal:
            self.fields["category"].disabled = True
            self.initial["category"] = Category.MEDICATIONS
        # Legacy compose: the signature section is there for every team that needs one
        # (script shows it only for them), and required when the chosen team needs it.
        self.signature_team_ids = " ".join(
            str(r.id) for r in legacy_recipients or () if r.signature_required
        )
        required = bool(recipient and recipient.signature_required)
        signature = signature or bool(self.signature_team_ids)
        self.rules = rules
        self.fields["attachments"].help_text = attachment_hint(rules)
        self.fields["attachments"].widget.attrs.update(
            {"class": "usa-file-input", "accept": ",".join(f".{ext}" for ext in rules.extensions)}
        )
        self.fields["subject"].widget.attrs.update(
            {"class": "usa-input usa-character-count__field"}
        )
        if legacy_recipients is not None:
            groups: dict[str, list[tuple[str, str]]] = {}
            for r in legacy_recipients:
                groups.setdefault(r.care_system.name, []).append((str(r.id), r.display_name))
            self.fields = {
                "recipient": forms.ChoiceField(
                    label="To",
                    choices=[("", "- Select -"), *groups.items()],
                    error_messages={
                        "required": "Please select a recipient.",
                        "invalid_choice": "Please select a recipient.",
                    },
                    widget=forms.Select(attrs={"class": "usa-select"}),
                ),
                **self.fields,
            }
        if signature:
            self.fields["signature_name"] = forms.CharField(
                label="Your full name",
                max_length=200,
                required=required,
                error_messages={"required": "Enter your full name"},
                widget=forms.TextInput(attrs={"class": "usa-input", "autocomplete": "name"}),
            )
            self.fields["signature_certified"] = forms.BooleanField(
                label="I certify that the above is correct and true to the best of my knowledge and belief.",
                required=required,
                error_messages={"required": "You must certify by checking the box."},
                widget=forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}),
            )

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError("Message body cannot be blank.")
        return body

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        if not subject.strip():
            raise forms.ValidationError("Subject cannot be blank.")
        return subject.strip()

    @property
    def subject_chars_left(self) -> int:
        return max(0, SUBJECT_MAX_LENGTH - len(self["subject"].value() or ""))

    @property
    def body_chars_left_text(self) -> str:
        left = max(0, BODY_MAX_LENGTH - len(self["body"].value() or ""))
        return f"{left:,} character{'' if left == 1 else 's'} left"

    @property
    def has_signature(self) -> bool:
        return "signature_name" in self.fields

    @property
    def signs(self) -> bool:
        """Whether the message being sent gets the signature block."""
        return self.has_signature and self.fields["signature_name"].required


class DraftFieldsForm(ComposeForm):
    """Saving a draft checks the same four fields; attachments and signature are never saved."""

    def __init__(self, *args, **kwargs):
        kwargs["signature"] = False
        super().__init__(*args, **kwargs)
        self.fields.pop("attachments")


class ContactListForm(forms.Form):
    """Checkbox per VistA team: on my contact list. Blocked teams are shown disabled."""

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = groups
        for _system, teams in groups:
            for team in teams:
                self.fields[f"team_{team.id}"] = forms.BooleanField(
                    label=team.display_name,
                    required=False,
                    initial=team.on_contact_list,
                    disabled=team.blocked,
                    widget=forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}),
                )

    def preferred(self) -> dict[int, bool]:
        return {
            int(name.removeprefix("team_")): value
            for name, value in self.cleaned_data.items()
            if not self.fields[name].disabled
        }


class CsatForm(UswdsFormMixin, forms.Form):
    required_marker = False  # the survey is optional; a score is needed only to send it
    score = forms.TypedChoiceField(
        label="How satisfied are you with sending a message today?",
        coerce=int,
        choices=[
            (5, "Very satisfied"),
            (4, "Satisfied"),
            (3, "Neither satisfied nor dissatisfied"),
            (2, "Dissatisfied"),
            (1, "Very dissatisfied"),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select how satisfied you are",
            "invalid_choice": "Select how satisfied you are",
        },
    )
    comment = forms.CharField(
        label="Tell us more (optional)",
        help_text="Don’t include your name or any personal or health information.",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


SIGNATURE_NAME_REQUIRED = "Enter a signature name to include your signature in new messages."


class SignatureForm(UswdsFormMixin, forms.Form):
    """The messaging signature (flow.md 10): name, title, include in new messages."""

    include = forms.TypedChoiceField(
        label="Include my signature in new messages",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select whether to include your signature",
            "invalid_choice": "Select whether to include your signature",
        },
    )
    name = forms.CharField(
        label="Signature name",
        required=False,
        max_length=SIGNATURE_FIELD_MAX_LENGTH,
        help_text="For example, your first and last name. 50 characters or fewer.",
        error_messages={
            "max_length": f"Signature name must be {SIGNATURE_FIELD_MAX_LENGTH} characters or fewer."
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    title = forms.CharField(
        label="Signature title (optional)",
        required=False,
        max_length=SIGNATURE_FIELD_MAX_LENGTH,
        help_text="For example, Veteran or Caregiver. 50 characters or fewer.",
        error_messages={
            "max_length": f"Signature title must be {SIGNATURE_FIELD_MAX_LENGTH} characters or fewer."
        },
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("include") and not (cleaned.get("name") or "").strip():
            self.add_error("name", SIGNATURE_NAME_REQUIRED)
        return cleaned
