"""Span edits on one sentence's tags, keeping the sequence valid by construction.

A reviewer never types B-/I- prefixes: every edit is an operation on spans, and the tags are
re-encoded in the document's scheme. Only the positions the edit really touches change: an
invalid sequence elsewhere in the sentence stays as it was (and flagged) until it is repaired
on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence

from annotator.nlp.scheme import Span, invalid_positions, spans, tags_from_spans


class EditError(ValueError):
    """The edit does not fit the sentence (range outside it, nothing to split...)."""


def _check_range(start: int, end: int, length: int) -> None:
    if not 0 <= start < end <= length:
        raise EditError(f"range {start}-{end} is outside the sentence (0-{length})")


def _apply(tags: Sequence[str], scheme: str, new_spans: list[Span], start: int, end: int):
    """Tags for `new_spans`: re-encoded inside the edited range [start, end) and wherever the
    edit changes the encoding (a neighbour's prefix), the original tags everywhere else."""
    before = tags_from_spans(spans(tags, scheme), len(tags), scheme)
    after = tags_from_spans(new_spans, len(tags), scheme)
    result = [
        new if new != old or start <= i < end else tag
        for i, (tag, old, new) in enumerate(zip(tags, before, after, strict=True))
    ]
    return _settle(result, after, set(new_spans), scheme)


def _settle(result: list[str], after: list[str], wanted: set[Span], scheme: str) -> list[str]:
    """Make `result` read as exactly the wanted spans, changing as few tags as possible.

    A kept stray tag next to the edit may read as part of a new span (O I-X, label the O as X):
    the tokens of every span that reads wrong (and then their neighbours) get the clean
    encoding, step by step, so flagged tags further away stay as they were.
    """
    for _ in range(len(result) + 1):
        wrong = set(spans(result, scheme)) ^ wanted
        if not wrong:
            return result
        positions = {i for span in wrong for i in range(span.start, span.end)}
        if all(result[i] == after[i] for i in positions):
            positions = {j for i in positions for j in (i - 1, i + 1) if 0 <= j < len(result)}
        changed = [i for i in positions if result[i] != after[i]]
        if not changed:
            break
        for i in changed:
            result[i] = after[i]
    return after


def _reach(start: int, end: int, touched: Sequence[Span]) -> tuple[int, int]:
    """The edited range grown to cover the spans the edit replaces."""
    return min([start, *(s.start for s in touched)]), max([end, *(s.end for s in touched)])


def _overlaps(span: Span, start: int, end: int) -> bool:
    return span.start < end and start < span.end


def label(tags: Sequence[str], scheme: str, start: int, end: int, name: str) -> list[str]:
    """Make tokens [start, end) one span labelled `name`; spans it overlaps are replaced."""
    _check_range(start, end, len(tags))
    if not name or name == "O":
        raise EditError("a span needs a label")
    current = spans(tags, scheme)
    kept = [s for s in current if not _overlaps(s, start, end)]
    replaced = [s for s in current if _overlaps(s, start, end)]
    return _apply(tags, scheme, [*kept, Span(start, end, name)], *_reach(start, end, replaced))


def remove(tags: Sequence[str], scheme: str, start: int, end: int) -> list[str]:
    """Remove every span that overlaps tokens [start, end)."""
    _check_range(start, end, len(tags))
    current = spans(tags, scheme)
    kept = [s for s in current if not _overlaps(s, start, end)]
    replaced = [s for s in current if _overlaps(s, start, end)]
    return _apply(tags, scheme, kept, *_reach(start, end, replaced))


def split(tags: Sequence[str], scheme: str, at: int) -> list[str]:
    """Split the span containing token `at` so that a new span of the same label starts there."""
    _check_range(at, at + 1, len(tags))
    current = spans(tags, scheme)
    target = next((s for s in current if s.start < at < s.end), None)
    if target is None:
        raise EditError(f"token {at} is not inside a span of two tokens or more")
    halves = [Span(target.start, at, target.label), Span(at, target.end, target.label)]
    result = [s for s in current if s != target] + halves
    return _apply(tags, scheme, result, target.start, target.end)


def merge(tags: Sequence[str], scheme: str, start: int, end: int) -> list[str]:
    """Join the spans overlapping [start, end) into one, with the first span's label."""
    _check_range(start, end, len(tags))
    current = spans(tags, scheme)
    chosen = [s for s in current if _overlaps(s, start, end)]
    if len(chosen) < 2:
        raise EditError("select at least two spans to merge")
    joined = Span(chosen[0].start, chosen[-1].end, chosen[0].label)
    kept = [s for s in current if not _overlaps(s, joined.start, joined.end)]
    return _apply(tags, scheme, [*kept, joined], joined.start, joined.end)


def repair_start(tags: Sequence[str], scheme: str, at: int) -> list[str]:
    """Repair a flagged token by making its span a proper span of its own (e.g. I-X -> B-X)."""
    _check_range(at, at + 1, len(tags))
    target = next((s for s in spans(tags, scheme) if s.start <= at < s.end), None)
    if target is None:
        raise EditError(f"token {at} is not in a span")
    return _apply(tags, scheme, spans(tags, scheme), target.start, target.end)


def repair_join(tags: Sequence[str], scheme: str, at: int) -> list[str]:
    """Repair a flagged token by joining its span to the span before it (gap included).

    The joined span takes the flagged token's label: an `I-X` says "this continues an X".
    """
    _check_range(at, at + 1, len(tags))
    current = spans(tags, scheme)
    index = next((i for i, s in enumerate(current) if s.start <= at < s.end), None)
    if index is None or index == 0:
        raise EditError(f"token {at} has no span before it to join")
    previous, target = current[index - 1], current[index]
    joined = Span(previous.start, target.end, target.label)
    result = [*current[: index - 1], joined, *current[index + 1 :]]
    return _apply(tags, scheme, result, joined.start, joined.end)


def repair_all(tags: Sequence[str], scheme: str) -> list[str]:
    """Every flagged position repaired by starting a span there."""
    if not invalid_positions(tags, scheme):
        return list(tags)
    return tags_from_spans(spans(tags, scheme), len(tags), scheme)
