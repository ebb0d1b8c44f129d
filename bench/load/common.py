"""What `make load` (run.py) and `make drills` (drills.py) share.

- a database of their own (never `test`), created from scratch and dropped at the end;
- the site set up as in production: collectstatic, migrate, the demo bundle, a generated
  bundle of load veterans, both flags on for everyone;
- gunicorn started like `make serve` (gunicorn.conf.py, DJANGO_PROFILE=production) on a
  free port, and stopped by its own process id;
- locust started headless on bench/load/locustfile.py, which writes one JSON line per
  request (events) and per step of a veteran's walk (records);
- the report: per page request count, errors and p50/p95/p99, and the exactly-once check
  of what the veterans saw against what the database stores;
- guards that stop and restart PostgreSQL and Redis exactly as they were running.

Nothing here changes the product's settings: the production profile stays as it is, and
the simulated browsers send X-Forwarded-Proto/Origin/Referer and carry their own cookies.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VENV_BIN = ROOT / ".venv" / "bin"
PY = str(VENV_BIN / "python")
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "root"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
DEMO_BUNDLE = ROOT / "messaging" / "fixtures" / "demo-bundle.json"
CURATED = "mhv_secure_messaging_curated_list_flow"
RECENT = "mhv_secure_messaging_recent_recipients"
SUBJECT_PREFIX = "LD"  # every subject a load veteran sends starts with "LD<run token> "

# Pages in the order of the walk (the report's rows follow it).
PAGE_ORDER = [
    "GET sign-in",
    "POST sign-in",
    "GET inbox",
    "GET interstitial",
    "GET continue",
    "POST continue (legacy)",
    "GET recent",
    "POST recent",
    "GET select-care-team",
    "POST select-care-team",
    "GET start-message",
    "POST save-draft",
    "POST send",
    "POST save-draft (legacy)",
    "POST send (legacy)",
    "POST api token",
    "GET api folders",
    "GET api allrecipients",
]


def say(*parts) -> None:
    print(*parts, flush=True)


# --- processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], *, env=None, check=True, quiet=True, timeout=600, cwd=ROOT):
    # Own session: a Ctrl-C in the terminal reaches this script (which cleans up), not
    # pg_ctlcluster or redis-server halfway through.
    result = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    if not quiet and result.stdout.strip():
        say(result.stdout.rstrip())
    return result


def stop_process_group(proc: subprocess.Popen | None, *, grace: float = 25.0) -> None:
    """SIGTERM the group we started (start_new_session=True), then SIGKILL it if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def install_signal_exits() -> None:
    """Ctrl-C, SIGTERM and SIGHUP end the script through its `finally` blocks (which put
    PostgreSQL and Redis back and stop gunicorn and locust). The first one only: further
    ones are ignored, so that they cannot cut the clean-up short."""

    def _stop(signum, _frame):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        say(
            f"signal {signum}: cleaning up (PostgreSQL and Redis are put back); further signals ignored"
        )
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)


# --- database and site set-up ---------------------------------------------------------------


def pg_connect(dbname: str = "postgres", *, timeout: int = 3):
    import psycopg

    return psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        dbname=dbname,
        connect_timeout=timeout,
        autocommit=True,
    )


def recreate_database(name: str) -> str:
    if name in ("test", "postgres", "template0", "template1") or name.startswith("test"):
        raise SystemExit(f"refusing to use database {name!r}: the suite and the cluster need it")
    with pg_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_database(name: str) -> None:
    try:
        with pg_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # noqa: BLE001 - best effort at the very end
        say(f"note: could not drop database {name}: {exc}")


def redis_flushdb(db: int) -> None:
    if db in (0, 1):
        raise SystemExit("refusing to flush Redis db 0 or 1: the suite and CI use them")
    run(["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), "-n", str(db), "FLUSHDB"])


def site_env(db_url: str, redis_db: int, extra: dict | None = None) -> dict:
    """The production profile, as `make serve` runs it, against our own database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        DJANGO_PROFILE="production",
        SECRET_KEY="load-" + secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=db_url,
        REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}",
        LOG_LEVEL=os.environ.get("LOAD_LOG_LEVEL", "WARNING"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("WEB_CONCURRENCY", None)
    env.update(extra or {})
    return env


def manage(env: dict, *args: str, quiet: bool = True):
    return run([PY, "manage.py", *args], env=env, quiet=quiet)


# Shared care teams of the load veterans (team ids are the upstream ids).
VISTA_TEAMS = {
    "589": [
        (9100001, "589A5", "Primary care", "PACT team", "T01", "Load, Avery"),
        (9100002, "589GR", "Mental health", "Behavioral health team", "T02", "Load, Blake"),
        (9100003, "589", "Pharmacy", "Ask a pharmacist", "T03", "Load, Casey"),
    ],
    "552": [
        (9100011, "552", "Primary care", "PACT team", "T11", "Load, Devon"),
        (9100012, "552GA", "Specialty care", "Cardiology", "T12", "Load, Emery"),
    ],
}
# Spokane (Oracle Health) pools of the demo bundle the load veterans write to (no signature).
OH_TEAMS = {"668": [6238802, 6238803, 6238804, 6238805]}


def _triage_team(team_id, station, group, sub, team, provider) -> dict:
    return {
        "triageTeamId": team_id,
        "name": f"{station} {group} {sub} {team} {provider.upper()}",
        "stationNumber": station,
        "blockedStatus": False,
        "preferredTeam": True,
        "relationType": "PATIENT",
        "leadProviderName": provider,
        "teamName": team,
        "suggestedNameDisplay": f"{group} | {sub} | {team} - {provider}",
        "groupTypePatientDisplay": group,
        "subGroupTypePatientDisplay": sub,
        "ohTriageGroup": False,
    }


def write_load_bundle(path: Path, veterans: int) -> list[dict]:
    """A bundle of `veterans` load veterans (loaded through the real `load_bundle`).

    Each has five VistA triage teams in two VistA systems (Kansas City, Dayton) and two
    recent sent messages; every other one is also registered at Spokane (Oracle Health),
    so select care team offers two or three systems as radio buttons. Returns the accounts
    (username, password, the teams each may message by care system) for the locustfile."""
    demo = json.loads(DEMO_BUNDLE.read_text())
    teams = [_triage_team(*t) for system in VISTA_TEAMS.values() for t in system]
    payload = [
        {"associatedTriageGroups": len(teams), "associatedBlockedTriageGroups": 0},
        {"triageTeam": teams},
    ]
    accounts, people = [], []
    for i in range(1, veterans + 1):
        username = f"load.vet.{i:02d}"
        password = f"load-{i:02d}-{secrets.token_urlsafe(12)}"
        oh = i % 2 == 0
        people.append(
            {
                "username": username,
                "password": password,
                "fullName": f"Load Veteran {i:02d}",
                "vistaRecipients": payload,
                "ohFacilities": ["668"] if oh else [],
                "sentMessages": [
                    {
                        "recipientId": 9100001,
                        "daysAgo": 5 + i % 7,
                        "category": "OTHER",
                        "subject": "Seed message",
                        "body": "Seed message of the load data set.",
                    },
                    {
                        "recipientId": 9100011,
                        "daysAgo": 20 + i % 11,
                        "category": "MEDICATIONS",
                        "subject": "Seed message",
                        "body": "Seed message of the load data set.",
                    },
                ],
            }
        )
        by_system = {station: [t[0] for t in rows] for station, rows in VISTA_TEAMS.items()}
        if oh:
            by_system.update(OH_TEAMS)
        accounts.append({"username": username, "password": password, "teams": by_system})
    bundle = {
        "careSystems": demo["careSystems"],
        "ohPools": demo["ohPools"],
        "veterans": people,
        "staff": [],
    }
    path.write_text(json.dumps(bundle))
    return accounts


def set_up_site(env: dict, workdir: Path, veterans: int) -> list[dict]:
    """collectstatic and migrate as `make serve` does, the demo bundle, the load veterans
    (two generated bundles loaded side by side: creating an account hashes its password,
    which is most of the time), both flags on for everyone."""
    t0 = time.monotonic()
    static = subprocess.Popen(
        [PY, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    # The load veterans sign in with passwords from the generated bundle. Under the production
    # profile no bundle sets a usable password (data.md), so the test data is loaded with the
    # local profile into the same database; the site itself runs the production profile.
    data_env = {**env, "DJANGO_PROFILE": "local"}
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(data_env, "load_bundle", str(DEMO_BUNDLE))
        accounts = write_load_bundle(workdir / "load-bundle.json", veterans)
        whole = json.loads((workdir / "load-bundle.json").read_text())
        halves = [whole["veterans"][: veterans // 2], whole["veterans"][veterans // 2 :]]
        paths = []
        for index, people in enumerate(halves):
            if people:
                paths.append(workdir / f"load-bundle-{index}.json")
                paths[-1].write_text(json.dumps({**whole, "veterans": people}))
        loads = [
            subprocess.Popen(
                [PY, "manage.py", "load_bundle", str(p)],
                cwd=ROOT,
                env=data_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            for p in paths
        ]
        for path, proc in zip(paths, loads, strict=True):
            if proc.wait(timeout=600) != 0:  # e.g. a deadlock between the two: load it again
                manage(data_env, "load_bundle", str(path))
        manage(env, "waffle_flag", CURATED, "--everyone")
        manage(env, "waffle_flag", RECENT, "--everyone")
        if static.wait(timeout=600) != 0:
            raise RuntimeError(f"collectstatic failed: {static.stderr.read().decode()[-2000:]}")
    finally:
        stop_process_group(static, grace=5)
    (workdir / "accounts.json").write_text(json.dumps(accounts))
    say(
        f"set-up: collectstatic, migrate, demo bundle, {veterans} load veterans (generated "
        f"bundles via load_bundle), both flags on for everyone ({time.monotonic() - t0:.0f} s)"
    )
    return accounts


# --- gunicorn ------------------------------------------------------------------------------


@dataclass
class Server:
    env: dict
    port: int
    log_path: Path
    workers: int | None = None
    proc: subprocess.Popen | None = None
    _log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**self.env, "BIND": f"127.0.0.1:{self.port}"}
        if self.workers:
            env["WEB_CONCURRENCY"] = str(self.workers)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.proc.returncode}: see {self.log_path}")
            if self.health() == 200:
                return
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not answer /health/ within 60 s: see {self.log_path}")

    def health(self) -> int:
        request = urllib.request.Request(
            f"{self.url}/health/", headers={"X-Forwarded-Proto": "https"}
        )
        try:
            with urllib.request.urlopen(request, timeout=3) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 0

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return sorted(pids)

    def stop(self) -> None:
        stop_process_group(self.proc)
        if self._log:
            self._log.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


class ConnectionOwners(threading.Thread):
    """Which gunicorn worker holds each client connection, sampled from /proc (the access
    log is off in gunicorn.conf.py and the app's request log does not name the process).
    A keep-alive connection stays with the worker that accepted it, so a request's client
    port and time name the worker that answered it."""

    def __init__(self, server: Server, interval: float = 0.1):
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.spans: dict[int, list[list]] = defaultdict(list)  # port -> [[pid, first, last]]
        self.halt = threading.Event()

    def run(self) -> None:
        pids: list[int] = []
        rounds = 0
        while not self.halt.is_set():
            if rounds % 10 == 0:
                pids = self.server.worker_pids()
            rounds += 1
            self.sample(pids)
            self.halt.wait(self.interval)

    def sample(self, pids: list[int]) -> None:
        now = time.time()
        owner_of: dict[str, int] = {}
        for pid in pids:
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if link.startswith("socket:["):
                    owner_of[link[8:-1]] = pid
        try:
            lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
        except OSError:
            return
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or int(fields[1].split(":")[1], 16) != self.server.port:
                continue
            pid = owner_of.get(fields[9])
            if pid is None:
                continue
            spans = self.spans[int(fields[2].split(":")[1], 16)]
            if spans and spans[-1][0] == pid and now - spans[-1][2] < 2:
                spans[-1][2] = now
            else:
                spans.append([pid, now, now])

    def owner(self, port: int | None, at: float) -> int | None:
        for pid, first, last in self.spans.get(port or 0, []):
            if first - 1.0 <= at <= last + 1.0:
                return pid
        return None

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=5)


def server_log_summary(text: str) -> str:
    """The app and gunicorn log JSON lines: how many errors, by answer status."""
    levels: Counter = Counter()
    statuses: Counter = Counter()
    loggers: Counter = Counter()
    other = 0
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            other += 1 if "Traceback" in line else 0
            continue
        if not isinstance(entry, dict):
            continue
        levels[entry.get("level")] += 1
        if entry.get("level") in ("ERROR", "CRITICAL"):
            loggers[f"{entry.get('logger')}: {str(entry.get('message'))[:60]}"] += 1
            if entry.get("status_code"):
                statuses[entry["status_code"]] += 1
    errors = levels["ERROR"] + levels["CRITICAL"]
    by_status = ", ".join(f"{n} with status {k}" for k, n in sorted(statuses.items()))
    top = "; ".join(f"{n} x {what}" for what, n in loggers.most_common(3))
    return (
        f"{errors} ERROR lines ({by_status or 'none with a status'}), "
        f"{levels['WARNING']} WARNING lines, {other} plain-text tracebacks"
        + (f"; most frequent ERROR lines: {top}" if top else "")
    )


# --- locust --------------------------------------------------------------------------------


@dataclass
class LocustRun:
    workdir: Path
    host: str
    users: int
    spawn_rate: int
    seconds: int  # walking time once everyone has signed in; 0: until stop_gracefully()
    classes: list[str]
    extra_env: dict = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    run_token: str = field(default_factory=lambda: secrets.token_hex(2))

    @property
    def events_path(self) -> Path:
        return self.workdir / "events.jsonl"

    @property
    def records_path(self) -> Path:
        return self.workdir / "records.jsonl"

    @property
    def log_path(self) -> Path:
        return self.workdir / "locust.log"

    @property
    def stop_file(self) -> Path:
        return self.workdir / "stop"

    def start(self) -> None:
        env = {
            **os.environ,
            "LOAD_ORIGIN": self.host.replace("http://", "https://"),
            "LOAD_ACCOUNTS": str(self.workdir / "accounts.json"),
            "LOAD_EVENTS": str(self.events_path),
            "LOAD_RECORDS": str(self.records_path),
            "LOAD_RUN": self.run_token,
            "LOAD_STOP_FILE": str(self.stop_file),
            "LOAD_USERS": str(self.users),
            "LOAD_SECONDS": str(self.seconds),
            **self.extra_env,
        }
        cmd = [
            str(VENV_BIN / "locust"),
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "--host",
            self.host,
            "-u",
            str(self.users),
            "-r",
            str(self.spawn_rate),
            # A bound only: the locustfile ends the run itself once the walking time is up
            # and every veteran has finished the walk (send) they were in.
            "-t",
            f"{(self.seconds or 900) + 400}s",
            "--stop-timeout",
            "90",
            "--only-summary",
            "--loglevel",
            "WARNING",
            *self.classes,
        ]
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in wait()
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            stop_process_group(self.proc, grace=10)
            self._log.close()
        return code

    def stop_gracefully(self) -> None:
        """Every veteran finishes the walk they are in, then locust quits (locustfile)."""
        self.stop_file.write_text("stop")

    def kill(self) -> None:
        stop_process_group(self.proc, grace=10)

    def records(self) -> list[dict]:
        return read_jsonl(self.records_path)

    def walk_phase(self) -> dict | None:
        """{start, end, users} once every user has signed in and the walking began."""
        return next((r for r in self.records() if r["kind"] == "walk_phase"), None)

    def events(self) -> list[dict]:
        """Every request, less those a browser would have sent again by itself (a reused
        keep-alive connection closed by the server as the request went out): see
        keepalive_resends()."""
        resent = {r["rid"] for r in self.records() if r["kind"] == "keepalive_resend"}
        return [e for e in read_jsonl(self.events_path) if e.get("rid") not in resent]

    def keepalive_resends(self) -> int:
        return sum(1 for r in self.records() if r["kind"] == "keepalive_resend")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short when locust was killed
    return rows


# --- the report ----------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def is_error(event: dict) -> bool:
    """Any answer but 2xx/3xx, and any exception (connection refused, reset, timeout)."""
    return event.get("status", 0) == 0 or event["status"] >= 400


def page_table(events: list[dict]) -> list[str]:
    by_name: dict[str, list[dict]] = defaultdict(list)
    for e in events:
        by_name[e["name"]].append(e)
    names = [n for n in PAGE_ORDER if n in by_name] + sorted(set(by_name) - set(PAGE_ORDER))
    lines = [
        f"{'page':<27}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    ]
    for name in names + ["ALL"]:
        rows = events if name == "ALL" else by_name[name]
        times = sorted(e["ms"] for e in rows)
        errors = sum(1 for e in rows if is_error(e))
        lines.append(
            f"{name:<27}{len(rows):>9}{errors:>8}{percentile(times, 50):>9.0f}"
            f"{percentile(times, 95):>9.0f}{percentile(times, 99):>9.0f}{times[-1] if times else 0:>9.0f}"
        )
    return lines


def error_breakdown(events: list[dict], limit: int = 12) -> list[str]:
    counts: dict[tuple, int] = defaultdict(int)
    for e in events:
        if is_error(e):
            counts[
                (e["name"], e.get("status", 0), (e.get("exc") or e.get("title") or "")[:80])
            ] += 1
    return [
        f"  {n:>5} x {name} -> {status or 'exception'} {detail}".rstrip()
        for (name, status, detail), n in sorted(counts.items(), key=lambda kv: -kv[1])[:limit]
    ]


# --- exactly once ----------------------------------------------------------------------------


def exactly_once(db_name: str, records: list[dict], run_token: str) -> tuple[bool, list[str]]:
    """Compare what the simulated veterans saw with what the database stores.

    Outcomes per subject (every subject is unique: "LD<run> <veteran>-<n>"):
      confirmed   the send returned the Inbox with "Message sent";
      redirected  the send answered 302 to the Inbox (the server says sent) but the Inbox
                  itself did not render (e.g. the database went away in between);
      ambiguous   a send was posted but never answered with either (5xx, exception);
      draft only  "Save draft" succeeded and no send was posted (the run ended first).
    Criterion:
      - confirmed / redirected: exactly one sent message with that subject, owned by that
        veteran, and no draft with it (the saved draft, if any, became that message);
      - ambiguous: at most one sent message; if none and the draft had been saved, the
        draft is still there (at most one);
      - draft only: exactly one draft, no sent message (nothing typed is lost);
      - no message or draft of a load veteran exists apart from the seeded ones and the
        subjects above (no extra messages)."""
    prefix = f"{SUBJECT_PREFIX}{run_token} "
    outcome: dict[str, str] = {}
    owner: dict[str, str] = {}
    drafted: set[str] = set()
    rank = {"draft only": 0, "ambiguous": 1, "redirected": 2, "confirmed": 3}
    for r in records:
        subject = r.get("subject")
        if not subject:
            continue
        owner[subject] = r["user"]
        kind = r["kind"]
        new = {
            "draft_saved": "draft only",
            "send_attempt": "ambiguous",
            "send_redirected": "redirected",
            "sent": "confirmed",
        }.get(kind)
        if kind == "draft_saved":
            drafted.add(subject)
        if kind == "draft_attempt":
            drafted.add(subject)  # a save that may have landed although its answer did not
            new = "draft only" if subject not in outcome else None
        if new and rank[new] >= rank.get(outcome.get(subject, "draft only"), 0):
            outcome[subject] = new

    with pg_connect(db_name) as conn:
        rows = conn.execute(
            """
            SELECT u.username, m.subject, m.state, m.idempotency_key
            FROM messaging_message m JOIN auth_user u ON u.id = m.veteran_id
            WHERE u.username LIKE 'load.vet.%%' AND m.subject <> 'Seed message'
            """
        ).fetchall()
    stored: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for username, subject, state, _key in rows:
        stored[subject].append((username, state))

    problems: list[str] = []
    tally: dict[str, int] = defaultdict(int)
    ambiguous_stored = 0
    for subject, kind in outcome.items():
        tally[kind] += 1
        got = stored.get(subject, [])
        sent = [u for u, s in got if s == "sent"]
        drafts = [u for u, s in got if s == "draft"]
        wrong_owner = [u for u, _ in got if u != owner[subject]]
        if wrong_owner:
            problems.append(f"{subject}: stored for {wrong_owner}, sent by {owner[subject]}")
        if kind in ("confirmed", "redirected"):
            if len(sent) != 1:
                problems.append(f"{subject}: {kind} but stored {len(sent)} times as sent")
            if drafts:
                problems.append(f"{subject}: {kind} but {len(drafts)} draft(s) left behind")
        elif kind == "ambiguous":
            ambiguous_stored += len(sent)
            if len(sent) > 1:
                problems.append(f"{subject}: stored {len(sent)} times as sent")
            if sent and drafts:
                problems.append(f"{subject}: sent and still a draft")
            if not sent and subject in drafted and len(drafts) > 1:
                problems.append(f"{subject}: {len(drafts)} drafts")
        elif kind == "draft only":
            if sent:
                problems.append(f"{subject}: never sent but stored as sent")
            if len(drafts) != 1 and subject in {
                r["subject"] for r in records if r["kind"] == "draft_saved"
            }:
                problems.append(f"{subject}: draft saved but {len(drafts)} drafts stored (lost)")
    extra = [s for s in stored if s not in outcome]
    for subject in extra[:10]:
        problems.append(f"{subject!r}: stored ({stored[subject]}) but no veteran typed it")
    if len(extra) > 10:
        problems.append(f"... {len(extra) - 10} more messages nobody sent")
    in_run = sum(len(v) for k, v in stored.items() if k.startswith(prefix))
    saved = {r["subject"] for r in records if r["kind"] == "draft_saved"}
    draft_kept = sum(1 for s, k in outcome.items() if k == "draft only" and s in saved)
    lines = [
        f"sends confirmed ('Message sent' page): {tally['confirmed']}; "
        f"answered 302 to the Inbox but not rendered: {tally['redirected']}; "
        f"posted without an answer: {tally['ambiguous']} (of which stored: {ambiguous_stored})",
        f"drafts saved and never sent (run ended or the walk stopped after saving): {draft_kept}; "
        f"draft saves that got an error and no send: {tally['draft only'] - draft_kept}",
        f"database: {in_run} messages/drafts of this run for the load veterans, "
        f"{sum(1 for v in stored.values() for _u, s in v if s == 'sent')} sent, "
        f"{sum(1 for v in stored.values() for _u, s in v if s == 'draft')} drafts; "
        f"extra (nobody sent them): {len(extra)}",
    ]
    lines += [f"  PROBLEM {p}" for p in problems[:30]]
    return not problems, lines


# --- PostgreSQL and Redis guards -------------------------------------------------------------


class PostgresGuard:
    """Stop and start the local cluster on port 5432 with pg_ctlcluster."""

    def __init__(self) -> None:
        out = run(["pg_lsclusters", "-h"]).stdout
        cluster = next(
            (line.split() for line in out.splitlines() if line.split()[2] == str(PG_PORT)), None
        )
        if cluster is None:
            raise SystemExit(f"no PostgreSQL cluster on port {PG_PORT} in pg_lsclusters")
        self.version, self.name = cluster[0], cluster[1]

    def _ctl(self, action: str) -> subprocess.CompletedProcess:
        return run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action],
            check=False,
            timeout=120,
        )

    def alive(self) -> bool:
        try:
            with pg_connect(timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except Exception:  # noqa: BLE001
            return False

    def other_clients(self, own_db: str) -> list[str]:
        try:
            with pg_connect(timeout=2) as conn:
                rows = conn.execute(
                    "SELECT datname, application_name, state FROM pg_stat_activity "
                    "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
                    "AND datname IS NOT NULL AND datname <> %s",
                    [own_db],
                ).fetchall()
        except Exception:  # noqa: BLE001
            return []
        return [f"{d}/{a or '-'}/{s}" for d, a, s in rows]

    def stop(self) -> None:
        result = self._ctl("stop")
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctlcluster stop: {result.stderr.strip()}")

    def start(self, timeout: float = 60) -> bool:
        if not self.alive():
            self._ctl("start")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.alive():
                return True
            time.sleep(0.3)
        return False


class RedisGuard:
    """Shut Redis down and start it again exactly as it ran (its whole CONFIG GET *)."""

    KEYS_ON_COMMAND_LINE = (
        "port",
        "bind",
        "daemonize",
        "dir",
        "dbfilename",
        "logfile",
        "pidfile",
        "save",
        "appendonly",
        "protected-mode",
        "databases",
        "loglevel",
        "maxmemory",
        "maxmemory-policy",
        "supervised",
    )

    def __init__(self) -> None:
        self.config: dict[str, str] = {}
        self.cwd = "/"
        self.pid = 0

    def cli(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        return run(
            ["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), *args], check=check, timeout=10
        )

    def alive(self) -> bool:
        try:
            return self.cli("PING").stdout.strip() == "PONG"
        except (subprocess.TimeoutExpired, OSError):
            return False

    def read_config(self) -> dict[str, str]:
        lines = self.cli("--no-raw", "CONFIG", "GET", "*", check=True).stdout.splitlines()
        values = [_unquote_redis(line) for line in lines]
        return dict(zip(values[::2], values[1::2], strict=False))

    def snapshot(self) -> None:
        info = self.cli("INFO", "server", check=True).stdout
        self.pid = int(
            next(li.split(":")[1] for li in info.splitlines() if li.startswith("process_id:"))
        )
        self.cwd = os.readlink(f"/proc/{self.pid}/cwd")
        self.config = self.read_config()
        if self.config.get("requirepass"):
            raise SystemExit("Redis has a password: the drill does not handle that")

    def argv(self) -> list[str]:
        # Found on PATH like the original command line ("redis-server 127.0.0.1:6379").
        args = ["redis-server" if shutil.which("redis-server") else "/usr/bin/redis-server"]
        for key in self.KEYS_ON_COMMAND_LINE:
            if key not in self.config:
                continue
            value = self.config[key]
            args += [f"--{key}", *value.split()] if key == "bind" else [f"--{key}", value]
        return args

    def stop(self) -> None:
        self.cli("SHUTDOWN", "NOSAVE")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (Path(f"/proc/{self.pid}").exists() or self.alive()):
            time.sleep(0.1)

    def start(self, timeout: float = 20) -> tuple[bool, list[str]]:
        """Start it again; returns (answers, settings that still differ)."""
        if not self.alive():
            if self.config.get("daemonize") == "yes":
                subprocess.run(
                    self.argv(), cwd=self.cwd, check=False, timeout=30, start_new_session=True
                )
            else:
                subprocess.Popen(self.argv(), cwd=self.cwd, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.alive():
            time.sleep(0.2)
        if not self.alive():
            return False, ["redis does not answer"]
        differ = self.differences()
        for key in differ:
            self.cli("CONFIG", "SET", key, self.config[key])
        return True, self.differences()

    def differences(self) -> list[str]:
        now = self.read_config()
        return sorted(k for k, v in self.config.items() if now.get(k) != v)


def _unquote_redis(line: str) -> str:
    """redis-cli --no-raw prints each value quoted: "value" (with C escapes)."""
    line = line.split(") ", 1)[1] if ") " in line[:8] else line
    if line.startswith('"') and line.endswith('"'):
        return line[1:-1].encode().decode("unicode_escape")
    return line


@contextlib.contextmanager
def no_interrupts():
    """Ctrl-C waits while a service is being put back (a second Ctrl-C must not leave
    PostgreSQL or Redis stopped); SIGTERM/SIGHUP likewise."""
    previous = {
        sig: signal.signal(sig, signal.SIG_IGN)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def ensure_services(pg: PostgresGuard | None, redis: RedisGuard | None) -> list[str]:
    """Put PostgreSQL and Redis back if they are down; never raises. Ctrl-C is ignored
    meanwhile so that a second Ctrl-C cannot leave them stopped."""
    notes = []
    with no_interrupts():
        if pg is not None:
            try:
                if not pg.alive():
                    notes.append(
                        "PostgreSQL was down: restarted"
                        if pg.start()
                        else "PostgreSQL DOES NOT START"
                    )
            except Exception as exc:  # noqa: BLE001
                notes.append(f"PostgreSQL restart failed: {exc}")
        if redis is not None and redis.config:
            try:
                if not redis.alive():
                    ok, differ = redis.start()
                    notes.append(
                        "Redis was down: restarted" + ("" if ok else " BUT IT DOES NOT ANSWER")
                    )
                    if differ:
                        notes.append(f"Redis settings that differ from before: {differ}")
            except Exception as exc:  # noqa: BLE001
                notes.append(f"Redis restart failed: {exc}")
    return notes


def random_seed() -> None:
    random.seed()


def exit_with(ok: bool) -> None:
    say(f"RESULT: {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)
