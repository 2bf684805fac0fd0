"""Compare two tag layers of a document: which sentences differ, and where (the regions:
annotator/nlp/layer_diff.py)."""

from __future__ import annotations

from annotator import selectors
from annotator.models import Document, SentenceTags, TagLayer
from annotator.nlp import scheme
from annotator.nlp.layer_diff import diff_regions


def differing_positions(left: TagLayer, right: TagLayer) -> list[int]:
    """Positions of the sentences whose tags differ between the two layers."""
    tags = {}
    rows = SentenceTags.objects.filter(layer__in=[left, right]).values_list(
        "layer_id", "sentence__position", "tags"
    )
    for layer_id, position, row_tags in rows:
        tags.setdefault(position, {})[layer_id] = row_tags
    return sorted(p for p, both in tags.items() if both.get(left.pk) != both.get(right.pk))


def compared_sentences(
    document: Document, left: TagLayer, right: TagLayer, positions: list[int]
) -> list[dict]:
    rows = (
        SentenceTags.objects.filter(layer__in=[left, right], sentence__position__in=positions)
        .order_by("sentence__position")
        .values_list(
            "layer_id", "sentence_id", "sentence__position", "sentence__tokens", "tags", "version"
        )
    )
    by_sentence: dict[int, dict] = {}
    for layer_id, sentence_id, position, tokens, tags, version in rows:
        item = by_sentence.setdefault(
            sentence_id, {"id": sentence_id, "position": position, "tokens": tokens}
        )
        side = "left" if layer_id == left.pk else "right"
        item[side] = tags
        item[side + "_version"] = version
    sentences = []
    colours = selectors.label_colours(document.project)
    for item in by_sentence.values():
        if "left" not in item or "right" not in item:
            continue
        regions = diff_regions(item["left"], item["right"], document.scheme)
        item["regions"] = regions
        item["left_html"], item["right_html"] = readings(
            item["tokens"], item["left"], item["right"], document.scheme, colours
        )
        item["cells"] = [
            {"text": t, "left": a, "right": b, "differs": a != b}
            for t, a, b in zip(item["tokens"], item["left"], item["right"], strict=True)
        ]
        sentences.append(item)
    return sentences


def readings(tokens: list[str], left: list[str], right: list[str], doc_scheme: str, colours):
    """Both layers' spans as the review page draws them, each marking what differs."""
    differs = {i for i, (a, b) in enumerate(zip(left, right, strict=True)) if a != b}
    spans = {
        side: {(s.start, s.end, s.label) for s in scheme.spans(tags, doc_scheme)}
        for side, tags in (("left", left), ("right", right))
    }
    return (
        selectors.tokens_html(
            tokens, left, None, doc_scheme, colours, differs=differs, other_spans=spans["right"]
        ),
        selectors.tokens_html(
            tokens, right, None, doc_scheme, colours, differs=differs, other_spans=spans["left"]
        ),
    )
