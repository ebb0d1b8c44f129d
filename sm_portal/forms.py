from django.contrib.auth.forms import AuthenticationForm
from django.forms.utils import ErrorDict

from .uswds import UswdsFormMixin


class SignInForm(UswdsFormMixin, AuthenticationForm):
    """Django's sign-in form with the VA.gov wording."""

    error_messages = {
        "invalid_login": "We couldn’t sign you in. Check your username and password and try again.",
        "inactive": "This account is inactive.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username"
        self.fields["password"].label = "Password"
        self.fields["username"].widget.attrs["autocapitalize"] = "none"

    def refuse(self, message: str) -> None:
        """Show the form refused with `message`, without checking a password (a lockout)."""
        self.cleaned_data = {}
        self._errors = ErrorDict()
        self.add_error(None, message)
