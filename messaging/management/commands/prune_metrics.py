"""Delete raw metric events past their retention (only hours already rolled up) and rollups
past theirs. Settings: SM_METRIC_EVENT_RETENTION_DAYS, SM_METRIC_ROLLUP_RETENTION_DAYS."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from messaging.rollout import rollup_job


class Command(BaseCommand):
    help = "Delete raw metric events and rollups older than their retention periods."

    def add_arguments(self, parser):
        parser.add_argument(
            "--event-days", type=int, default=settings.SM_METRIC_EVENT_RETENTION_DAYS
        )
        parser.add_argument(
            "--rollup-days", type=int, default=settings.SM_METRIC_ROLLUP_RETENTION_DAYS
        )

    def handle(self, *args, event_days: int, rollup_days: int, **options):
        if event_days < 1 or rollup_days < 1:
            raise CommandError("retention periods are whole days, at least 1")
        if rollup_days < event_days:
            raise CommandError("rollups must be kept at least as long as raw events")
        events, rows = rollup_job.prune(raw_days=event_days, rollup_days=rollup_days)
        self.stdout.write(
            f"deleted {events} metric events older than {event_days} days (rolled up), "
            f"{rows} rollup rows older than {rollup_days} days"
        )
