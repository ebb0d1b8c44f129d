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

models.CharField.register_lookup(Length)

SUBJECT_MAX_LENGTH = 50


def sticky_bucket(flag_name: str, user_id: int) -> float:
    """A veteran's fixed place in [0, 100) for one flag: the same on every device and visit,
    so raising a percentage only adds veterans."""
    digest = hashlib.sha256(f"{flag_name}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 / 100


class Flag(AbstractUserFlag):
    """Our waffle flag model (see ADR 0002). Percentages are sticky per veteran (a hash of
    account and flag) instead of waffle's per-browser cookie; "everyone off" (rollback)
    wins over everything, whitelisted users and groups are in at every stage."""

    class Meta(AbstractUserFlag.Meta):
        verbose_name = "flag"
        verbose_name_plural = "flags"

    def is_active(self, request, read_only: bool = False) -> bool | None:
        if not self.pk or self.everyone is not None:
            return super().is_active(request, read_only)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if self.is_active_for_user(user):
            return True
        return bool(self.percent) and sticky_bucket(self.name, user.pk) < float(self.percent)


class FlagChange(models.Model):
    """Every rollout change: who, when, from what state to what state, and why."""

    flag = models.CharField(max_length=100, db_index=True)
    actor = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_state = models.JSONField()
    to_state = models.JSONField()
    reason = models.TextField(blank=True)
    forced = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.flag}: {self.from_state.get('stage')} -> {self.to_state.get('stage')}"


class AuditEvent(models.Model):
    """Append-only record of the writes that matter after the fact: sends, deletes and flag
    changes. Who, what, when and the request id; never a subject, body or file name."""

    class Action(models.TextChoices):
        MESSAGE_SENT = "message.sent"
        DRAFT_DELETED = "draft.deleted"
        MESSAGE_DELETED = "message.deleted"
        FLAG_CHANGED = "flag.changed"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    actor = models.CharField(max_length=150)  # username, or who ran the command
    actor_id = models.BigIntegerField(null=True, blank=True)
    target_type = models.CharField(max_length=20)
    target_id = models.CharField(max_length=100)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target_type}:{self.target_id}"


class StageReport(models.Model):
    """What staff write about one stage of a flag's rollout (the rest is measured)."""

    flag = models.CharField(max_length=100)
    stage = models.CharField(max_length=10)
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(null=True, blank=True)
    downstream_impact = models.TextField(blank=True)
    changes_needed = models.TextField(blank=True)
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flag", "stage"], name="stagereport_once_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.flag} {self.stage}"


class MetricEvent(models.Model):
    """One metric: no subject, body or name ever; the veteran only as an id for unique counts."""

    name = models.CharField(max_length=40)
    flow = models.CharField(max_length=10, blank=True)
    platform = models.CharField(max_length=20, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    page = models.CharField(max_length=60, blank=True)
    veteran_id = models.BigIntegerField(null=True, blank=True)
    device = models.CharField(
        max_length=10, blank=True
    )  # "mobile" or "desktop", from the user agent
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["name", "at"], name="metric_name_at_idx"),
            # The rollup job and the dashboard's edges read one hour of every kind at once.
            models.Index(fields=["at"], name="metric_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.flow} {self.status_code}"


class MetricHourly(models.Model):
    """Metric events of one closed hour (or UTC day) counted per (name, flow, platform,
    status, page, device): the dashboard sums these instead of reading events (messaging/rollout/rollups.py)."""

    hour = models.DateTimeField()  # the bucket's start
    hours = models.PositiveSmallIntegerField(default=1)  # 1, or 24 for a whole UTC day
    name = models.CharField(max_length=40)
    flow = models.CharField(max_length=10, blank=True)
    platform = models.CharField(max_length=20, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    page = models.CharField(max_length=60, blank=True)
    device = models.CharField(max_length=10, blank=True)
    count = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["name", "hour"], name="metric_hourly_name_idx")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.name} {self.flow} {self.status_code}: {self.count}"


class MetricHourlySet(models.Model):
    """Per closed hour and series (messaging/rollout/rollups.py SERIES): the distinct veterans as a
    roaring bitmap (unions are exact), or latency as DDSketch bins (merges are exact)."""

    hour = models.DateTimeField()  # the bucket's start
    hours = models.PositiveSmallIntegerField(default=1)  # 1, or 24 for a whole UTC day
    series = models.CharField(max_length=20)
    key = models.CharField(max_length=60, blank=True)
    count = models.BigIntegerField()
    veterans = models.BinaryField(null=True)
    sketch = models.JSONField(null=True)

    class Meta:
        indexes = [models.Index(fields=["series", "hour"], name="metric_set_series_idx")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.series} {self.key}: {self.count}"


class MetricRollupState(models.Model):
    """One row: every hour before `rolled_until` is in the rollups (and only those)."""

    rolled_until = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"rolled up until {self.rolled_until}"


class CareSystem(models.Model):
    """A VA health care system from the registry (or named from a payload when unknown)."""

    station_number = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200)
    ehr = models.CharField(max_length=20, choices=Ehr.choices)
    facilities = models.JSONField(default=list, blank=True)
    in_registry = models.BooleanField(default=True)
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
    description = models.CharField(max_length=300, blank=True)

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


class CsatResponse(models.Model):
    """The one-question satisfaction survey after "Message sent", with the flow used."""

    score = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=500, blank=True)
    flow = models.CharField(max_length=10, choices=Flow.choices)
    platform = models.CharField(max_length=20, choices=Platform.choices, default=Platform.WEB)
    veteran_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="csat_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.flow}: {self.score}"


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
