from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from messaging.recipients.bundle import BundleError, bundle_parse
from messaging.selectors.registry import loaded_care_systems, loaded_pool_ids
from messaging.services.bundle import bundle_load, statistics_refresh


class Command(BaseCommand):
    help = "Validate a data bundle (JSON) as a whole, then store it in one transaction. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--allow-staff",
            action="store_true",
            help="production profile: create the bundle's staff accounts (refused otherwise); "
            "their passwords must pass the password validators",
        )

    def handle(self, *args, file: Path, allow_staff: bool = False, **options):
        try:
            text = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        try:
            # Stations and pools already loaded may be referenced without repeating them.
            parsed = bundle_parse(
                text, loaded=loaded_care_systems(), loaded_pools=loaded_pool_ids()
            )
            result = bundle_load(bundle=parsed, allow_staff=allow_staff)
        except BundleError as exc:
            lines = "\n".join(f"  {problem}" for problem in exc.problems)
            raise CommandError(
                f"{file}: refused, nothing stored ({len(exc.problems)} problems):\n{lines}"
            ) from exc
        statistics_refresh()
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {file}: {result.care_systems} care systems, {result.care_teams} care teams, "
                f"{result.veterans} veterans, {result.staff} staff, {result.sent_messages} sent messages."
            )
        )
