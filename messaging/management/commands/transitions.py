"""Facility transitions, as staff see them at /ops/transitions/."""

from django.core.management.base import BaseCommand

from messaging.selectors.transitions import migrations_overview


class Command(BaseCommand):
    help = (
        "Each migration to Oracle Health: cutover date, phase today, veterans affected, "
        "drafts and sends refused because of it."
    )

    def handle(self, *args, **options):
        migrations = migrations_overview()
        if not migrations:
            self.stdout.write("No care system is moving to Oracle Health.")
            return
        header = ("station", "care system", "cutover", "phase", "veterans", "drafts", "sends")
        rows = [
            (
                m.station_number,
                m.name,
                m.cutover.isoformat(),
                f"{m.phase} ({m.kind})",
                str(m.veterans),
                str(m.drafts_refused),
                str(m.sends_refused),
            )
            for m in migrations
        ]
        widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
