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


# --- Facility transitions (transition.md) ---------------------------------------------------

# d = today - T = -inDays: 40 -> p1 (warned), 2 -> p4 (locked), -10 -> p7 (cut over).
WARNED, LOCKED, CUT_OVER, STABLE = "610", "620", "630", "640"


def transition_bundle(*, warned_in=40, locked_in=2, cut_over_in=-10) -> dict:
    """A bundle the demo never had: three VistA systems moving to Oracle Health (warned,
    locked, cut over by default), one that stays, their pools and crosswalk, and veterans:
    `mover` (teams at all four), `locked.only` (teams only at the locked system) and
    `bystander` (teams only at the stable one)."""
    systems = [
        {
            **care_system(WARNED, "VA Marion health care", facilities=[WARNED, f"{WARNED}GA"]),
            "migration": {"inDays": warned_in},
        },
        {
            **care_system(LOCKED, "VA Hudson Valley health care"),
            "migration": {"inDays": locked_in},
        },
        {
            **care_system(
                CUT_OVER, "VA Lake City health care", facilities=[CUT_OVER, f"{CUT_OVER}GA"]
            ),
            "migration": {"inDays": cut_over_in},
        },
        care_system(STABLE, "VA Stable health care"),
    ]
    pools = [
        {
            "stationNumber": WARNED,
            "pools": [pool(9610001, WARNED, legacyVistaTriageGroupId=8610001)],
        },
        {
            "stationNumber": LOCKED,
            "pools": [
                pool(
                    9620001,
                    LOCKED,
                    externalName="VHA HUD Primary Care Teal",
                    legacyVistaTriageGroupId=8620001,
                )
            ],
        },
        {
            "stationNumber": CUT_OVER,
            "pools": [
                pool(
                    9630001,
                    CUT_OVER,
                    externalName="VHA LKC Primary Care Teal",
                    legacyVistaTriageGroupId=8630001,
                ),
                pool(
                    9630002,
                    f"{CUT_OVER}GA",
                    externalName="VHA LKC Cardiology",
                    legacyVistaTriageGroupId=8630002,
                ),
                pool(9630003, CUT_OVER, externalName="VHA LKC Pharmacy Refills"),
            ],
        },
    ]

    def teams(*specs):
        return vista_payload([triage_team(i, s, suggestedNameDisplay=n) for i, s, n in specs])

    sent = [
        {"recipientId": r, "daysAgo": d, "category": "OTHER", "subject": "Hello", "body": "Hi"}
        for r, d in ((8610001, 3), (8620001, 5), (8630001, 15))
    ]
    return bundle(
        care_systems=systems,
        oh_pools=pools,
        veterans=[
            veteran(
                "mover",
                vistaRecipients=teams(
                    (8610001, WARNED, "Primary care | PACT team | T12 - Patel, Anika"),
                    (8610002, f"{WARNED}GA", "Pharmacy | Ask a pharmacist | T31"),
                    (8620001, LOCKED, "Primary care | PACT team | T04 - Greene, Marcus"),
                    (8620002, LOCKED, "Mental health | BHIP | T22"),
                    (8630001, CUT_OVER, "Primary care | PACT team | T31"),
                    (8630002, f"{CUT_OVER}GA", "Specialty care | Cardiology | T15"),
                    (8640001, STABLE, "Primary care | PACT team | T51 - James, Donald"),
                ),
                sentMessages=sent,
            ),
            veteran(
                "locked.only",
                vistaRecipients=teams((8620101, LOCKED, "Primary care | PACT team | T05")),
            ),
            veteran(
                "bystander",
                vistaRecipients=teams((8640101, STABLE, "Primary care | PACT team | T52")),
            ),
        ],
    )


def eicar_bytes() -> bytes:
    """The EICAR anti-malware test file, put together at run time so that no file of the
    repository is itself one (a scanner on a developer's machine would flag it)."""
    parts = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-", "TEST-FILE!$H+H*")
    return "".join(parts).encode("ascii")


def prescription(prescription_id: int, **fields) -> dict:
    data = {
        "prescriptionId": prescription_id,
        "prescriptionName": f"Medication {prescription_id} 10 MG Oral Tablet",
        "sig": "Take one tablet by mouth daily",
        "providerFirstName": "Ana",
        "providerLastName": "Okafor",
        "expirationDate": "2027-03-09",
        "dispensedDate": "2026-11-04",
        "quantity": 30,
        "stationNumber": "640",
        "careTeamId": None,
        "renewable": True,
    }
    data.update(fields)
    return data


def renewal_bundle() -> dict:
    """A bundle of its own (not the demo's): a veteran with prescriptions and a signature,
    another veteran with a prescription of their own, teams in one VistA and one OH system."""
    systems = [
        care_system("640", "VA Palo Alto health care", facilities=["640", "640A4"]),
        care_system("612", "VA Northern California health care"),
        care_system("653", "VA Roseburg health care", "oracle_health", ["653", "653GA"]),
    ]
    teams = [
        triage_team(
            6400001,
            "640A4",
            name="640 Pharmacy Renewals PACT",
            suggestedNameDisplay="Pharmacy | Renewals",
        ),
        triage_team(
            6400002,
            "640",
            name="640 Primary Care Blue",
            suggestedNameDisplay="Primary care | Blue team",
        ),
        triage_team(
            6400003,
            "640",
            name="640 Cardiology",
            suggestedNameDisplay="Cardiology clinic",
            blockedStatus=True,
        ),
        triage_team(6120001, "612", name="612 Audiology", suggestedNameDisplay="Audiology"),
    ]
    pools = [
        {"stationNumber": "653", "pools": [pool(6530001, "653", externalName="Roseburg Pharmacy")]}
    ]
    return bundle(
        care_systems=systems,
        oh_pools=pools,
        veterans=[
            veteran(
                "rx.vet",
                vistaRecipients=vista_payload(teams),
                ohFacilities=["653"],
                signature={
                    "name": "Dana Whitfield",
                    "title": "Veteran, U.S. Army",
                    "include": True,
                },
                prescriptions=[
                    prescription(
                        7100001,
                        prescriptionName="Atorvastatin 20 MG Oral Tablet",
                        careTeamId=6400001,
                    ),
                    prescription(
                        7100002,
                        prescriptionName="Gabapentin 300 MG Oral Capsule",
                        providerFirstName=None,
                        providerLastName=None,
                        expirationDate=None,
                        dispensedDate=None,
                        quantity=None,
                        stationNumber="640",
                    ),
                    prescription(
                        7100003, prescriptionName="Prednisone 5 MG Oral Tablet", careTeamId=6400003
                    ),
                    prescription(
                        7100004,
                        prescriptionName="Old Antibiotic",
                        renewable=False,
                        careTeamId=6400001,
                    ),
                    prescription(
                        7100005,
                        prescriptionName="Oxybutynin 5 MG",
                        careTeamId=6530001,
                        stationNumber="653",
                    ),
                ],
                sentMessages=[
                    {
                        "recipientId": 6400002,
                        "daysAgo": 5,
                        "category": "OTHER",
                        "subject": "Hi",
                        "body": "Hello",
                    },
                ],
            ),
            veteran(
                "rx.other",
                vistaRecipients=vista_payload([triage_team(6129999, "612", name="612 Pharmacy")]),
                prescriptions=[
                    prescription(
                        7199999, prescriptionName="Someone Else's Insulin", careTeamId=6129999
                    )
                ],
            ),
        ],
    )
