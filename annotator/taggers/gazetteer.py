"""The gazetteer: the project's confirmed spans, matched longest first (nlp/gazetteer.py).
Built afresh by the gazetteer job (annotator/jobs/gazetteer.py) from its settings."""

from __future__ import annotations

from rest_framework import serializers

from annotator.models import GOLD, Project, SentenceTags, TaggerModel, Task
from annotator.nlp import scheme
from annotator.nlp.gazetteer import Gazetteer
from annotator.params import Form
from annotator.taggers.base import TaggerKind


class Settings(Form):
    """Where the gazetteer's spans come from, and whether it matches case."""

    source = serializers.CharField(
        default="gold", max_length=200, help_text="gold, approved, or a layer's name."
    )
    case = serializers.BooleanField(default=False, help_text="Case-sensitive.")


def build(project: Project, *, source: str, case_sensitive: bool) -> Gazetteer:
    """The confirmed spans: the gold layers (source "gold"), the layers of approved tasks
    ("approved"), or the layers with a given name."""
    gazetteer = Gazetteer(case_sensitive)
    rows = SentenceTags.objects.filter(layer__document__project=project)
    if source == "approved":
        approved = Task.objects.filter(project=project, state=Task.State.APPROVED)
        rows = rows.filter(layer__in=approved.values("layer"))
    else:
        rows = rows.filter(layer__name=GOLD if source == "gold" else source)
    values = rows.values_list("sentence__tokens", "tags", "layer__document__scheme")
    for tokens, tags, doc_scheme in values.iterator(chunk_size=2000):
        gazetteer.add_spans(tokens, scheme.spans(tags, doc_scheme))
    return gazetteer


class GazetteerTagger:
    """IOB2 tags from the gazetteer's longest-first matches."""

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer

    def tag_many(self, sentences: list[list[str]]) -> list[list[str]]:
        return [
            scheme.tags_from_spans(self.gazetteer.match(tokens), len(tokens), "iob2")
            for tokens in sentences
        ]


def load(model: TaggerModel) -> GazetteerTagger:
    source = model.settings.get("source", "gold")
    case = model.settings.get("case", False)
    return GazetteerTagger(build(model.project, source=source, case_sensitive=case))


def describe(model: TaggerModel) -> str:
    return f"gazetteer of the {model.settings.get('source', 'gold')} spans"


KIND = TaggerKind(name="gazetteer", title="gazetteer", load=load, describe=describe)
