"""Loading a data bundle: care systems, care teams (already normalised by the adapters),
veterans, staff and their sent messages, in one transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from messaging.common import clock
from messaging.models import (
    CareSystem,
    CareTeam,
    Message,
    MessageSignature,
    OhRegistration,
    Prescription,
    TestVeteran,
    VeteranProfile,
    VeteranTeam,
)
from messaging.recipients.bundle import BundleError, ParsedBundle, password_problems
from messaging.recipients.common import AdaptedTeam

# The tables a bundle load fills: their planner statistics are refreshed after a load.
LOADED_MODELS = (
    CareSystem,
    CareTeam,
    Message,
    MessageSignature,
    OhRegistration,
    Prescription,
    TestVeteran,
    VeteranProfile,
    VeteranTeam,
)


def statistics_refresh() -> None:
    """After a load (outside its transaction), on PostgreSQL: ANALYZE the tables it filled,
    so the planner knows their new sizes at once instead of when autovacuum gets to them (the
    flow pages' team queries were planned for empty tables right after a big load)."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in LOADED_MODELS)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")  # nosec B608: quoted table names of our models


@dataclass(frozen=True)
class BundleLoadResult:
    care_systems: int
    care_teams: int
    veterans: int
    staff: int
    sent_messages: int


def _team_row(team: AdaptedTeam, system: CareSystem, position: int) -> CareTeam:
    """The stored care team of an adapted team (a reload updates every field but the id)."""
    r = team.recipient
    return CareTeam(
        upstream_id=r.id,
        source=r.source,
        name=r.name,
        display_name=r.display_name,
        care_system=system,
        station_number=team.station_number,
        signature_required=r.signature_required,
        per_facility=team.per_facility,
        position=position,
        legacy_vista_triage_group_id=team.legacy_vista_triage_group_id,
        source_record=team.source_record,
    )


# Every stored field of a care team but its keys is refreshed on a reload.
_TEAM_FIELDS = [
    f.name for f in CareTeam._meta.concrete_fields if f.name not in ("id", "upstream_id")
]


def _bundle_message_key(username: str, index: int, message) -> str:
    digest = hashlib.sha256(
        f"{username}|{index}|{message.recipientId}|{message.category}|{message.subject}|{message.body}".encode()
    ).hexdigest()[:40]
    return f"bundle:{digest}"


STAFF_REFUSED = (
    "staff: {count} staff accounts refused under the production profile "
    "(give --allow-staff to create them; their passwords must then pass the validators)"
)


QA_GROUP = "qa"


def qa_group_ensure() -> Group:
    """The `qa` group (QA staff: the QA tools), allowed to read the audit log."""
    group, _ = Group.objects.get_or_create(name=QA_GROUP)
    permission = Permission.objects.filter(
        content_type__app_label="messaging", codename="view_auditevent"
    ).first()
    if permission is not None:
        group.permissions.add(permission)
    return group


@transaction.atomic
def bundle_load(
    *, bundle: ParsedBundle, allow_staff: bool = False, keep_passwords: bool = False
) -> BundleLoadResult:
    """Store a parsed bundle. Idempotent: loading the same bundle again changes no row
    count; sent messages are re-dated to `daysAgo` before this load. `keep_passwords`:
    accounts that exist keep their password (the QA tools' reset).

    Passwords (data.md, "Added in 2026"): under the production profile no password comes
    from a file: veterans get unusable passwords (they sign in through the identity
    provider) and `staff` entries are refused unless `allow_staff`. Every password that is
    set passes Django's validators, or nothing is stored (BundleError)."""
    production = settings.PRODUCTION
    if production and bundle.staff and not allow_staff:
        raise BundleError([STAFF_REFUSED.format(count=len(bundle.staff))])
    if problems := password_problems(bundle, veterans=not production, staff=True):
        raise BundleError(problems)
    User = get_user_model()
    loaded_on = clock.today()  # `inDays` migrations count from the load day
    systems: dict[str, CareSystem] = {}
    for entry in bundle.care_systems:
        systems[entry.stationNumber], _ = CareSystem.objects.update_or_create(
            station_number=entry.stationNumber,
            defaults={
                "name": entry.name,
                "ehr": entry.ehr,
                "facilities": entry.facilities,
                "in_registry": True,
                "migration_date": entry.migration.cutover(loaded_on=loaded_on)
                if entry.migration
                else None,
            },
        )

    def system_for(team: AdaptedTeam) -> CareSystem:
        return system_named(team.recipient.care_system)

    def system_named(ref) -> CareSystem:
        if ref.station_number not in systems:
            # A station the registry does not know: named from the payload (data.md).
            systems[ref.station_number], _ = CareSystem.objects.get_or_create(
                station_number=ref.station_number,
                defaults={"name": ref.name, "ehr": ref.ehr, "in_registry": False},
            )
        return systems[ref.station_number]

    rows: dict[int, CareTeam] = {}
    for position, team in enumerate(bundle.pools):
        rows[team.recipient.id] = _team_row(team, system_for(team), position)
    for veteran in bundle.veterans:
        for position, team in enumerate(veteran.teams):
            rows[team.recipient.id] = _team_row(team, system_for(team), position)
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

    now = clock.now()  # the deployment's date (SM_TODAY) that every date rule reads
    sent = 0
    for veteran in bundle.veterans:
        data = veteran.data
        user = _account(
            User,
            username=data.username,
            password=None if production else data.password,
            full_name=data.fullName,
            staff=False,
            keep_password=keep_passwords,
        )
        VeteranProfile.objects.update_or_create(user=user, defaults={"full_name": data.fullName})
        _test_account_store(user, data)

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
                defaults={
                    "care_system": system_named(bundle.registry.systems[system_station]),
                    "position": position,
                },
            )

        _store_prescriptions(user=user, veteran=data)
        if data.signature is not None:
            # Absent from the bundle: the veteran's own signature (settings page) stays.
            MessageSignature.objects.update_or_create(
                veteran=user,
                defaults={
                    "name": data.signature.name.strip(),
                    "title": data.signature.title.strip(),
                    "include": data.signature.include,
                },
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
        account = _account(
            User,
            username=staff.username,
            password=staff.password,
            full_name=staff.fullName,
            staff=True,
            keep_password=keep_passwords,
        )
        account.groups.set(
            [
                qa_group_ensure() if name == QA_GROUP else Group.objects.get_or_create(name=name)[0]
                for name in staff.groups
            ]
        )

    return BundleLoadResult(
        care_systems=len(systems),
        care_teams=len(rows),
        veterans=len(bundle.veterans),
        staff=len(bundle.staff),
        sent_messages=sent,
    )


def _store_prescriptions(*, user, veteran) -> None:
    """The veteran's prescriptions, exactly as the bundle lists them."""
    wanted = [p.prescriptionId for p in veteran.prescriptions]
    Prescription.objects.filter(veteran=user).exclude(prescription_id__in=wanted).delete()
    team_ids = {p.careTeamId for p in veteran.prescriptions if p.careTeamId is not None}
    team_pk = dict(
        CareTeam.objects.filter(upstream_id__in=team_ids).values_list("upstream_id", "pk")
    )
    for position, p in enumerate(veteran.prescriptions):
        Prescription.objects.update_or_create(
            veteran=user,
            prescription_id=p.prescriptionId,
            defaults={
                "name": p.prescriptionName,
                "instructions": p.sig or "",
                "provider_first_name": p.providerFirstName or "",
                "provider_last_name": p.providerLastName or "",
                "expiration_date": p.expirationDate,
                "dispensed_date": p.dispensedDate,
                "quantity": p.quantity,
                "station_number": p.stationNumber or "",
                "care_team_id": team_pk.get(p.careTeamId),
                "renewable": p.renewable,
                "position": position,
            },
        )


def _test_account_store(user, data) -> None:
    """`testAccount: true` makes the veteran a test veteran the QA tools may act on (reset
    goes back to this entry); false makes a bundle's test veteran a real one again. Test
    veterans the QA tools created are theirs, whatever a bundle says."""
    existing = TestVeteran.objects.filter(user=user).first()
    if existing is not None and existing.scenario != TestVeteran.FROM_BUNDLE:
        return
    if data.testAccount:
        entry = {"veteran": data.model_dump(mode="json", exclude={"username", "password"})}
        TestVeteran.objects.update_or_create(
            user=user, defaults={"scenario": TestVeteran.FROM_BUNDLE, "entry": entry}
        )
        TestVeteran.forget(user.pk)
    elif existing is not None:
        existing.delete()
        TestVeteran.forget(user.pk)


def _account(
    User,
    *,
    username: str,
    password: str | None,
    full_name: str,
    staff: bool,
    keep_password: bool = False,
):
    """Create or update an account; `password=None` leaves it with an unusable password."""
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": full_name[:150]}
    )
    changed = created
    if password is None:
        if created or user.has_usable_password():
            user.set_unusable_password()
            changed = True
    # A new account has no password to check (checking would cost a second hash).
    elif created or (not keep_password and not user.check_password(password)):
        user.set_password(password)
        changed = True
    if user.first_name != full_name[:150] or user.is_staff != staff:
        user.first_name, user.is_staff = full_name[:150], staff
        changed = True
    if changed:
        user.save()
    return user
