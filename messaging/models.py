"""The product's tables.

Care teams are stored already normalised by the recipient adapter (the common
recipient), with the raw source record kept for traceability; nothing outside
`messaging/recipients/` reads `source_record`.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from waffle.models import AbstractUserFlag

from messaging.common.choices import Category, Ehr, Flow, Platform

# The QA tools' tables (qa.md) are defined with the QA tools; they are this app's models.
from messaging.qa.models import SignInLink, TestState, TestVeteran  # noqa: F401

# The rollout's tables (changes, audit, metrics, survey) are defined with the rollout.
from messaging.rollout.models import (  # noqa: F401
    AuditEvent,
    CsatResponse,
    FlagChange,
    MetricEvent,
    MetricHourly,
    MetricHourlySet,
    MetricRollupState,
    StageReport,
)

models.CharField.register_lookup(Length)
models.TextField.register_lookup(Length)

SUBJECT_MAX_LENGTH = 50
# What a veteran may type in a message (pages, API, drafts, bundles).
BODY_MAX_LENGTH = 10_000
# A sent message may also carry the electronic signature block the send appends
# (services.signed_body: a rule, a name of at most 200 characters and the date).
SIGNATURE_BLOCK_MAX_LENGTH = 300


def sticky_bucket(flag_name: str, user_id: int) -> float:
    """A veteran's fixed place in [0, 100) for one flag: the same on every device and visit,
    so raising a percentage only adds veterans."""
    digest = hashlib.sha256(f"{flag_name}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 / 100


class Flag(AbstractUserFlag):
    """Our waffle flag model (see ADR 0002). Percentages are sticky per veteran (a hash of
    account and flag) instead of waffle's per-browser cookie; "everyone off" (rollback)
    wins over everything, whitelisted users and groups are in at every stage."""

    # The stage the rollout service last set ("" before it recorded one): an empty
    # whitelist is still the whitelist stage, not "off".
    stage = models.CharField(max_length=10, blank=True, default="")

    class Meta(AbstractUserFlag.Meta):
        verbose_name = "flag"
        verbose_name_plural = "flags"

    def is_active(self, request, read_only: bool = False) -> bool | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # A test veteran's own override (QA tools) wins over every stage; nothing
            # else (no URL parameter, no cookie) ever does outside the local profile.
            override = TestVeteran.state_for(user).flags.get(self.name)
            if override is not None:
                return override
        if not self.pk or self.everyone is not None or settings.WAFFLE_OVERRIDE:
            # waffle's own order (its local-only `?<flag>=1|0` for one request first)
            if settings.WAFFLE_OVERRIDE and self.name in getattr(request, "GET", {}):
                return request.GET[self.name] == "1"
            if not self.pk or self.everyone is not None:
                return super().is_active(request, read_only)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if self.is_active_for_user(user):
            return True
        return bool(self.percent) and sticky_bucket(self.name, user.pk) < float(self.percent)


class CareSystem(models.Model):
    """A VA health care system from the registry (or named from a payload when unknown)."""

    station_number = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200)
    ehr = models.CharField(max_length=20, choices=Ehr.choices)
    facilities = models.JSONField(default=list, blank=True)
    in_registry = models.BooleanField(default=True)
    # A VistA system's cutover date T to Oracle Health (transition.md); `inDays` is stored
    # resolved against the day the bundle was loaded.
    migration_date = models.DateField(null=True, blank=True)
    # Set whenever OH pools are stored: a random version (team_options caches by it) and how many
    # pools the system has (every veteran registered there is offered them all).
    pools_version = models.PositiveIntegerField(default=0)
    pool_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ehr__in=Ehr.values), name="caresystem_ehr_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.station_number})"


class CareTeam(models.Model):
    """A recipient in its normalised form. `upstream_id` is the recipient id everywhere."""

    upstream_id = models.BigIntegerField(unique=True)
    source = models.CharField(max_length=20, choices=Ehr.choices)
    name = models.CharField(max_length=300)
    display_name = models.CharField(max_length=300)
    care_system = models.ForeignKey(CareSystem, on_delete=models.PROTECT, related_name="care_teams")
    station_number = models.CharField(max_length=16)
    signature_required = models.BooleanField(default=False)
    # OH pools are offered to every veteran registered at their care system; other
    # teams are linked to veterans one by one (VeteranTeam).
    per_facility = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    legacy_vista_triage_group_id = models.BigIntegerField(null=True, blank=True)
    source_record = models.JSONField(default=dict)

    class Meta:
        ordering = ["display_name"]
        indexes = [
            models.Index(
                fields=["care_system", "per_facility", "position"], name="careteam_pool_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=Ehr.values), name="careteam_source_valid"
            )
        ]

    def __str__(self) -> str:
        return self.display_name


class VeteranProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="veteran"
    )
    full_name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.full_name


class VeteranTeam(models.Model):
    """A team linked to one veteran (VistA's per-veteran association)."""

    veteran = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_links"
    )
    care_team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="veteran_links")
    blocked = models.BooleanField(default=False)
    on_contact_list = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["veteran", "care_team"], name="veteranteam_unique_per_veteran"
            )
        ]

    def __str__(self) -> str:
        return f"{self.veteran_id} -> {self.care_team_id}"


class OhRegistration(models.Model):
    """An Oracle Health facility a veteran is registered at."""

    veteran = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oh_registrations"
    )
    station_number = models.CharField(max_length=16)
    care_system = models.ForeignKey(
        CareSystem, on_delete=models.PROTECT, related_name="oh_registrations"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["veteran", "station_number"], name="ohregistration_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.veteran_id} @ {self.station_number}"


class MessageState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"


class Message(models.Model):
    """A message in a veteran's mailbox: a draft, one they sent, or one they received
    from a care team. A draft becomes the sent message when sent."""

    State = MessageState

    veteran = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages"
    )
    care_team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="messages")
    category = models.CharField(max_length=20, choices=Category.choices)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    flow = models.CharField(max_length=10, choices=Flow.choices, default=Flow.CURATED)
    platform = models.CharField(max_length=20, choices=Platform.choices, default=Platform.WEB)
    # A medication renewal request (flow.md 9): counted as such in the metrics.
    renewal = models.BooleanField(default=False)
    # Set by the client on send (and by the bundle loader): one message per key and veteran.
    idempotency_key = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-sent_at", "-updated_at"]
        indexes = [models.Index(fields=["veteran", "state", "-sent_at"], name="message_folder_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(category__in=Category.values), name="message_category_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(subject__length__lte=SUBJECT_MAX_LENGTH),
                name="message_subject_max_50",
            ),
            models.CheckConstraint(
                condition=models.Q(body__length__lte=BODY_MAX_LENGTH)
                | (
                    ~models.Q(state="draft")
                    & models.Q(body__length__lte=BODY_MAX_LENGTH + SIGNATURE_BLOCK_MAX_LENGTH)
                ),
                name="message_body_max_10000",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=MessageState.values), name="message_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state="draft") | models.Q(sent_at__isnull=False),
                name="message_sent_has_date",
            ),
            models.UniqueConstraint(
                fields=["veteran", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="message_idempotency_key_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()}: {self.subject}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "sha256"], name="attachment_unique_content_per_message"
            )
        ]

    def __str__(self) -> str:
        return self.name


class DismissedNameChange(models.Model):
    """A "{old} is now {new}" notice the veteran dismissed (by the new pool's id)."""

    veteran = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    pool_id = models.BigIntegerField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["veteran", "pool_id"], name="dismissed_name_change_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.veteran_id}: {self.pool_id}"


class Prescription(models.Model):
    """A prescription of the veteran's (from the data bundle) that they may ask to renew."""

    veteran = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prescriptions"
    )
    prescription_id = models.BigIntegerField()
    name = models.CharField(max_length=300)
    instructions = models.TextField(blank=True)  # the "sig"
    provider_first_name = models.CharField(max_length=100, blank=True)
    provider_last_name = models.CharField(max_length=100, blank=True)
    expiration_date = models.DateField(null=True, blank=True)
    dispensed_date = models.DateField(null=True, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    station_number = models.CharField(max_length=16, blank=True)
    # The team that renews it, when the veteran may message it (else they choose one).
    care_team = models.ForeignKey(
        CareTeam, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    renewable = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["veteran", "prescription_id"], name="prescription_once_per_veteran"
            )
        ]

    def __str__(self) -> str:
        return self.name


SIGNATURE_FIELD_MAX_LENGTH = 50


class MessageSignature(models.Model):
    """The veteran's messaging signature (not the ROI electronic signature, which is typed
    for each message to a team that requires one)."""

    veteran = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_signature"
    )
    name = models.CharField(max_length=SIGNATURE_FIELD_MAX_LENGTH, blank=True)
    title = models.CharField(max_length=SIGNATURE_FIELD_MAX_LENGTH, blank=True)
    include = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(include=True, name=""), name="signature_included_has_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.veteran_id}: {self.name}"
