"""Realistic traffic for demo and staging dashboards: generated veterans walk the real views
(pages on the web, the API as the mobile app) on both flows, with some failures."""

import json
import random
import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.test import Client
from django.utils import timezone

from messaging.common.choices import Ehr
from messaging.models import CsatResponse, Message, MetricEvent
from messaging.recipients.bundle import bundle_parse
from messaging.rollout import rollup_job
from messaging.rollout import stages as rollout
from messaging.rollout.flags import ALL_FLAGS, CURATED_LIST_FLOW, RECENT_RECIPIENTS
from messaging.services.bundle import bundle_load
from messaging.services.tokens import token_issue

BASE = "/my-health/secure-messages"
SIM_PREFIX = "sim.veteran."
ACTOR = "simulate_traffic"
NEW = f"{BASE}/new-message"
API = "/my_health/v1/messaging"
VISTA, OH = "990", "991"
TEAMS = [9_900_001 + n for n in range(6)]
POOLS = [9_910_001 + n for n in range(12)]


def _bundle(count: int) -> dict:
    teams = [
        {
            "triageTeamId": t,
            "name": f"{VISTA} Sim team {i}",
            "stationNumber": VISTA,
            "blockedStatus": i == 5,
            "preferredTeam": True,
            "suggestedNameDisplay": f"Simulated care | Team {i}",
        }
        for i, t in enumerate(TEAMS)
    ]
    return {
        "careSystems": [
            {
                "stationNumber": VISTA,
                "name": "VA Simulated VistA health care",
                "ehr": Ehr.VISTA,
                "facilities": [VISTA],
            },
            {
                "stationNumber": OH,
                "name": "VA Simulated Oracle Health care",
                "ehr": Ehr.ORACLE_HEALTH,
                "facilities": [OH],
            },
        ],
        "ohPools": [
            {
                "stationNumber": OH,
                "pools": [
                    {
                        "poolId": p,
                        "externalName": f"VHA SIM Pool {i}",
                        "locationStationNumber": OH,
                        "patientFacing": True,
                        "active": True,
                    }
                    for i, p in enumerate(POOLS)
                ],
            }
        ],
        "veterans": [
            {
                "username": f"{SIM_PREFIX}{n}",
                "password": f"sim-{n}-not-a-real-password",
                "fullName": f"Simulated Veteran {n}",
                "vistaRecipients": [{}, {"triageTeam": teams}],
                "ohFacilities": [OH],
            }
            for n in range(count)
        ],
    }


class Command(BaseCommand):
    help = "Drive the real views for generated veterans so the rollout dashboard has data."

    def add_arguments(self, parser):
        parser.add_argument("--veterans", type=int, default=40)
        parser.add_argument("--days", type=int, default=14)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, veterans: int, days: int, seed: int, **options):
        rng = random.Random(seed)
        self._tokens: dict[int, str] = {}  # one API sign-in per simulated app user
        bundle_load(bundle=bundle_parse(json.dumps(_bundle(veterans))))
        # Half of the generated veterans (sticky per veteran) get the new flow while this runs:
        # through the rollout service, so the flags' history and audit log show it.
        saved = {name: rollout.flag_state(name)["stage"] for name in ALL_FLAGS}
        for name, stage in ((CURATED_LIST_FLOW, "C"), (RECENT_RECIPIENTS, "E")):
            rollout.set_stage(name, stage, actor=ACTOR, reason="simulated traffic", force=True)
        accounts = get_user_model().objects.filter(username__startswith=SIM_PREFIX)
        accounts.update(is_active=True)
        users = list(accounts.order_by("pk")[:veterans])
        sent = 0
        try:
            for user in users:
                first_event = (
                    MetricEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                )
                first_message = (
                    Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                )
                first_csat = (
                    CsatResponse.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                )
                for _ in range(rng.randint(1, 3)):
                    sent += self._session(user, rng)
                when = timezone.now() - timedelta(seconds=rng.randint(0, days * 86400))
                MetricEvent.objects.filter(pk__gt=first_event).update(at=when)
                Message.objects.filter(pk__gt=first_message, state="sent").update(sent_at=when)
                CsatResponse.objects.filter(pk__gt=first_csat).update(at=when)
        finally:
            for name, stage in saved.items():
                rollout.set_stage(name, stage, actor=ACTOR, reason="simulation over", force=True)
            # Generated veterans only make traffic: they never sign in or appear as demo accounts.
            accounts.update(is_active=False)
            # The events were back-dated into hours the rollup job may have rolled up.
            rollup_job.reopen(since=timezone.now() - timedelta(days=days + 1))
        self.stdout.write(
            self.style.SUCCESS(
                f"Simulated {len(users)} veterans over {days} days: {sent} messages sent."
            )
        )

    def _session(self, user, rng) -> int:
        if rng.random() < 0.3:
            return self._mobile(user, rng)
        # The headers a browser's sendBeacon carries from the site's own pages.
        client = Client(headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
        client.force_login(user)

        def view(path):
            client.post(
                f"{BASE}/metrics/beacon/",
                json.dumps({"event": "page-view", "page": path}),
                content_type="application/json",
            )
            return client.get(path)

        view(f"{BASE}/inbox/")
        view(f"{NEW}/")
        landing = client.get(f"{NEW}/continue/")["Location"]
        if landing.endswith("/recent/"):
            page = view(landing).content.decode()
            choice = rng.choice(re.findall(r'name="recipient" value="(\w+)"', page))
            if choice == "other":
                client.post(
                    f"{BASE}/metrics/beacon/",
                    json.dumps({"event": "page-view", "page": f"{NEW}/select-care-team/"}),
                    content_type="application/json",
                )
            response = client.post(landing, {"recipient": str(choice)})
            landing = response["Location"]
        if landing.endswith("/select-care-team/"):
            view(landing)
            system, team = rng.choice([(VISTA, rng.choice(TEAMS[:5])), (OH, rng.choice(POOLS))])
            client.post(
                f"{BASE}/metrics/beacon/",
                json.dumps({"event": "care-system-changed", "page": landing}),
                content_type="application/json",
            )
            client.post(
                landing, {"care_system": system, "care_team": str(team), "action": "continue"}
            )
            landing = f"{NEW}/start-message/"
        data = {
            "category": "OTHER",
            "subject": "Simulated question",
            "body": "Simulated message body.",
        }
        target = landing if landing.endswith("/start-message/") else f"{NEW}/"
        if not landing.endswith("/start-message/"):
            data["recipient"] = str(rng.choice(TEAMS[:5]))
        view(target)
        if rng.random() < 0.3:
            client.post(target, {**data, "action": "save-draft"})
        if rng.random() < 0.1:
            client.post(target, {**data, "subject": "", "action": "send"})  # a validation failure
        response = client.post(target, {**data, "action": "send"})
        if response.status_code == 302 and rng.random() < 0.5:
            client.post(f"{BASE}/feedback/", {"score": str(rng.choice([3, 4, 4, 5, 5]))})
        return int(response.status_code == 302)

    def _mobile(self, user, rng) -> int:
        if user.pk not in self._tokens:
            self._tokens[user.pk], _ = token_issue(user=user)
        client = Client(
            HTTP_AUTHORIZATION=f"Token {self._tokens[user.pk]}", HTTP_X_PLATFORM="mobile"
        )
        client.get(f"{API}/allrecipients")
        recipient = (
            TEAMS[5] if rng.random() < 0.1 else rng.choice(TEAMS[:5] + POOLS)
        )  # some to a blocked team
        body = {
            "recipient_id": recipient,
            "category": "OTHER",
            "subject": "From the app",
            "body": "Simulated.",
        }
        response = client.post(
            f"{API}/messages",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"sim-{rng.random()}",
        )
        return int(response.status_code == 201)
