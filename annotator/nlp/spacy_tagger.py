"""Tagging with an installed spaCy pipeline, over the corpus's own tokens. No Django.

spaCy is an optional extra: this module imports it only when a spaCy model is used.
"""

from __future__ import annotations

from collections.abc import Sequence

from annotator.nlp.scheme import Span, tags_from_spans


def parse_mapping(text: str) -> dict[str, str]:
    """ "ORG=Library, PRODUCT=Application" -> {"ORG": "Library", "PRODUCT": "Application"}."""
    mapping = {}
    for part in text.replace("\n", ",").split(","):
        if "=" in part:
            theirs, ours = (side.strip() for side in part.split("=", 1))
            if theirs and ours:
                mapping[theirs] = ours
    return mapping


class SpacyTagger:
    def __init__(self, pipeline: str, mapping: dict[str, str]):
        import spacy  # the optional extra

        self.nlp = spacy.load(pipeline)
        self.mapping = mapping

    def tag(self, tokens: Sequence[str]) -> list[str]:
        """IOB2 tags for the tokens; entity labels without a mapping are left out."""
        from spacy.tokens import Doc

        doc = Doc(self.nlp.vocab, words=list(tokens))  # keep the corpus's tokenisation
        for _, component in self.nlp.pipeline:
            doc = component(doc)
        spans = [
            Span(ent.start, ent.end, self.mapping[ent.label_])
            for ent in doc.ents
            if ent.label_ in self.mapping
        ]
        return tags_from_spans(spans, len(tokens), "iob2")

    def tag_many(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        return [self.tag(tokens) for tokens in sentences]
