from django.urls import path

from .views import compose, contact_list, drafts, feedback, folders, interstitial, recent
from .views import select_care_team as select

app_name = "messaging"

urlpatterns = [
    path("", folders.folder_redirect, name="home"),
    path("inbox/", folders.folder, {"folder": "inbox"}, name="inbox"),
    path("sent/", folders.folder, {"folder": "sent"}, name="sent"),
    path("drafts/", folders.folder, {"folder": "drafts"}, name="drafts"),
    path("drafts/<int:draft_id>/", drafts.draft_open, name="draft-open"),
    path("messages/<int:message_id>/", folders.message_detail, name="message"),
    path("attachments/<int:attachment_id>/", folders.attachment_download, name="attachment"),
    path("new-message/", interstitial.interstitial, name="interstitial"),
    path("new-message/continue/", interstitial.interstitial_continue, name="interstitial-continue"),
    path("new-message/recent/", recent.recent, name="recent"),
    path("new-message/select-care-team/", select.select_care_team, name="select-care-team"),
    path(
        "new-message/select-care-team/teams/",
        select.select_care_team_teams,
        name="select-care-team-teams",
    ),
    path(
        "new-message/select-care-team/search/",
        select.select_care_team_search,
        name="select-care-team-search",
    ),
    path("new-message/start-message/", compose.start_message, name="start-message"),
    path("new-message/care-team-help/", select.care_team_help, name="care-team-help"),
    path("new-message/delete-draft/", drafts.delete_draft, name="delete-draft"),
    path(
        "new-message/name-changes/dismiss/",
        select.name_changes_dismiss,
        name="name-changes-dismiss",
    ),
    path("contact-list/", contact_list.contact_list_page, name="contact-list"),
    path("metrics/beacon/", feedback.beacon, name="beacon"),
    path("feedback/", feedback.csat, name="csat"),
]
