from django.urls import path

from .views import compose, folders

app_name = "messaging"

urlpatterns = [
    path("", folders.folder_redirect, name="home"),
    path("inbox/", folders.folder, {"folder": "inbox"}, name="inbox"),
    path("sent/", folders.folder, {"folder": "sent"}, name="sent"),
    path("drafts/", folders.folder, {"folder": "drafts"}, name="drafts"),
    path("new-message/", compose.interstitial, name="interstitial"),
]
