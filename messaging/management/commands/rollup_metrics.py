"""Roll up the metric events of every closed hour (messaging/rollout/rollup_job.py); with
--every N, again every N seconds until stopped (`make run` and `make serve` start it so)."""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from messaging.rollout import rollup_job, rollups


class Command(BaseCommand):
    help = "Roll up closed hours of metric events for the rollout dashboard (each hour once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, help="repeat every N seconds (0: once, the default)"
        )

    def handle(self, *args, every: int, **options):
        while True:
            started = time.monotonic()
            try:
                hours = rollup_job.roll_up()
            except Exception as exc:  # noqa: BLE001 - a loop outlives a database outage
                if not every:
                    raise
                self.stderr.write(f"rollup_metrics: {exc.__class__.__name__}: {exc}")
                hours = 0
            finally:
                if every:  # a long-running loop: drop a connection that went bad or old
                    close_old_connections()
            if hours or not every:
                self.stdout.write(
                    f"rolled up {hours} hour(s) in {time.monotonic() - started:.1f} s; "
                    f"rolled up until {rollups.rolled_until()}"
                )
            if not every:
                return
            time.sleep(every)
