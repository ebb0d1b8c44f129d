"""Django forms rendered with USWDS markup.

`templates/django/forms/field.html` draws label, hint and error message; this mixin
puts the USWDS classes on the widgets. Django ties hint and error to the input with
`aria-describedby` (`{id}_helptext`, `{id}_error`) and sets `aria-invalid`.
"""

from django import forms

_WIDGET_CLASSES = (
    (forms.RadioSelect, "usa-radio__input"),
    (forms.CheckboxSelectMultiple, "usa-checkbox__input"),
    (forms.CheckboxInput, "usa-checkbox__input"),
    (forms.Select, "usa-select"),
    (forms.Textarea, "usa-textarea"),
    (forms.FileInput, "usa-file-input"),
    (forms.widgets.Input, "usa-input"),
)
_ERROR_CLASSES = {
    "usa-input": "usa-input--error",
    "usa-select": "usa-input--error",
    "usa-textarea": "usa-input--error",
}


class UswdsFormMixin:
    # Field name -> id of another element that describes the input (e.g. a character counter).
    extra_describedby: dict[str, str] = {}
    # "(*Required)" after a required field's label; off for a form that is itself optional
    # (the one-question survey), where it would read as an obligation.
    required_marker = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._describe()
        for field in self.fields.values():
            if field.widget.is_hidden:
                continue
            for widget_type, css in _WIDGET_CLASSES:
                if isinstance(field.widget, widget_type):
                    existing = field.widget.attrs.get("class", "")
                    field.widget.attrs["class"] = f"{existing} {css}".strip()
                    break

    def _describe(self):
        errors = self._errors or {}
        for name, extra in self.extra_describedby.items():
            field = self.fields.get(name)
            if field is None:
                continue
            ids = [f"id_{name}_error"] if name in errors else []
            if field.help_text:
                ids.append(f"id_{name}_helptext")
            field.widget.attrs["aria-describedby"] = " ".join([*ids, extra])

    def full_clean(self):
        super().full_clean()
        self._describe()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "").split()
                extra = [_ERROR_CLASSES[c] for c in classes if c in _ERROR_CLASSES]
                widget.attrs["class"] = " ".join(dict.fromkeys(classes + extra))
