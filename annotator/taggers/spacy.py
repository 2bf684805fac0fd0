"""An installed spaCy pipeline (package name or path), its entity labels mapped to the
project's; over nlp/spacy_tagger.py (spaCy is an optional extra)."""

from __future__ import annotations

from django.core.validators import MinLengthValidator
from rest_framework import serializers

from annotator.models import Project, TaggerModel
from annotator.nlp.spacy_tagger import SpacyTagger, parse_mapping
from annotator.params import Form, NotInProject
from annotator.taggers.base import TaggerFailed, TaggerKind

AT_LEAST_ONE = "Map at least one of its labels."


class MappingField(serializers.DictField):
    """Their label -> ours: an object (API), or "ORG=Library, PRODUCT=Application" (a page)."""

    def __init__(self, **kwargs):
        at_least_one = MinLengthValidator(1, message=AT_LEAST_ONE)  # the schema's minProperties
        super().__init__(
            child=serializers.CharField(max_length=200), validators=[at_least_one], **kwargs
        )

    def get_value(self, dictionary):
        # A page's form sends one text field; DictField would look for mapping[ORG] fields.
        if hasattr(dictionary, "getlist"):
            return dictionary.get(self.field_name, serializers.empty)
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = parse_mapping(data)
        mapping = super().to_internal_value(data)
        if not mapping:
            raise serializers.ValidationError(AT_LEAST_ONE)
        return mapping


class Settings(Form):
    """A spaCy model's pipeline and label mapping."""

    pipeline = serializers.CharField(
        max_length=300,
        label="pipeline",
        help_text="spacy: an installed package name or a path.",
        style={"placeholder": "en_core_web_sm or a path", "size": 20},
    )
    mapping = MappingField(
        label="mapping",
        help_text="spacy: its entity labels -> the project's.",
        style={"placeholder": "ORG=Library, PRODUCT=Application", "size": 30},
    )

    def fit(self, project: Project, params: dict) -> dict:
        # Not in the schema (it cannot say what an object's keys hold): a 422, not a 400.
        if any("\x00" in label for label in params["mapping"]):
            raise NotInProject({"mapping": ["A label may not contain NUL."]})
        unknown = set(params["mapping"].values()) - set(project.labels)
        if unknown:
            message = f"not labels of the project: {', '.join(sorted(unknown))}"
            raise NotInProject({"mapping": [message]})
        return params


def load(model: TaggerModel) -> SpacyTagger:
    pipeline = model.settings.get("pipeline", "")
    try:
        return SpacyTagger(pipeline, model.settings.get("mapping", {}))
    except (ImportError, OSError) as error:
        raise TaggerFailed(f"spaCy pipeline {pipeline!r} cannot be loaded: {error}") from error


def describe(model: TaggerModel) -> str:
    mapping = ", ".join(f"{k}→{v}" for k, v in model.settings.get("mapping", {}).items())
    return f"spaCy: {model.settings.get('pipeline', '')} ({mapping})"


def relabel(settings: dict, label: str, into: str) -> dict:
    mapping = {k: into if v == label else v for k, v in settings.get("mapping", {}).items()}
    return {**settings, "mapping": mapping}


KIND = TaggerKind(
    name="spacy",
    title="spaCy pipeline",
    load=load,
    describe=describe,
    settings=Settings,
    relabel=relabel,
)
