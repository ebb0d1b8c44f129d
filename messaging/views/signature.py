"""Messages settings: the messaging signature (flow.md 10)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from messaging.compose.flow import Page
from messaging.compose.forms import SignatureForm
from messaging.selectors.preferences import signature_for
from messaging.services.preferences import signature_save

from .flowrequest import url_of

# Where "Save" and "Go back" return: the message being written, when the veteran came from it
# (named pages only, never a URL from the request).
RETURN_TO = {"start-message": Page.START, "legacy": Page.LEGACY}


@require_http_methods(["GET", "POST"])
def signature_settings(request):
    back_to = RETURN_TO.get(request.GET.get("next", ""))
    go_back = url_of(back_to or Page.INBOX)
    saved = signature_for(veteran=request.user)
    initial = {
        "name": saved.name if saved else "",
        "title": saved.title if saved else "",
        "include": "yes" if saved and saved.include else "no",
    }
    form = SignatureForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        signature_save(
            veteran=request.user,
            name=form.cleaned_data["name"],
            title=form.cleaned_data["title"],
            include=form.cleaned_data["include"],
        )
        messages.success(request, "Your signature was saved.")
        return redirect(go_back if back_to else request.get_full_path())
    return render(
        request,
        "messaging/signature.html",
        {"form": form, "go_back": go_back},
        status=422 if form.errors else 200,
    )
