from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from messaging.recipients.bundle import BundleError, bundle_parse
from messaging.services.bundle import bundle_load


class Command(BaseCommand):
    help = "Validate a data bundle (JSON) as a whole, then store it in one transaction. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            text = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        try:
            parsed = bundle_parse(text)
        except BundleError as exc:
            lines = "\n".join(f"  {problem}" for problem in exc.problems)
            raise CommandError(
                f"{file}: refused, nothing stored ({len(exc.problems)} problems):\n{lines}"
            ) from exc
        result = bundle_load(bundle=parsed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {file}: {result.care_systems} care systems, {result.care_teams} care teams, "
                f"{result.veterans} veterans, {result.staff} staff, {result.sent_messages} sent messages."
            )
        )
