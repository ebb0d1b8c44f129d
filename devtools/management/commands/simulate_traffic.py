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
from rest_framework.authtoken.models import Token

from messaging.models import CsatResponse, Flag, Message, MetricEvent
from messaging.recipients.bundle import bundle_parse
from messaging.rollout import rollups
from messaging.rollout.flags import CURATED_LIST_FLOW, RECENT_RECIPIENTS
from messaging.services.bundle import bundle_load

BASE = "/my-health/secure-messages"
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
                "ehr": "vista",
                "facilities": [VISTA],
            },
            {
                "stationNumber": OH,
                "name": "VA Simulated Oracle Health care",
                "ehr": "oracle_health",
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
                "username": f"sim.veteran.{n}",
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
        bundle_load(bundle=bundle_parse(json.dumps(_bundle(veterans))))
        flag = Flag.objects.get_or_create(name=CURATED_LIST_FLOW)[0]
        recent = Flag.objects.get_or_create(name=RECENT_RECIPIENTS)[0]
        saved = [(f, f.everyone, f.percent) for f in (flag, recent)]
        # Half of the generated veterans (sticky per veteran) get the new flow while this runs.
        flag.everyone, flag.percent = None, 50
        recent.everyone, recent.percent = True, None
        for f in (flag, recent):
            f.save()
        users = (
            get_user_model()
            .objects.filter(username__startswith="sim.veteran.")
            .order_by("pk")[:veterans]
        )
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
            for f, everyone, percent in saved:
                f.everyone, f.percent = everyone, percent
                f.save()
            # The events were back-dated into hours the rollup job may have rolled up.
            rollups.reopen(since=timezone.now() - timedelta(days=days + 1))
        self.stdout.write(
            self.style.SUCCESS(
                f"Simulated {len(users)} veterans over {days} days: {sent} messages sent."
            )
        )

    def _session(self, user, rng) -> int:
        if rng.random() < 0.3:
            return self._mobile(user, rng)
        client = Client()
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
        token, _ = Token.objects.get_or_create(user=user)
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_X_PLATFORM="mobile")
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
