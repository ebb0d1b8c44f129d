"""Shapes of the API (vets-api's my_health/v1/messaging). One source for the output: the
response serializers below build the responses and the OpenAPI schema alike; input is
type-checked here and checked for content by the same forms the pages use."""

from functools import lru_cache
from operator import attrgetter

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from messaging.common.choices import Category, Ehr
from messaging.models import (
    BODY_MAX_LENGTH,
    SIGNATURE_FIELD_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Message,
)
from messaging.recipients import Recipient, RecipientSet


@lru_cache(maxsize=1)
def _recipient_row():
    """RecipientAttributes as one plain function: a list has up to 2,000 teams, and DRF's
    per-field machinery costs about 25x building the dict directly. Each value is already
    its JSON type (int, str, bool), so reading it is all a field does; the tests check that
    the two give the same output."""
    serializer = RecipientAttributes()
    getters = [
        (
            name,
            getattr(serializer, field.method_name)
            if isinstance(field, serializers.SerializerMethodField)
            else attrgetter(".".join(field.source_attrs)),
        )
        for name, field in serializer.fields.items()
    ]
    return lambda recipient: {name: get(recipient) for name, get in getters}


def recipient_attributes(r: Recipient) -> dict:
    return _recipient_row()(r)


def recipients_document(recipients: RecipientSet) -> dict:
    return {
        "data": [
            {"id": str(r.id), "type": "all_triage_teams", "attributes": recipient_attributes(r)}
            for r in recipients.recipients
        ],
        "meta": {
            "associated_triage_groups": len(recipients.recipients),
            "associated_blocked_triage_groups": len(recipients.blocked_teams),
            "care_systems": CareSystemMeta(recipients.care_systems, many=True).data,
            "migrating_facilities": [
                {
                    "station_number": m.system.station_number,
                    "facility_name": m.system.name,
                    "migration_date": m.cutover.isoformat(),
                    "phase": m.phase,
                }
                for m in recipients.moving_systems
            ],
        },
    }


def crosswalk_document(recipients: RecipientSet) -> dict:
    return {
        "data": [
            {
                "vista_triage_group_id": p.vista_id,
                "vista_triage_group_name": p.vista_name,
                "oh_triage_group_id": p.oh_id,
                "oh_triage_group_name": p.oh_name,
                "station_number": p.station_number,
            }
            for p in recipients.crosswalk()
        ]
    }


def _iso(moment):
    return timezone.localtime(moment).isoformat() if moment else None


def message_resource(message: Message) -> dict:
    draft = message.state == Message.State.DRAFT
    return {
        "id": str(message.pk),
        "type": "message_drafts" if draft else "messages",
        "attributes": MessageAttributes(message).data,
    }


# --- Request shapes (for the schema and for type checks; content rules are the forms') ---


class DraftRequest(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.values)
    subject = serializers.CharField(max_length=SUBJECT_MAX_LENGTH)
    body = serializers.CharField(
        trim_whitespace=False,
        max_length=BODY_MAX_LENGTH,
        error_messages={"max_length": f"Message must be {BODY_MAX_LENGTH:,} characters or fewer."},
    )
    recipient_id = serializers.IntegerField(min_value=1, max_value=2**62)


class SendRequest(DraftRequest):
    draft_id = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class SearchRequest(serializers.Serializer):
    from_date = serializers.DateTimeField(required=False)
    to_date = serializers.DateTimeField(required=False)


class PreferredTeam(serializers.Serializer):
    triage_team_id = serializers.IntegerField(min_value=1, max_value=2**62)
    preferred_team = serializers.BooleanField()


class PreferencesRequest(serializers.Serializer):
    updated_triage_teams = PreferredTeam(many=True, allow_empty=False)


class SignatureRequest(serializers.Serializer):
    """The messaging signature (not the ROI electronic signature)."""

    signature_name = serializers.CharField(
        max_length=SIGNATURE_FIELD_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    signature_title = serializers.CharField(
        max_length=SIGNATURE_FIELD_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    include_signature = serializers.BooleanField()

    def validate(self, attrs):
        if attrs["include_signature"] and not attrs["signature_name"].strip():
            raise serializers.ValidationError(
                {"signature_name": ["is required when include_signature is true"]}
            )
        return attrs


def signature_document(signature) -> dict:
    """The veteran's signature, or an empty one that is not included."""
    return {
        "data": {
            "id": "",
            "type": "message_signature",
            "attributes": {
                "signature_name": signature.name if signature else "",
                "signature_title": signature.title if signature else "",
                "include_signature": bool(signature and signature.include),
            },
        }
    }


# --- Response shapes: the schema and the responses both come from these ----------------


class RecipientAttributes(serializers.Serializer):
    """A common recipient in vets-api's all_triage_teams shape."""

    triage_team_id = serializers.IntegerField(source="id")
    name = serializers.CharField()
    station_number = serializers.CharField(source="care_system.station_number")
    blocked_status = serializers.BooleanField(source="blocked")
    preferred_team = serializers.BooleanField(source="on_contact_list")
    relation_type = serializers.SerializerMethodField()
    suggested_name_display = serializers.CharField(source="display_name")
    health_care_system_name = serializers.CharField(source="care_system.name")
    oh_triage_group = serializers.SerializerMethodField()
    signature_required = serializers.BooleanField()
    migrating_to_oh = serializers.BooleanField(
        help_text="the team's care system is moving to Oracle Health (phases p1-p5)"
    )

    @extend_schema_field(OpenApiTypes.STR)
    def get_relation_type(self, _recipient: Recipient) -> str:
        return "PATIENT"

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_oh_triage_group(self, recipient: Recipient) -> bool:
        return recipient.source == Ehr.ORACLE_HEALTH


class RecipientResource(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    attributes = RecipientAttributes()


class CareSystemMeta(serializers.Serializer):
    station_number = serializers.CharField()
    health_care_system_name = serializers.CharField(source="name")
    ehr = serializers.CharField()


class MigratingFacility(serializers.Serializer):
    station_number = serializers.CharField()
    facility_name = serializers.CharField()
    migration_date = serializers.DateField()
    phase = serializers.ChoiceField(choices=[f"p{n}" for n in range(9)])


class RecipientsMeta(serializers.Serializer):
    associated_triage_groups = serializers.IntegerField()
    associated_blocked_triage_groups = serializers.IntegerField()
    care_systems = CareSystemMeta(many=True)
    migrating_facilities = MigratingFacility(
        many=True, help_text="the veteran's care systems moving to Oracle Health, in p0-p8"
    )


class CrosswalkPair(serializers.Serializer):
    vista_triage_group_id = serializers.IntegerField()
    vista_triage_group_name = serializers.CharField()
    oh_triage_group_id = serializers.IntegerField()
    oh_triage_group_name = serializers.CharField()
    station_number = serializers.CharField()


class CrosswalkResponse(serializers.Serializer):
    data = CrosswalkPair(many=True)


class RecipientsResponse(serializers.Serializer):
    data = RecipientResource(many=True)
    meta = RecipientsMeta()


class SearchAttributes(RecipientAttributes):
    matched_words = serializers.ListField(child=serializers.CharField())


class SearchResource(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    attributes = SearchAttributes()


class SearchMeta(serializers.Serializer):
    query = serializers.CharField(allow_blank=True)
    count = serializers.IntegerField()


class RecipientsSearchResponse(serializers.Serializer):
    data = SearchResource(many=True)
    meta = SearchMeta()


class AttachmentInfo(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    attachment_size = serializers.IntegerField(source="size")


class LocalDateTimeField(serializers.DateTimeField):
    """ISO 8601 in the site's time zone, as vets-api writes dates."""

    def to_representation(self, value):
        return timezone.localtime(value).isoformat() if value else None


class MessageAttributes(serializers.Serializer):
    """A message or draft in vets-api's shape (attachments of sent messages only)."""

    message_id = serializers.IntegerField(source="pk")
    category = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField(trim_whitespace=False)
    attachment = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    sent_date = LocalDateTimeField(source="sent_at", allow_null=True)
    draft_date = serializers.SerializerMethodField()
    sender_id = serializers.IntegerField(source="veteran_id")
    recipient_id = serializers.IntegerField(source="care_team.upstream_id")
    recipient_name = serializers.CharField(source="care_team.display_name")
    triage_group_name = serializers.CharField(source="care_team.display_name")
    station_number = serializers.CharField(source="care_team.care_system.station_number")
    read_receipt = serializers.SerializerMethodField()
    platform = serializers.CharField()

    def to_representation(self, message: Message) -> dict:
        draft = message.state == Message.State.DRAFT
        self._draft = draft
        self._attachments = list(message.attachments.all()) if message.pk and not draft else []
        return super().to_representation(message)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_attachment(self, _message: Message) -> bool:
        return bool(self._attachments)

    @extend_schema_field(AttachmentInfo(many=True))
    def get_attachments(self, _message: Message) -> list:
        return AttachmentInfo(self._attachments, many=True).data

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_draft_date(self, message: Message) -> str | None:
        return LocalDateTimeField().to_representation(message.updated_at) if self._draft else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_read_receipt(self, _message: Message) -> None:
        return None


class MessageResource(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    attributes = MessageAttributes()


class MessageResponse(serializers.Serializer):
    data = MessageResource()


class MessageListResponse(serializers.Serializer):
    data = MessageResource(many=True)


class CategoriesAttributes(serializers.Serializer):
    message_category_type = serializers.ListField(child=serializers.CharField())


class CategoriesResource(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    attributes = CategoriesAttributes()


class CategoriesResponse(serializers.Serializer):
    data = CategoriesResource()


class FolderAttributes(serializers.Serializer):
    folder_id = serializers.IntegerField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class FolderResource(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    attributes = FolderAttributes()


class FoldersResponse(serializers.Serializer):
    data = FolderResource(many=True)


class ErrorItem(serializers.Serializer):
    title = serializers.CharField()
    detail = serializers.CharField()
    code = serializers.CharField()
    status = serializers.CharField()


class ErrorResponse(serializers.Serializer):
    errors = ErrorItem(many=True)


class SignatureAttributes(serializers.Serializer):
    signature_name = serializers.CharField()
    signature_title = serializers.CharField()
    include_signature = serializers.BooleanField()


class SignatureResource(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    attributes = SignatureAttributes()


class SignatureResponse(serializers.Serializer):
    data = SignatureResource()
