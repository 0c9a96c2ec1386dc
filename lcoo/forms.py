"""Form rules every app shares. This module imports no app of the portal."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def refuse_control_characters(value: str) -> None:
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            "Write this on one line of plain text: line breaks, tabs and other control "
            "characters are not allowed here.",
            code="control_characters",
        )


class SingleLineFields:
    """Every one-line text input of the form refuses control characters. A line break in
    a name or topic would end up in a mail header or a calendar line; it is refused where
    it is typed, with a field error, rather than failing a mail later. Multi-line inputs
    (text areas) and passwords are left alone."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(
                field.widget, forms.Textarea | forms.PasswordInput
            ):
                field.validators.append(refuse_control_characters)


class SingleLineModelForm(SingleLineFields, forms.ModelForm):
    """The admin's default form: the admin goes through the same rule as the pages."""
