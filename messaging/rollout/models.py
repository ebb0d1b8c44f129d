"""The rollout's tables: flag changes, the audit log, stage reports, metric events, their
rollups and survey answers. Models of the `messaging` app (imported by `messaging.models`)."""

from django.db import models

from messaging.common.choices import Flow, Platform


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
    """Append-only record of the writes that matter after the fact: sends, deletes, flag
    changes and sign-in lockouts. Who, what, when and the request id; never a subject, body or file name."""

    class Action(models.TextChoices):
        MESSAGE_SENT = "message.sent"
        DRAFT_DELETED = "draft.deleted"
        MESSAGE_DELETED = "message.deleted"
        FLAG_CHANGED = "flag.changed"
        SIGN_IN_LOCKED_OUT = "sign_in.locked_out"
        QA_VETERAN_CREATED = "qa.veteran.created"
        QA_VETERAN_RESET = "qa.veteran.reset"
        QA_VETERAN_DELETED = "qa.veteran.deleted"
        QA_OVERRIDES_SET = "qa.overrides.set"
        QA_LINK_CREATED = "qa.signin_link.created"
        QA_LINK_USED = "qa.signin_link.used"

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
    renewal = models.BooleanField(default=False)  # a medication renewal draft or send
    # Facility transitions: the phase ("p3") and the moving system's station number.
    phase = models.CharField(max_length=3, blank=True)
    station = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    # A test veteran's event (QA tools): left out of criteria, reports and figures by default.
    test = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["name", "at"], name="metric_name_at_idx"),
            # The rollup job and the dashboard's edges read one hour of every kind at once.
            models.Index(fields=["at"], name="metric_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.flow} {self.status_code}"


class MetricHourly(models.Model):
    """Metric events of one closed hour (or local day) counted per (name, flow, platform,
    status, page, device, renewal, phase, station, test): the dashboard sums these instead of
    reading events (messaging/rollout/rollups.py)."""

    hour = models.DateTimeField()  # the bucket's start
    hours = models.PositiveSmallIntegerField(default=1)  # 1, or 24: a local day
    name = models.CharField(max_length=40)
    flow = models.CharField(max_length=10, blank=True)
    platform = models.CharField(max_length=20, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    page = models.CharField(max_length=60, blank=True)
    device = models.CharField(max_length=10, blank=True)
    renewal = models.BooleanField(default=False)
    phase = models.CharField(max_length=3, blank=True)
    station = models.CharField(max_length=16, blank=True)
    test = models.BooleanField(default=False)  # test veterans' traffic, kept apart
    count = models.BigIntegerField()

    class Meta:
        # hours before hour: a window reads day rows in its middle and hour rows at its ends,
        # never the hour rows under its day rows.
        indexes = [
            models.Index(fields=["name", "hours", "hour"], name="metric_hourly_name_span_idx")
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.name} {self.flow} {self.status_code}: {self.count}"


class MetricHourlySet(models.Model):
    """Per closed hour, series and test-or-not (messaging/rollout/rollups.py SERIES): the
    distinct veterans as a roaring bitmap (unions are exact), or latency as DDSketch bins
    (merges are exact)."""

    hour = models.DateTimeField()  # the bucket's start
    hours = models.PositiveSmallIntegerField(default=1)  # 1, or 24: a local day
    series = models.CharField(max_length=20)
    key = models.CharField(max_length=60, blank=True)
    test = models.BooleanField(default=False)  # test veterans' traffic, kept apart
    count = models.BigIntegerField()
    veterans = models.BinaryField(null=True)
    sketch = models.JSONField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["series", "hours", "hour"], name="metric_set_series_span_idx")
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.series} {self.key}: {self.count}"


class MetricRollupState(models.Model):
    """One row: every hour before `rolled_until` is in the rollups (and only those)."""

    rolled_until = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"rolled up until {self.rolled_until}"


class CsatResponse(models.Model):
    """The one-question satisfaction survey after "Message sent", with the flow used."""

    score = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=500, blank=True)
    flow = models.CharField(max_length=10, choices=Flow.choices)
    platform = models.CharField(max_length=20, choices=Platform.choices, default=Platform.WEB)
    veteran_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    test = models.BooleanField(default=False)  # a test veteran's answer (see MetricEvent)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="csat_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.flow}: {self.score}"
