"""Shapes of the API (vets-api's my_health/v1/messaging). Output is built from the common
recipient and messages; input is checked by the same forms the pages use."""

from django.utils import timezone
from rest_framework import serializers

from messaging.common.choices import Category
from messaging.models import SUBJECT_MAX_LENGTH, Message
from messaging.recipients import Recipient, RecipientSet


def recipient_attributes(r: Recipient) -> dict:
    return {
        "triage_team_id": r.id,
        "name": r.name,
        "station_number": r.care_system.station_number,
        "blocked_status": r.blocked,
        "preferred_team": r.on_contact_list,
        "relation_type": "PATIENT",
        "suggested_name_display": r.display_name,
        "health_care_system_name": r.care_system.name,
        "oh_triage_group": r.source == "oracle_health",
        "signature_required": r.signature_required,
    }


def recipients_document(recipients: RecipientSet) -> dict:
    return {
        "data": [
            {"id": str(r.id), "type": "all_triage_teams", "attributes": recipient_attributes(r)}
            for r in recipients.recipients
        ],
        "meta": {
            "associated_triage_groups": len(recipients.recipients),
            "associated_blocked_triage_groups": len(recipients.blocked_teams),
            "care_systems": [
                {
                    "station_number": s.station_number,
                    "health_care_system_name": s.name,
                    "ehr": s.ehr,
                }
                for s in recipients.care_systems
            ],
        },
    }


def _iso(moment):
    return timezone.localtime(moment).isoformat() if moment else None


def message_resource(message: Message) -> dict:
    team = message.care_team
    draft = message.state == Message.State.DRAFT
    attachments = list(message.attachments.all()) if message.pk and not draft else []
    return {
        "id": str(message.pk),
        "type": "message_drafts" if draft else "messages",
        "attributes": {
            "message_id": message.pk,
            "category": message.category,
            "subject": message.subject,
            "body": message.body,
            "attachment": bool(attachments),
            "attachments": [
                {"id": a.pk, "name": a.name, "attachment_size": a.size} for a in attachments
            ],
            "sent_date": _iso(message.sent_at),
            "draft_date": _iso(message.updated_at) if draft else None,
            "sender_id": message.veteran_id,
            "recipient_id": team.upstream_id,
            "recipient_name": team.display_name,
            "triage_group_name": team.display_name,
            "station_number": team.care_system.station_number,
            "read_receipt": None,
            "platform": message.platform,
        },
    }


# --- Request shapes (for the schema and for type checks; content rules are the forms') ---


class DraftRequest(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.values)
    subject = serializers.CharField(max_length=SUBJECT_MAX_LENGTH)
    body = serializers.CharField(trim_whitespace=False)
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


# --- Response shapes (schema only) --------------------------------------------------------


class RecipientAttributes(serializers.Serializer):
    triage_team_id = serializers.IntegerField()
    name = serializers.CharField()
    station_number = serializers.CharField()
    blocked_status = serializers.BooleanField()
    preferred_team = serializers.BooleanField()
    relation_type = serializers.CharField()
    suggested_name_display = serializers.CharField()
    health_care_system_name = serializers.CharField()
    oh_triage_group = serializers.BooleanField()
    signature_required = serializers.BooleanField()


class RecipientResource(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    attributes = RecipientAttributes()


class CareSystemMeta(serializers.Serializer):
    station_number = serializers.CharField()
    health_care_system_name = serializers.CharField()
    ehr = serializers.CharField()


class RecipientsMeta(serializers.Serializer):
    associated_triage_groups = serializers.IntegerField()
    associated_blocked_triage_groups = serializers.IntegerField()
    care_systems = CareSystemMeta(many=True)


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
    id = serializers.IntegerField()
    name = serializers.CharField()
    attachment_size = serializers.IntegerField()


class MessageAttributes(serializers.Serializer):
    message_id = serializers.IntegerField()
    category = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    attachment = serializers.BooleanField()
    attachments = AttachmentInfo(many=True)
    sent_date = serializers.DateTimeField(allow_null=True)
    draft_date = serializers.DateTimeField(allow_null=True)
    sender_id = serializers.IntegerField()
    recipient_id = serializers.IntegerField()
    recipient_name = serializers.CharField()
    triage_group_name = serializers.CharField()
    station_number = serializers.CharField()
    read_receipt = serializers.CharField(allow_null=True)
    platform = serializers.CharField()


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
