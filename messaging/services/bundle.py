"""Loading a data bundle: care systems, care teams (already normalised by the adapters),
veterans, staff and their sent messages, in one transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from messaging.models import (
    CareSystem,
    CareTeam,
    Message,
    OhRegistration,
    VeteranProfile,
    VeteranTeam,
)
from messaging.recipients.bundle import ParsedBundle
from messaging.recipients.common import AdaptedTeam


@dataclass(frozen=True)
class BundleLoadResult:
    care_systems: int
    care_teams: int
    veterans: int
    staff: int
    sent_messages: int


def _team_defaults(team: AdaptedTeam, system: CareSystem, position: int) -> dict:
    r = team.recipient
    return {
        "source": r.source,
        "name": r.name,
        "display_name": r.display_name,
        "care_system": system,
        "station_number": team.station_number,
        "signature_required": r.signature_required,
        "per_facility": team.per_facility,
        "position": position,
        "legacy_vista_triage_group_id": team.legacy_vista_triage_group_id,
        "source_record": team.source_record,
    }


_TEAM_FIELDS = [
    "source",
    "name",
    "display_name",
    "care_system",
    "station_number",
    "signature_required",
    "per_facility",
    "position",
    "legacy_vista_triage_group_id",
    "source_record",
]


def _bundle_message_key(username: str, index: int, message) -> str:
    digest = hashlib.sha256(
        f"{username}|{index}|{message.recipientId}|{message.category}|{message.subject}|{message.body}".encode()
    ).hexdigest()[:40]
    return f"bundle:{digest}"


@transaction.atomic
def bundle_load(*, bundle: ParsedBundle) -> BundleLoadResult:
    """Store a parsed bundle. Idempotent: loading the same bundle again changes no row
    count; sent messages are re-dated to `daysAgo` before this load."""
    User = get_user_model()
    systems: dict[str, CareSystem] = {}
    for entry in bundle.care_systems:
        systems[entry.stationNumber], _ = CareSystem.objects.update_or_create(
            station_number=entry.stationNumber,
            defaults={
                "name": entry.name,
                "ehr": entry.ehr,
                "facilities": entry.facilities,
                "in_registry": True,
            },
        )

    def system_for(team: AdaptedTeam) -> CareSystem:
        ref = team.recipient.care_system
        if ref.station_number not in systems:
            # A station the registry does not know: named from the payload (data.md).
            systems[ref.station_number], _ = CareSystem.objects.get_or_create(
                station_number=ref.station_number,
                defaults={"name": ref.name, "ehr": ref.ehr, "in_registry": False},
            )
        return systems[ref.station_number]

    rows: dict[int, CareTeam] = {}
    for position, team in enumerate(bundle.pools):
        rows[team.recipient.id] = CareTeam(
            upstream_id=team.recipient.id, **_team_defaults(team, system_for(team), position)
        )
    for veteran in bundle.veterans:
        for position, team in enumerate(veteran.teams):
            rows[team.recipient.id] = CareTeam(
                upstream_id=team.recipient.id, **_team_defaults(team, system_for(team), position)
            )
    CareTeam.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["upstream_id"],
        update_fields=_TEAM_FIELDS,
        batch_size=500,
    )
    team_pk = dict(
        CareTeam.objects.filter(upstream_id__in=rows.keys()).values_list("upstream_id", "pk")
    )
    # Every system's cached pool options (selectors/team_options.py) are stale from now on
    # (a pool may also have moved between systems), and its pool count (read by every flow
    # page's summary instead of counting pools) is counted anew: one UPDATE, loads are rare.
    pools = (
        CareTeam.objects.filter(care_system=OuterRef("pk"), per_facility=True)
        .order_by()
        .values("care_system")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # A random version, not a counter: a database reset or restored from a backup must never
    # bring back a version whose options a server process still holds.
    CareSystem.objects.update(
        pools_version=secrets.randbelow(2**31 - 1) + 1, pool_count=Coalesce(Subquery(pools), 0)
    )

    now = timezone.now()
    sent = 0
    for veteran in bundle.veterans:
        data = veteran.data
        user = _account(
            User,
            username=data.username,
            password=data.password,
            full_name=data.fullName,
            staff=False,
        )
        VeteranProfile.objects.update_or_create(user=user, defaults={"full_name": data.fullName})

        links = [
            VeteranTeam(
                veteran=user,
                care_team_id=team_pk[team.recipient.id],
                blocked=team.recipient.blocked,
                on_contact_list=team.recipient.on_contact_list,
                position=position,
            )
            for position, team in enumerate(veteran.teams)
        ]
        VeteranTeam.objects.filter(veteran=user).exclude(
            care_team_id__in=[link.care_team_id for link in links]
        ).delete()
        VeteranTeam.objects.bulk_create(
            links,
            update_conflicts=True,
            unique_fields=["veteran", "care_team"],
            update_fields=["blocked", "on_contact_list", "position"],
        )

        stations = [station for station, _ in veteran.oh_systems]
        OhRegistration.objects.filter(veteran=user).exclude(station_number__in=stations).delete()
        for position, (station, system_station) in enumerate(veteran.oh_systems):
            OhRegistration.objects.update_or_create(
                veteran=user,
                station_number=station,
                defaults={"care_system": systems[system_station], "position": position},
            )

        pk_by_id = {**team_pk}
        for index, message in enumerate(data.sentMessages):
            if message.recipientId not in pk_by_id:
                pk_by_id[message.recipientId] = CareTeam.objects.get(
                    upstream_id=message.recipientId
                ).pk
            sent_at = now - timedelta(days=message.daysAgo)
            Message.objects.update_or_create(
                veteran=user,
                idempotency_key=_bundle_message_key(data.username, index, message),
                defaults={
                    "care_team_id": pk_by_id[message.recipientId],
                    "category": message.category,
                    "subject": message.subject,
                    "body": message.body,
                    "state": Message.State.SENT,
                    "sent_at": sent_at,
                },
            )
            sent += 1

    for staff in bundle.staff:
        _account(
            User,
            username=staff.username,
            password=staff.password,
            full_name=staff.fullName,
            staff=True,
        )

    return BundleLoadResult(
        care_systems=len(systems),
        care_teams=len(rows),
        veterans=len(bundle.veterans),
        staff=len(bundle.staff),
        sent_messages=sent,
    )


def _account(User, *, username: str, password: str, full_name: str, staff: bool):
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": full_name[:150]}
    )
    changed = created
    # A new account has no password to check (checking would cost a second hash).
    if created or not user.check_password(password):
        user.set_password(password)
        changed = True
    if user.first_name != full_name[:150] or user.is_staff != staff:
        user.first_name, user.is_staff = full_name[:150], staff
        changed = True
    if changed:
        user.save()
    return user
