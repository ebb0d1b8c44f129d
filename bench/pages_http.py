"""`make bench`, HTTP mode: the flow's pages as a browser sees them, through gunicorn in
the production profile on PostgreSQL + Redis (quality.md, "Performance").

    .venv/bin/python bench/pages_http.py [--rounds 60] [--workers 2] [--keep]

- its own PostgreSQL database (`sm_bench`, created here, dropped at the end) and Redis db
  (11, flushed before and after); never the suite's `test` database or Redis db 0/1;
- set up as `make serve` does (collectstatic, migrate), then a generated, held-out data
  bundle (not the tests' factories): a veteran with 2,000 care teams in 12 care systems
  (one Oracle Health system of 420 pools, one VistA system of 400 teams) and a veteran
  with 7 VistA teams in 2 systems; both flags on for everyone;
- signed-in sessions made by Django's own session store (no password involved), then each
  veteran walks the flow over HTTP (interstitial, continue, select care team -> Continue)
  so that every page renders instead of redirecting;
- timing: after a warm-up, `--rounds` rounds of one GET of every (veteran, page), the order
  shuffled each round (noise hits every page alike), each on the veteran's keep-alive
  connection, measured by the client from request to last byte; medians and p95;
- the report: every page's median and p95, its ratio to the inbox (the floor: a signed-in
  page with a short list) and the 2,000-team / 7-team ratio; the bars of quality.md, PASS
  or FAIL; what went over the wire (compressed or not) for the pages and the API.

Numbers from one run of a shared, noisy machine: ratios, never assertions in tests.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import random
import statistics
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "load"))

from common import (  # noqa: E402  (bench/load/common.py: processes, database, gunicorn)
    PY,
    Server,
    drop_database,
    free_port,
    install_signal_exits,
    manage,
    recreate_database,
    redis_flushdb,
    run,
    say,
    server_log_summary,
    site_env,
)

BASE = "/my-health/secure-messages"
NEW = f"{BASE}/new-message"
API = "/my_health/v1/messaging"
PAGES = {
    "inbox": f"{BASE}/inbox/",
    "interstitial": f"{NEW}/",
    "recent": f"{NEW}/recent/",
    "select-care-team": f"{NEW}/select-care-team/",
    "start-message": f"{NEW}/start-message/",
}
FLAGS = ("mhv_secure_messaging_curated_list_flow", "mhv_secure_messaging_recent_recipients")
BIG, SMALL = "bench.big", "bench.small"
SELECT_BAR_SMALL = 1.5  # select care team, 2,000 teams / 7 teams
SELECT_BAR_INBOX = 2.0  # select care team, 2,000 teams / inbox
PAGE_BAR_INBOX = 1.5  # interstitial, recent, start message / inbox
WIRE_BAR = 120_000  # allrecipients for the 2,000-team veteran, bytes on the wire

# --- the held-out data ---------------------------------------------------------------------

CARE = [
    ("Primary care", "PACT team"),
    ("Mental health", "Behavioral health team"),
    ("Pharmacy", "Ask a pharmacist"),
    ("Specialty care", "Cardiology"),
    ("Specialty care", "Dermatology"),
    ("Specialty care", "Gastroenterology"),
    ("Specialty care", "Neurology"),
    ("Specialty care", "Oncology"),
    ("Specialty care", "Orthopedics"),
    ("Specialty care", "Podiatry"),
    ("Specialty care", "Pulmonology"),
    ("Specialty care", "Urology"),
    ("Audiology", "Hearing aids"),
    ("Eye care", "Optometry"),
    ("Women's health", "Gynecology"),
    ("Dental", "General dentistry"),
    ("Social work", "Caregiver support"),
    ("Nutrition", "Dietitian"),
    ("Physical therapy", "Rehabilitation"),
    ("Pain management", "Whole health"),
]
POOL_CARE = [
    "Primary Care",
    "Cardiology",
    "Dermatology",
    "Behavioral Health",
    "Pharmacy Refills",
    "Audiology",
    "Optometry",
    "Endocrinology",
    "Nephrology",
    "Oncology",
    "Physical Therapy",
    "Podiatry",
    "Release of Information (ROI)",
    "Sleep Medicine",
    "Urology",
    "Women Veterans Health",
    "Whole Health Coaching",
    "Spinal Cord Injury",
    "Prosthetics",
    "Travel Pay",
]
SURNAMES = (
    "Nguyen Okafor Haddad Rivera Johnson Kowalski Patel Brennan Yamamoto Castillo Osei "
    "Lindqvist Moreau Abdullah Fitzgerald Novak Tanaka Mensah Delgado Whitaker"
).split()
GIVEN = "Alex Blake Casey Devon Emery Finley Gray Harper Jordan Kai Logan Morgan".split()
# (station, name, ehr, teams for the big veteran); the first OH system is the one chosen.
BIG_SYSTEMS = [
    ("931", "VA Puget Sound bench health care", "oracle_health", 420),
    ("932", "VA Central Ohio bench health care", "oracle_health", 300),
    ("933", "VA Inland bench health care", "oracle_health", 200),
    ("941", "VA Gulf Coast bench health care", "vista", 400),
    ("942", "VA Black Hills bench health care", "vista", 200),
    ("943", "VA Hudson Valley bench health care", "vista", 150),
    ("944", "VA Ozark bench health care", "vista", 100),
    ("945", "VA Sierra bench health care", "vista", 80),
    ("946", "VA Tidewater bench health care", "vista", 60),
    ("947", "VA Bluegrass bench health care", "vista", 40),
    ("948", "VA Big Sky bench health care", "vista", 30),
    ("949", "VA Desert bench health care", "vista", 20),
]
SMALL_SYSTEMS = [
    ("951", "VA Prairie bench health care", "vista", 5),
    ("952", "VA Lakeshore bench health care", "vista", 2),
]
CHOSEN = {BIG: "931", SMALL: "951"}  # the system whose teams select care team lists
VISTA_CHOSEN = "941"  # a second session of the big veteran: a 400-team VistA system


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(SURNAMES), rng.choice(GIVEN)


def _vista_team(rng, team_id: int, station: str, n: int) -> dict:
    group, sub = CARE[n % len(CARE)]
    last, first = _person(rng)
    team = f"T{rng.randrange(10, 99)}"
    facility = station + rng.choice(("", "GA", "GB", "A4", "QA"))
    return {
        "triageTeamId": team_id,
        "name": f"{facility} {group} {sub} {team} {last.upper()}, {first.upper()}",
        "stationNumber": facility,
        "blockedStatus": False,
        "preferredTeam": True,
        "relationType": "PATIENT",
        "leadProviderName": f"{last}, {first}",
        "teamName": team,
        "suggestedNameDisplay": f"{group} | {sub} | {team} - {last}, {first}",
        "groupTypePatientDisplay": group,
        "subGroupTypePatientDisplay": sub,
        "ohTriageGroup": False,
    }


def _pool(rng, pool_id: int, station: str, n: int) -> dict:
    care = POOL_CARE[n % len(POOL_CARE)]
    colour = ("Blue", "Green", "Gold", "Red", "Silver", "North", "South", "East", "West")
    label = f"{care} {colour[(n // len(POOL_CARE)) % len(colour)]} {n // 180 + 1}"
    last, first = _person(rng)
    return {
        "poolId": pool_id,
        "externalName": f"VHA B{station} {label}",
        "internalName": f"B{station} {label.upper()} POOL",
        "description": f"{label} message pool",
        "locationStationNumber": station + rng.choice(("", "GA", "QA")),
        "primaryCareProvider": f"{last}, {first}" if care == "Primary Care" else None,
        "patientFacing": True,
        "active": True,
    }


def bench_bundle(seed: int = 17) -> dict:
    """The held-out bundle: BIG with 2,000 teams (12 systems), SMALL with 7 (2 systems), a
    few other veterans at the same Oracle Health facilities (pools are per facility)."""
    rng = random.Random(seed)
    systems, pools, veterans = [], [], []
    next_id = iter(range(8_100_000, 9_000_000))
    for station, name, ehr, _ in BIG_SYSTEMS + SMALL_SYSTEMS:
        facilities = [station, f"{station}GA", f"{station}GB", f"{station}A4", f"{station}QA"]
        systems.append(
            {"stationNumber": station, "name": name, "ehr": ehr, "facilities": facilities}
        )
    for station, _, ehr, count in BIG_SYSTEMS:
        if ehr == "oracle_health":
            pools.append(
                {
                    "stationNumber": station,
                    "pools": [_pool(rng, next(next_id), station, n) for n in range(count)],
                }
            )

    def vista_teams(spec):
        return [
            _vista_team(rng, next(next_id), station, n)
            for station, _, ehr, count in spec
            if ehr == "vista"
            for n in range(count)
        ]

    def sent(teams_by_station: dict[str, list[int]], station: str) -> list[dict]:
        ids = teams_by_station[station][:3]
        return [
            {
                "recipientId": rid,
                "daysAgo": 3 + 9 * i,
                "category": "OTHER",
                "subject": f"Bench message {i + 1}",
                "body": "A message of the benchmark's data set.",
            }
            for i, rid in enumerate(ids)
        ]

    pools_by_station = {p["stationNumber"]: [x["poolId"] for x in p["pools"]] for p in pools}
    for username, spec in ((BIG, BIG_SYSTEMS), (SMALL, SMALL_SYSTEMS)):
        teams = vista_teams(spec)
        by_station = dict(pools_by_station)
        for team in teams:
            by_station.setdefault(team["stationNumber"][:3], []).append(team["triageTeamId"])
        oh = [s for s, _, ehr, _ in spec if ehr == "oracle_health"]
        veterans.append(
            {
                "username": username,
                "password": f"bench-{username}-{rng.randrange(10**9)}",
                "fullName": username.replace(".", " ").title(),
                "vistaRecipients": [
                    {"associatedTriageGroups": len(teams), "associatedBlockedTriageGroups": 0},
                    {"triageTeam": teams},
                ],
                "ohFacilities": oh,
                "sentMessages": sent(by_station, CHOSEN[username]),
            }
        )
    for i in range(20):  # neighbours at the same OH facilities, with a few VistA teams each
        station = BIG_SYSTEMS[i % 3][0]
        teams = [_vista_team(rng, next(next_id), "945", n) for n in range(3)]
        veterans.append(
            {
                "username": f"bench.neighbour.{i:02d}",
                "password": f"bench-n-{rng.randrange(10**9)}",
                "fullName": f"Bench Neighbour {i:02d}",
                "vistaRecipients": [
                    {"associatedTriageGroups": 3, "associatedBlockedTriageGroups": 0},
                    {"triageTeam": teams},
                ],
                "ohFacilities": [station],
            }
        )
    return {"careSystems": systems, "ohPools": pools, "veterans": veterans, "staff": []}


# --- sessions and HTTP -----------------------------------------------------------------

SESSIONS_SCRIPT = """
import json, os
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from importlib import import_module
store = import_module(settings.SESSION_ENGINE).SessionStore
out = {}
for key, username in json.loads(os.environ["BENCH_SESSIONS"]).items():
    user = get_user_model().objects.get(username=username)
    session = store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    out[key] = session.session_key
print(json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "keys": out}))
"""


class Browser:
    """One signed-in veteran on one keep-alive connection; cookies kept by hand (they are
    Secure in production, and the settings trust X-Forwarded-Proto: https)."""

    def __init__(self, port: int, cookies: dict[str, str]):
        self.port = port
        self.jar = dict(cookies)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, *, data=None, headers=None):
        head = {
            "X-Forwarded-Proto": "https",
            "Accept": "text/html,application/xhtml+xml",
            "Accept-Encoding": "gzip, deflate, br",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items()),
            **(headers or {}),
        }
        body = None
        if data is not None:
            body = urlencode(data)
            head["Content-Type"] = "application/x-www-form-urlencoded"
            head["Origin"] = f"https://127.0.0.1:{self.port}"
            head["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        for attempt in (1, 2):
            try:
                started = time.perf_counter()
                self.conn.request(method, path, body=body, headers=head)
                response = self.conn.getresponse()
                raw = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # a keep-alive connection the server closed: once more
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for key, morsel in cookie.items():
                self.jar[key] = morsel.coded_value
        return response, raw, elapsed

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)


def text_of(response, raw: bytes) -> str:
    encoding = response.headers.get("Content-Encoding", "")
    if encoding == "gzip":
        raw = gzip.decompress(raw)
    elif encoding == "br":
        import brotli

        raw = brotli.decompress(raw)
    return raw.decode()


def csrf_token(html: str) -> str:
    marker = 'name="csrfmiddlewaretoken" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def first_team(html: str) -> str:
    """The first team offered in the care-team select (after "- Select -")."""
    select = html[html.index('id="id_care_team"') :]
    marker = '<option value="'
    start = select.index(marker, select.index(marker) + 1) + len(marker)
    return select[start : select.index('"', start)]


def walk(browser: Browser, station: str) -> None:
    """Interstitial, continue, select care team (the system, then its first team) -> start
    message: afterwards every page of the flow renders (200) for this session."""
    response, raw, _ = browser.get(PAGES["interstitial"])
    assert response.status == 200, ("interstitial", response.status)
    response, _, _ = browser.get(f"{NEW}/continue/")
    assert response.status == 302, ("continue", response.status)
    response, raw, _ = browser.get(PAGES["select-care-team"])
    assert response.status == 200, ("select-care-team", response.status)
    html = text_of(response, raw)
    response, raw, _ = browser.request(
        "POST",
        PAGES["select-care-team"],
        data={"csrfmiddlewaretoken": csrf_token(html), "care_system": station, "action": "update"},
    )
    assert response.status == 200, ("select-care-team update", response.status)
    html = text_of(response, raw)
    response, _, _ = browser.request(
        "POST",
        PAGES["select-care-team"],
        data={
            "csrfmiddlewaretoken": csrf_token(html),
            "care_system": station,
            "care_team": first_team(html),
            "action": "continue",
        },
    )
    location = response.headers.get("Location", "")
    assert response.status == 302 and location.endswith("/start-message/"), (
        response.status,
        location,
    )
    for name, path in PAGES.items():
        if name == "inbox":
            continue  # leaving the flow clears its state
        response, raw, _ = browser.get(path)
        assert response.status == 200, (name, response.status)


# --- report ------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


def table(rows: list[tuple], header: tuple) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*map(str, r)) for r in rows]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="timed GETs per page (60)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds first (5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--database", default="sm_bench")
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--keep", action="store_true", help="keep the database (debugging)")
    args = parser.parse_args()
    install_signal_exits()
    t0 = time.monotonic()
    say(
        f"== make bench (HTTP): gunicorn ({args.workers} workers, production profile) + "
        f"PostgreSQL database {args.database} + Redis db {args.redis_db} =="
    )
    workdir = Path(tempfile.mkdtemp(prefix="sm-bench-http-"))
    server = None
    db_url = recreate_database(args.database)
    redis_flushdb(args.redis_db)
    try:
        env = site_env(db_url, args.redis_db, {"LOG_LEVEL": "WARNING"})
        manage(env, "collectstatic", "--noinput", "-v0")
        manage(env, "migrate", "--noinput", "-v0")
        bundle_path = workdir / "bench-bundle.json"
        bundle_path.write_text(json.dumps(bench_bundle(args.seed)))
        manage(env, "load_bundle", str(bundle_path))
        for flag in FLAGS:
            manage(env, "waffle_flag", flag, "--everyone")
        # One session per walk; the inbox and the API on sessions of their own (leaving the
        # flow clears its state, as it should).
        who = {"big": BIG, "big-vista": BIG, "small": SMALL, "big-out": BIG, "small-out": SMALL}
        made = json.loads(
            run(
                [PY, "manage.py", "shell", "-c", SESSIONS_SCRIPT],
                env={**env, "BENCH_SESSIONS": json.dumps(who)},
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        setup_s = time.monotonic() - t0

        server = Server(env, free_port(), workdir / "gunicorn.log", workers=args.workers)
        server.start()
        browsers = {
            key: Browser(server.port, {made["cookie"]: session})
            for key, session in made["keys"].items()
        }
        walk(browsers["big"], CHOSEN[BIG])
        walk(browsers["big-vista"], VISTA_CHOSEN)
        walk(browsers["small"], CHOSEN[SMALL])

        def who_for(size: str, name: str) -> str:
            return f"{size}-out" if name == "inbox" else size

        targets = {f"{name}@2000": (who_for("big", name), path) for name, path in PAGES.items()}
        targets["select-care-team@2000 (400-team VistA system)"] = (
            "big-vista",
            PAGES["select-care-team"],
        )
        targets.update(
            {f"{name}@7": (who_for("small", name), path) for name, path in PAGES.items()}
        )
        targets["api allrecipients@2000"] = ("big-out", f"{API}/allrecipients")
        api_headers = {"Accept": "application/json", "X-Key-Inflection": "camel"}

        def once(key: str) -> tuple[int, float]:
            who_key, path = targets[key]
            headers = api_headers if path.startswith(API) else None
            response, _, elapsed = browsers[who_key].get(path, headers=headers)
            assert response.status == 200, (key, response.status)
            return response.status, elapsed

        keys = list(targets)
        rng = random.Random(args.seed)
        for _ in range(args.warmup):
            for key in keys:
                once(key)
        times: dict[str, list[float]] = {key: [] for key in keys}
        timed_t0 = time.monotonic()
        for _ in range(args.rounds):
            rng.shuffle(keys)
            for key in keys:
                times[key].append(once(key)[1])
        timed_s = time.monotonic() - timed_t0

        # What goes over the wire (bytes as received, and the encoding).
        wire = {}
        for key, (who_key, path) in targets.items():
            headers = api_headers if path.startswith(API) else None
            response, raw, _ = browsers[who_key].get(path, headers=headers)
            wire[key] = (
                len(raw),
                len(text_of(response, raw).encode()),
                response.headers.get("Content-Encoding", "") or "identity",
            )
        gz_raw = browsers["big-out"].get(
            f"{API}/allrecipients", headers={**api_headers, "Accept-Encoding": "gzip"}
        )
        wire["api allrecipients@2000, gzip only"] = (
            len(gz_raw[1]),
            len(text_of(gz_raw[0], gz_raw[1]).encode()),
            gz_raw[0].headers.get("Content-Encoding", "") or "identity",
        )
        server_log = server.log_text()
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            drop_database(args.database)
        redis_flushdb(args.redis_db)

    med = {k: statistics.median(v) for k, v in times.items()}
    floor = med["inbox@2000"]
    rows = []
    for key in targets:
        page, _, who_key = key.partition("@")
        other = f"{page}@7" if who_key.startswith("2000") else None
        big_small = f"{med[key] / med[other]:.2f}" if other in med else "-"
        rows.append(
            (key, f"{med[key]:.1f}", f"{p95(times[key]):.1f}", f"{med[key] / floor:.2f}", big_small)
        )
    say()
    say(table(rows, ("page @ teams", "median ms", "p95 ms", "vs inbox@2000", "2000 / 7")))

    checks = []

    def check(what: str, value: float, bar: float) -> None:
        checks.append((what, f"{value:.2f}x", f"<= {bar:g}x", "PASS" if value <= bar else "FAIL"))

    check(
        "select care team 2,000 (420-team OH) / 7 teams",
        med["select-care-team@2000"] / med["select-care-team@7"],
        SELECT_BAR_SMALL,
    )
    check("select care team 2,000 / inbox", med["select-care-team@2000"] / floor, SELECT_BAR_INBOX)
    for page in ("interstitial", "recent", "start-message"):
        check(f"{page} 2,000 / inbox", med[f"{page}@2000"] / floor, PAGE_BAR_INBOX)
    size, plain, encoding = wire["api allrecipients@2000"]
    checks.append(
        (
            "allrecipients 2,000 teams on the wire",
            f"{size:,} B ({encoding}; {plain:,} B uncompressed)",
            f"<= {WIRE_BAR:,} B, compressed",
            "PASS" if size <= WIRE_BAR and encoding != "identity" else "FAIL",
        )
    )
    html_encoded = [k for k, v in wire.items() if not k.startswith("api") and v[2] != "identity"]
    checks.append(
        (
            "HTML pages (CSRF token) sent uncompressed (BREACH)",
            "all identity" if not html_encoded else "compressed: " + ", ".join(html_encoded),
            "identity",
            "PASS" if not html_encoded else "FAIL",
        )
    )
    say()
    say(table(checks, ("bar (quality.md)", "value", "bar", "result")))
    say()
    say(
        table(
            [(k, f"{a:,}", f"{b:,}", e) for k, (a, b, e) in wire.items()],
            ("response", "bytes on the wire", "bytes uncompressed", "Content-Encoding"),
        )
    )
    say(
        f"\n{sum(c[3] == 'PASS' for c in checks)} PASS, {sum(c[3] == 'FAIL' for c in checks)} "
        f"FAIL. {args.rounds} interleaved rounds of {len(targets)} GETs ({timed_s:.0f} s), after "
        f"{args.warmup} warm-up rounds; client-side time, request to last byte, keep-alive."
    )
    say(f"server log: {server_log_summary(server_log)}")
    say(f"set-up {setup_s:.0f} s, total {time.monotonic() - t0:.0f} s.")


if __name__ == "__main__":
    main()
