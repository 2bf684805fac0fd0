from __future__ import annotations

import codecs

from django import forms
from django.contrib.auth import get_user_model

from annotator.models import Document, Membership, Project, TagLayer
from annotator.nlp.formats import registry
from annotator.services.labels import pin_colours

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
    files = MultipleFileField(label="Files")
    format = forms.ChoiceField(
        choices=registry.choices,
        initial=registry.AUTO,
        required=False,
        label="Format",
        help_text="Detected from each file's name and content unless chosen.",
    )
    scheme = forms.ChoiceField(choices=SCHEMES, initial="auto", label="Tag scheme")
    encoding = forms.CharField(
        required=False, max_length=40, help_text="CoNLL only. Default UTF-8."
    )
    tag_column = forms.IntegerField(
        required=False, label="Tag column", help_text="CoNLL only. 1-based; default: the last."
    )
    labels = forms.CharField(
        required=False,
        max_length=2000,
        label="Label list",
        help_text="Hugging Face files whose ner_tags are ids: the tag names in id order, "
        "comma-separated (O,B-PER,I-PER,...).",
    )

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or registry.AUTO

    def clean_labels(self) -> list[str] | None:
        names = [n.strip() for n in self.cleaned_data["labels"].split(",") if n.strip()]
        return names or None

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
    format = forms.ChoiceField(
        choices=[(f.name, f.title) for f in registry.FORMATS.values()], required=False
    )
    scheme = forms.ChoiceField(
        choices=[("keep", "As imported")] + SCHEMES[1:], initial="keep", required=False
    )


class ProjectSettingsForm(forms.ModelForm):
    labels_text = forms.CharField(
        label="Labels",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One per line, in palette order. Labels in use cannot be removed here.",
    )

    class Meta:
        model = Project
        fields = [
            "blind",
            "annotators_per_document",
            "max_open_tasks",
            "abandon_after_hours",
            "task_size",
            "adjudication_rule",
            "agreement_open",
            "retrain_every",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Optional in a post: forms that predate the setting keep the project's value.
        self.fields["retrain_every"].required = False
        self.fields["retrain_every"].min_value = 1
        self.fields["retrain_every"].help_text = (
            "Retrain the suggestion model after this many newly reviewed sentences (sooner at "
            "the start: after 10, 20, 40, ... reviewed, until the gap reaches this number)."
        )
        self.fields["labels_text"].initial = "\n".join(self.instance.labels)
        self.fields["annotators_per_document"].min_value = 1

    def clean_retrain_every(self) -> int:
        value = self.cleaned_data.get("retrain_every")
        return self.instance.retrain_every if value is None else value

    def clean_labels_text(self) -> list[str]:
        if self.is_bound and "labels_text" not in self.data:
            return list(self.instance.labels)  # the Settings page edits labels on their own
        labels = []
        for line in self.cleaned_data["labels_text"].splitlines():
            label = line.strip()
            if not label:
                continue
            if any(c.isspace() for c in label) or label == "O" or "-" in label[:2]:
                raise forms.ValidationError(f"{label!r} cannot be a label.")
            if label not in labels:
                labels.append(label)
        missing = set(self.instance.labels) - set(labels)
        if missing:
            raise forms.ValidationError(
                f"Removing labels ({', '.join(sorted(missing))}) is done on the Settings "
                "page's Labels section, after a preview of the spans it removes."
            )
        return labels

    def save(self, commit: bool = True) -> Project:
        pin_colours(self.instance)  # each label keeps its colour when the order changes
        self.instance.labels = self.cleaned_data["labels_text"]
        pin_colours(self.instance)
        return super().save(commit)


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="Needed for a new account; leave empty to add an existing user.",
    )
    roles = forms.MultipleChoiceField(
        choices=Membership.Role.choices, widget=forms.CheckboxSelectMultiple
    )


class AssignForm(forms.Form):
    MODES = [("auto", "Automatically: k annotators per document, balanced"), ("hand", "By hand")]
    mode = forms.ChoiceField(choices=MODES, initial="auto", widget=forms.RadioSelect)
    documents = forms.ModelMultipleChoiceField(queryset=Document.objects.none())
    annotators = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        help_text="By hand: each of them gets every document. Automatically: leave empty to "
        "share among all the project's annotators.",
    )
    start_layer = forms.ChoiceField(
        choices=[("imported", "the imported tags"), ("empty", "empty (no entities)")]
    )
    due = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, project: Project, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = project.documents.order_by("position")
        self.fields["annotators"].queryset = (
            get_user_model()
            .objects.filter(membership__project=project, membership__role="annotator")
            .distinct()
            .order_by("username")
        )
        models = (
            TagLayer.objects.filter(document__project=project, kind=TagLayer.Kind.MODEL)
            .values_list("name", flat=True)
            .distinct()
        )
        self.fields["start_layer"].choices += [(m, f"model: {m}") for m in models]

    def clean(self):
        data = super().clean()
        if data.get("mode") == "hand" and not data.get("annotators"):
            raise forms.ValidationError("Pick the annotators to assign by hand.")
        return data
