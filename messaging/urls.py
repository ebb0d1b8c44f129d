from django.urls import path

from .views import compose, contact_list, feedback, folders, signature

app_name = "messaging"

urlpatterns = [
    path("", folders.folder_redirect, name="home"),
    path("inbox/", folders.folder, {"folder": "inbox"}, name="inbox"),
    path("sent/", folders.folder, {"folder": "sent"}, name="sent"),
    path("drafts/", folders.folder, {"folder": "drafts"}, name="drafts"),
    path("drafts/<int:draft_id>/", compose.draft_open, name="draft-open"),
    path("messages/<int:message_id>/", folders.message_detail, name="message"),
    path("attachments/<int:attachment_id>/", folders.attachment_download, name="attachment"),
    path("new-message/", compose.interstitial, name="interstitial"),
    path("new-message/continue/", compose.interstitial_continue, name="interstitial-continue"),
    path("new-message/recent/", compose.recent, name="recent"),
    path("new-message/select-care-team/", compose.select_care_team, name="select-care-team"),
    path(
        "new-message/select-care-team/teams/",
        compose.select_care_team_teams,
        name="select-care-team-teams",
    ),
    path(
        "new-message/select-care-team/search/",
        compose.select_care_team_search,
        name="select-care-team-search",
    ),
    path("new-message/start-message/", compose.start_message, name="start-message"),
    path("new-message/care-team-help/", compose.care_team_help, name="care-team-help"),
    path("new-message/delete-draft/", compose.delete_draft, name="delete-draft"),
    path(
        "new-message/name-changes/dismiss/",
        compose.name_changes_dismiss,
        name="name-changes-dismiss",
    ),
    path("contact-list/", contact_list.contact_list_page, name="contact-list"),
    path("settings/signature/", signature.signature_settings, name="signature-settings"),
    path("metrics/beacon/", feedback.beacon, name="beacon"),
    path("feedback/", feedback.csat, name="csat"),
]
