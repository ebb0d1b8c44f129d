"""Named scenarios: a veteran entry in the bundle format (data.md) without username and
password, plus the care systems and Oracle Health pools it needs.

One scenario per demo veteran shape, taken from the demo bundle that ships with the
product (so a scenario is exactly what the demo account is), plus `migrating` (a VistA
system in the locked phase of its move to Oracle Health) and `big` (2,000 teams over 12
care systems, generated).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from messaging.common.choices import Ehr

DEMO_BUNDLE = Path(__file__).resolve().parent.parent / "fixtures" / "demo-bundle.json"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    demo_username: str | None = None  # the demo veteran it copies; None: generated


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("vista.single", "VistA only: teams in one care system.", "vista.single"),
        Scenario("vista.multi", "VistA only: teams in three care systems.", "vista.multi"),
        Scenario("oh.only", "Oracle Health only: registered at one OH facility.", "oh.only"),
        Scenario("hybrid", "VistA teams and an Oracle Health facility.", "hybrid"),
        Scenario("many.systems", "Six or more care systems, VistA and OH.", "many.systems"),
        Scenario("all.blocked", "Every care team is blocked.", "all.blocked"),
        Scenario("no.teams", "No care teams at all.", "no.teams"),
        Scenario(
            "facility.blocked", "Blocked at one care system, teams elsewhere.", "facility.blocked"
        ),
        Scenario(
            "migrating",
            "VistA teams at care systems moving to Oracle Health, one in the locked phase.",
            "transition",
        ),
        Scenario("big", "2,000 care teams over 12 care systems (half VistA, half OH pools)."),
    )
}

BIG_TEAMS = 2000
BIG_SYSTEMS = 12
BIG_VISTA_ID_BASE = 990_000_000
BIG_POOL_ID_BASE = 991_000_000


@cache
def _demo() -> dict:
    return json.loads(DEMO_BUNDLE.read_text())


def scenario_bundle(name: str) -> dict:
    """The scenario as a bundle (careSystems, ohPools, one veteran without username and
    password). KeyError for an unknown name."""
    scenario = SCENARIOS[name]
    if scenario.demo_username is None:
        return big_bundle()
    demo = _demo()
    veteran = next(v for v in demo["veterans"] if v["username"] == scenario.demo_username)
    entry = {k: v for k, v in veteran.items() if k not in ("username", "password")}
    return {
        "careSystems": json.loads(json.dumps(demo["careSystems"])),
        "ohPools": json.loads(json.dumps(demo.get("ohPools", []))),
        "veteran": json.loads(json.dumps(entry)),
    }


def big_bundle() -> dict:
    """2,000 teams over 12 care systems of their own: 1,000 VistA triage teams over six
    VistA systems, 1,000 Oracle Health pools over six OH systems."""
    half = BIG_SYSTEMS // 2
    vista = [
        {
            "stationNumber": f"98{i}",
            "name": f"QA Big VistA {i + 1} health care",
            "ehr": Ehr.VISTA.value,
            "facilities": [f"98{i}"],
        }
        for i in range(half)
    ]
    oh = [
        {
            "stationNumber": f"99{i}",
            "name": f"QA Big Oracle Health {i + 1} health care",
            "ehr": Ehr.ORACLE_HEALTH.value,
            "facilities": [f"99{i}"],
        }
        for i in range(half)
    ]
    teams = [
        {
            "triageTeamId": BIG_VISTA_ID_BASE + n,
            "name": f"QA BIG {n:04d} PRIMARY CARE TEAM",
            "stationNumber": vista[n % half]["stationNumber"],
            "blockedStatus": False,
            "preferredTeam": True,
            "relationType": "PATIENT",
            "ohTriageGroup": False,
        }
        for n in range(BIG_TEAMS // 2)
    ]
    pools: dict[str, list[dict]] = {s["stationNumber"]: [] for s in oh}
    for n in range(BIG_TEAMS - len(teams)):
        station = oh[n % half]["stationNumber"]
        pools[station].append(
            {
                "poolId": BIG_POOL_ID_BASE + n,
                "externalName": f"QA Big Pool {n:04d} Mental Health",
                "internalName": f"QA BIG POOL {n:04d}",
                "locationStationNumber": station,
                "primaryCareProvider": None,
                "patientFacing": True,
                "active": True,
            }
        )
    return {
        "careSystems": vista + oh,
        "ohPools": [{"stationNumber": s, "pools": p} for s, p in pools.items()],
        "veteran": {
            "fullName": "Bailey Grant",
            "vistaRecipients": [
                {"associatedTriageGroups": len(teams), "associatedBlockedTriageGroups": 0},
                {"triageTeam": teams},
            ],
            "ohFacilities": [s["stationNumber"] for s in oh],
            "sentMessages": [
                {
                    "recipientId": team["triageTeamId"],
                    "daysAgo": index * 7 + 1,
                    "category": "OTHER",
                    "subject": "Question about my visit",
                    "body": "A question from a test veteran.",
                }
                for index, team in enumerate(teams[:3])
            ],
        },
    }
