"""The data bundle's JSON Schema, generated from the loader's own models (so it is always
what `load_bundle` accepts). `--update-doc` rewrites the schema block of
docs/testing-against-staging.md."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from messaging.recipients.bundle import Bundle

DOC = Path(settings.BASE_DIR) / "docs" / "testing-against-staging.md"
START, END = "<!-- bundle-schema:start -->", "<!-- bundle-schema:end -->"


def schema_text() -> str:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **Bundle.model_json_schema(),
        "title": "sm_portal data bundle",
    }
    return json.dumps(schema, indent=2, ensure_ascii=False)


def doc_block() -> str:
    return f"{START}\n```json\n{schema_text()}\n```\n{END}"


class Command(BaseCommand):
    help = "Print the data bundle's JSON Schema (or --update-doc to refresh the testing doc)."

    def add_arguments(self, parser):
        parser.add_argument("--update-doc", action="store_true")

    def handle(self, *args, update_doc=False, **options):
        if not update_doc:
            self.stdout.write(schema_text())
            return
        text = DOC.read_text()
        before, _, rest = text.partition(START)
        _, _, after = rest.partition(END)
        DOC.write_text(before + doc_block() + after)
        self.stdout.write(f"updated {DOC}")
