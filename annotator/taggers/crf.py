"""CRF models, trained by the train-crf job (annotator/jobs/train_crf.py) over nlp/crf.py."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from annotator.models import TaggerModel
from annotator.nlp import crf, suggestions
from annotator.taggers.base import Scored, TaggerKind


class CrfTagger:
    def __init__(self, path: Path):
        self.tagger = crf.Tagger(path)

    def tag_many(self, sentences: list[list[str]]) -> list[list[str]]:
        return [self.tagger.tag(tokens) for tokens in sentences]

    def tag_scored(self, sentences: list[list[str]]) -> list[Scored]:
        """Tags with the scores the review page shows (nlp/suggestions.py: span confidence)."""
        result = []
        for tokens in sentences:
            tagged = self.tagger.tag_with_confidence(tokens)
            spans = suggestions.span_confidences(tagged.tags, tagged.confidence)
            result.append((tagged.tags, round(tagged.probability, 6), spans))
        return result


def load(model: TaggerModel) -> CrfTagger:
    return CrfTagger(Path(settings.MODEL_ROOT) / model.path)


def describe(model: TaggerModel) -> str:
    on = model.trained_on
    layer, sentences, tokens = (on.get(key, "") for key in ("layer", "sentences", "tokens"))
    return f"{layer}, {sentences} sentences, {tokens} tokens"


KIND = TaggerKind(name="crf", title="CRF model", load=load, describe=describe)
