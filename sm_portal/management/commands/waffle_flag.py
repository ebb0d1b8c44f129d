"""django-waffle's `waffle_flag`, routed through the rollout service.

Flags change only through `messaging.rollout` (history row, audit entry, the guard), so
this command replaces waffle's own (the `sm_portal` app comes before `waffle` in
INSTALLED_APPS): `--everyone`, `--deactivate`, `--percent` and `--user`/`--group` become
the matching rollout change; what the rollout plan has no stage for (`--testing`,
`--superusers`, `--staff`, `--authenticated`, `--rollout`, `--create`) is refused.
"""

import getpass

from django.core.management.base import BaseCommand, CommandError

from messaging.rollout import stages as rollout
from messaging.rollout.flags import ALL_FLAGS

REFUSED = ("testing", "superusers", "staff", "authenticated", "rollout", "create")


class Command(BaseCommand):
    help = (
        "Change a product flag through the rollout service (history and audit). "
        "Prefer `manage.py rollout`."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="the flag")
        parser.add_argument("-l", "--list", action="store_true", dest="list_flags")
        parser.add_argument("--everyone", action="store_true", default=None)
        parser.add_argument("--deactivate", action="store_false", dest="everyone")
        parser.add_argument("--percent", "-p", type=float)
        parser.add_argument("--group", "-g", action="append", default=[])
        parser.add_argument("--user", "-u", action="append", default=[])
        parser.add_argument("--append", action="store_true")
        for option in REFUSED:
            parser.add_argument(f"--{option}", action="store_true")
        parser.add_argument("--actor", default=None, help="who makes the change (default: OS user)")

    def handle(self, *args, name=None, list_flags=False, **options):
        if list_flags:
            for flag_name in ALL_FLAGS:
                state = rollout.state_of(rollout._flag(flag_name))
                self.stdout.write(f"{flag_name}: stage {state['stage']}")
            return
        refused = [f"--{option}" for option in REFUSED if options[option]]
        if refused:
            raise CommandError(
                f"{', '.join(refused)}: refused. Flags change only through the rollout "
                "service (manage.py rollout), which records history and the audit log; "
                "test veterans get per-veteran overrides from the QA tools (/qa/)."
            )
        if not name:
            raise CommandError("name a flag: " + ", ".join(ALL_FLAGS))
        actor = options["actor"] or getpass.getuser()
        reason = "waffle_flag command"
        try:
            if options["everyone"] is True:
                state = rollout.set_stage(name, "E", actor=actor, reason=reason)
            elif options["everyone"] is False:
                state = rollout.rollback(name, actor=actor, reason=reason)
            elif options["percent"] is not None:
                state = rollout.set_stage(
                    name, f"{options['percent']:g}", actor=actor, reason=reason
                )
            elif options["user"] or options["group"]:
                for who in [*options["user"], *options["group"]]:
                    state = rollout.whitelist(name, who, add=True, actor=actor)
            else:
                raise CommandError("nothing to do: --everyone, --deactivate, --percent, --user")
        except rollout.RolloutError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{name}: stage {state['stage']} (recorded in the rollout history)")
