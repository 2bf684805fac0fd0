"""Project-wide label changes on one sentence's tags: rename or merge a label, or remove it.

A label change keeps every span where it is: only the label of the chosen spans changes (or
they become O). Tags are rewritten token by token, so a flagged stray tag stays as it was
(still flagged, now with the new label); only where the plain rewrite would read as other
spans (in IOB1, two neighbouring spans that now share a label would merge) do the tokens of
those spans get the clean encoding.
"""

from __future__ import annotations

from collections.abc import Sequence

from annotator.nlp.edits import _settle  # the same "change as few tags as possible" rule
from annotator.nlp.scheme import Span, parse_tag, spans, tags_from_spans


def relabel(tags: Sequence[str], scheme: str, old: str, new: str | None) -> list[str]:
    """`tags` with every span labelled `old` labelled `new` instead (None: removed, O)."""
    result = []
    for tag in tags:
        prefix, label = parse_tag(tag)
        if label != old:
            result.append(tag)
        else:
            result.append(f"{prefix}-{new}" if new else "O")
    if result == list(tags):
        return result
    wanted = {
        Span(s.start, s.end, new) if s.label == old else s
        for s in spans(tags, scheme)
        if s.label != old or new
    }
    if set(spans(result, scheme)) == wanted:
        return result
    return _settle(result, tags_from_spans(wanted, len(tags), scheme), wanted, scheme)


def count_spans(tags: Sequence[str], scheme: str, label: str) -> int:
    return sum(1 for span in spans(tags, scheme) if span.label == label)
