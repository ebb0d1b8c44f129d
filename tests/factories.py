"""Small builders of data bundles (dicts) for tests; stored through the real loader."""

from __future__ import annotations

import copy
import json
from pathlib import Path

DEMO_BUNDLE_PATH = (
    Path(__file__).resolve().parent.parent / "messaging" / "fixtures" / "demo-bundle.json"
)


def demo_bundle() -> dict:
    return json.loads(DEMO_BUNDLE_PATH.read_text())


def care_system(
    station: str, name: str, ehr: str = "vista", facilities: list[str] | None = None
) -> dict:
    return {
        "stationNumber": station,
        "name": name,
        "ehr": ehr,
        "facilities": facilities or [station],
    }


def triage_team(team_id: int, station: str, **fields) -> dict:
    team = {
        "triageTeamId": team_id,
        "name": f"{station} Team {team_id}",
        "stationNumber": station,
        "blockedStatus": False,
        "preferredTeam": True,
        "relationType": "PATIENT",
        "ohTriageGroup": False,
    }
    team.update(fields)
    return team


def vista_payload(teams: list[dict]) -> list:
    return [
        {
            "associatedTriageGroups": len(teams),
            "associatedBlockedTriageGroups": sum(1 for t in teams if t.get("blockedStatus")),
        },
        {"triageTeam": teams},
    ]


def pool(pool_id: int, location: str, **fields) -> dict:
    data = {
        "poolId": pool_id,
        "externalName": f"VHA Pool {pool_id}",
        "internalName": f"POOL {pool_id} INTERNAL",
        "locationStationNumber": location,
        "primaryCareProvider": None,
        "patientFacing": True,
        "active": True,
    }
    data.update(fields)
    return data


def veteran(username: str, **fields) -> dict:
    data = {"username": username, "password": f"pw-{username}-secret", "fullName": username.title()}
    data.update(fields)
    return data


def bundle(
    *,
    care_systems: list[dict],
    veterans: list[dict],
    oh_pools: list[dict] | None = None,
    staff=None,
) -> dict:
    data = {"careSystems": care_systems, "ohPools": oh_pools or [], "veterans": veterans}
    if staff is not None:
        data["staff"] = staff
    return copy.deepcopy(data)


def big_veteran_bundle(username: str, *, teams: int, systems: int = 12, id_base: int = 0) -> dict:
    """A veteran with `teams` teams spread over `systems` care systems: half VistA, half OH pools.

    Give each veteran of one test its own `id_base` (e.g. 1, 2): stations and ids then differ."""
    prefix = f"{id_base}" if id_base else ""
    vista_systems = [
        care_system(f"{prefix}{500 + i}", f"VA System {prefix}{i:02d} health care")
        for i in range(systems // 2)
    ]
    oh_systems = [
        care_system(
            f"{prefix}{700 + i}",
            f"VA OH System {prefix}{i:02d} health care",
            "oracle_health",
            [f"{prefix}{700 + i}", f"{prefix}{700 + i}GA"],
        )
        for i in range(systems - systems // 2)
    ]
    offset = id_base * 10_000_000
    vista_count = teams // 2
    vista_teams = [
        triage_team(offset + 1_000_000 + n, vista_systems[n % len(vista_systems)]["stationNumber"])
        for n in range(vista_count)
    ]
    pools_by_system: dict[str, list[dict]] = {s["stationNumber"]: [] for s in oh_systems}
    for n in range(teams - vista_count):
        station = oh_systems[n % len(oh_systems)]["stationNumber"]
        pools_by_system[station].append(pool(offset + 2_000_000 + n, station))
    return bundle(
        care_systems=vista_systems + oh_systems,
        oh_pools=[{"stationNumber": s, "pools": p} for s, p in pools_by_system.items()],
        veterans=[
            veteran(
                username,
                vistaRecipients=vista_payload(vista_teams),
                ohFacilities=[s["stationNumber"] for s in oh_systems],
                sentMessages=[
                    {
                        "recipientId": t["triageTeamId"],
                        "daysAgo": i + 1,
                        "category": "OTHER",
                        "subject": "s",
                        "body": "b",
                    }
                    for i, t in enumerate(vista_teams[:3])
                ],
            )
        ],
    )


def eicar_bytes() -> bytes:
    """The EICAR anti-malware test file, put together at run time so that no file of the
    repository is itself one (a scanner on a developer's machine would flag it)."""
    parts = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-", "TEST-FILE!$H+H*")
    return "".join(parts).encode("ascii")
