from django.contrib.auth.decorators import login_not_required
from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from . import docs, preferences, token, views


class SignedIntConverter:
    regex = r"-?\d{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(SignedIntConverter, "sint")

app_name = "api"

urlpatterns = [
    path("allrecipients", views.AllRecipientsView.as_view(), name="allrecipients"),
    path(
        "allrecipients/search", views.AllRecipientsSearchView.as_view(), name="allrecipients-search"
    ),
    path("recipients/crosswalk", views.CrosswalkView.as_view(), name="crosswalk"),
    path("messages/categories", views.CategoriesView.as_view(), name="categories"),
    path("message_drafts", views.DraftsView.as_view(), name="drafts"),
    path("message_drafts/<sint:draft_id>", views.DraftDetailView.as_view(), name="draft"),
    path("messages", views.MessagesView.as_view(), name="messages"),
    path("messages/<sint:message_id>", views.MessageDetailView.as_view(), name="message"),
    path("folders", views.FoldersView.as_view(), name="folders"),
    # Ids are signed integers (folders are 0 Inbox, -1 Sent, -2 Drafts); anything else is a
    # JSON 404 (sm_portal.views.not_found).
    path(
        "folders/<sint:folder_id>/messages",
        views.FolderMessagesView.as_view(),
        name="folder-messages",
    ),
    path("folders/<sint:folder_id>/search", views.FolderSearchView.as_view(), name="folder-search"),
    path(
        "preferences/recipients",
        preferences.PreferencesRecipientsView.as_view(),
        name="preferences-recipients",
    ),
    path(
        "preferences/signature",
        preferences.PreferencesSignatureView.as_view(),
        name="preferences-signature",
    ),
    path(
        "schema/",
        login_not_required(SpectacularAPIView.as_view(permission_classes=[IsAuthenticated])),
        name="schema",
    ),
    path("docs/", docs.api_docs, name="docs"),
    # Token for non-browser clients: POST username and password (public, like sign-in).
    path("token", token.TokenView.as_view(), name="token"),
]
