"""Every step of the release plan as a command (see docs/runbooks/rollout.md)."""

import getpass
import json

from django.core.management.base import BaseCommand, CommandError

from messaging.rollout import stages as rollout
from messaging.rollout.flags import ALL_FLAGS, CURATED_LIST_FLOW


class Command(BaseCommand):
    help = "Staged rollout of the product flags: status, whitelist, advance, set, rollback."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser(
            "status", help="every flag's stage, whitelist, history and criteria"
        )
        status.add_argument("--flag", choices=ALL_FLAGS)
        wl = sub.add_parser("whitelist", help="add or remove a user or group")
        wl.add_argument("verb", choices=["add", "remove"])
        wl.add_argument("who", help="a username or a group name")
        for name, helptext in (
            ("advance", "to the next stage"),
            ("set", "to a stage"),
            ("rollback", "off for everyone"),
        ):
            p = sub.add_parser(name, help=helptext)
            if name == "set":
                p.add_argument("stage", help="off, whitelist, A-E, or 5, 25, 50, 75, 100")
            p.add_argument("--reason", default="")
            if name != "rollback":
                p.add_argument(
                    "--force", action="store_true", help="advance although a criterion fails"
                )
        for p in (wl, *[sub.choices[n] for n in ("advance", "set", "rollback")]):
            p.add_argument("--flag", choices=ALL_FLAGS, default=CURATED_LIST_FLOW)
            p.add_argument(
                "--actor", default=None, help="who is making the change (default: the OS user)"
            )

    def handle(self, *args, action, **options):
        actor = options.get("actor") or getpass.getuser()
        try:
            if action == "status":
                for name in [options["flag"]] if options.get("flag") else ALL_FLAGS:
                    self._print(name)
                return
            name = options["flag"]
            if action == "whitelist":
                rollout.whitelist(name, options["who"], add=options["verb"] == "add", actor=actor)
            elif action == "advance":
                rollout.advance(name, actor=actor, reason=options["reason"], force=options["force"])
            elif action == "set":
                rollout.set_stage(
                    name,
                    options["stage"],
                    actor=actor,
                    reason=options["reason"],
                    force=options["force"],
                )
            elif action == "rollback":
                rollout.rollback(name, actor=actor, reason=options["reason"])
        except rollout.RolloutError as exc:
            raise CommandError(str(exc)) from exc
        self._print(name)

    def _print(self, name):
        state = rollout.state_of(rollout._flag(name))
        self.stdout.write(self.style.MIGRATE_HEADING(name))
        self.stdout.write(json.dumps(state, indent=2))
        checks = rollout.criteria(name)
        for c in checks:
            mark = self.style.SUCCESS("PASS") if c.passed else self.style.ERROR("FAIL")
            self.stdout.write(f"  criterion {c.name}: {mark} ({c.detail})")
        if not checks:
            self.stdout.write("  criteria: none while off")
        self.stdout.write("  history (newest first):")
        for change in rollout.history(name, limit=10):
            forced = " FORCED" if change.forced else ""
            self.stdout.write(
                f"    {change.at:%Y-%m-%d %H:%M:%S} {change.actor}: {change.from_state['stage']} -> "
                f"{change.to_state['stage']}{forced} {change.reason}".rstrip()
            )
