from __future__ import annotations

import codecs

from django import forms

SCHEMES = [("auto", "Detect automatically")] + [
    ("iob1", "IOB1"),
    ("iob2", "IOB2 / BIO"),
    ("bioes", "BIOES / IOBES"),
    ("bilou", "BILOU"),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(label="CoNLL files")
    scheme = forms.ChoiceField(choices=SCHEMES, initial="auto", label="Tag scheme")
    encoding = forms.CharField(required=False, max_length=40, help_text="Default UTF-8.")
    tag_column = forms.IntegerField(
        required=False, label="Tag column", help_text="1-based; default: the last column."
    )

    def clean_encoding(self) -> str | None:
        encoding = self.cleaned_data["encoding"].strip() or None
        if encoding:
            try:
                info = codecs.lookup(encoding)
            except LookupError as error:
                raise forms.ValidationError(f"Unknown encoding {encoding!r}.") from error
            if not getattr(info, "_is_text_encoding", True):
                raise forms.ValidationError(f"{encoding!r} is not a text encoding.")
        return encoding


class ExportForm(forms.Form):
    layer = forms.CharField(required=False, max_length=200)
    scheme = forms.ChoiceField(
        choices=[("keep", "As imported")] + SCHEMES[1:], initial="keep", required=False
    )
