"""Inbox, Sent and Drafts: where the flow lands and QA checks what was sent."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from messaging.selectors import FOLDERS, folder_page


@require_GET
def folder_redirect(request):
    return redirect("messaging:inbox")


@require_GET
def folder(request, folder: str):
    _, title, _ = FOLDERS[folder]
    page = folder_page(veteran=request.user, folder=folder, page=request.GET.get("page"))
    return render(
        request,
        "messaging/folder.html",
        {"folder": folder, "folder_title": title, "page": page, "folders": FOLDERS},
    )
