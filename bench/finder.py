"""Benchmark the care-team finder: time per query at 2,000 teams and the top-3 hit rate on
the sample set. Prints numbers from one run (the machine is shared and noisy).

    .venv/bin/python bench/finder.py
"""

import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from messaging.recipients.common import CareSystemRef, Recipient  # noqa: E402
from messaging.recipients.finder import find, vocabulary  # noqa: E402


def main() -> None:
    rng = random.Random(1)
    care_types = list(vocabulary()["care_types"])
    systems = [
        CareSystemRef(f"{700 + i}", f"VA System {i} health care", "oracle_health")
        for i in range(12)
    ]
    teams = [
        Recipient(
            n,
            "oracle_health",
            f"VHA X{n}",
            f"VHA {rng.choice(['SPO', 'COS', 'WWW'])} {rng.choice(care_types)} {n % 7}",
            systems[n % 12],
            False,
            True,
            False,
        )
        for n in range(2000)
    ]
    queries = [
        "heart",
        "refill my prescription",
        "hearing aids",
        "dr nguyen",
        "walla walla",
        "my medical records",
        "skin rash",
        "kidny",
        "back pain",
        "qwzxv",
    ]
    find(teams, "warm up")  # builds the per-team descriptions once, as a running server has
    times = []
    for _ in range(5):
        for q in queries:
            t = time.perf_counter()
            find(teams, q)
            times.append((time.perf_counter() - t) * 1000)
    print(
        f"finder, 2,000 teams: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms per query ({len(times)} queries)"
    )

    sample = json.loads((ROOT / "tests" / "data" / "finder-queries-sample.json").read_text())
    bundle = json.loads((ROOT / "messaging" / "fixtures" / "demo-bundle.json").read_text())
    from messaging.recipients.oracle_health import FacilityPools, adapt_pools
    from messaging.recipients.registry import CareSystemEntry, Registry

    registry = Registry.from_entries(
        CareSystemEntry.model_validate(c) for c in bundle["careSystems"]
    )
    pools = [
        t.recipient
        for t in adapt_pools([FacilityPools.model_validate(f) for f in bundle["ohPools"]], registry)
    ]
    hits = 0
    for case in sample["queries"]:
        candidates = [p for p in pools if p.care_system.station_number == case["stationNumber"]]
        top = [m.recipient.display_name for m in find(candidates, case["query"])[:3]]
        hits += bool(set(top) & set(case["accept"]))
    print(
        f"top-3 hit rate on the sample set: {hits}/{len(sample['queries'])} = {hits / len(sample['queries']):.0%}"
    )


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sm_portal.settings")
    django.setup()
    main()
