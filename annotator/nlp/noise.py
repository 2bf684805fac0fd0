"""Seeded label noise, to measure how well the likely-errors finder finds errors. Pure Python.

`corrupt` changes a share of a corpus's entity spans the way annotators err: half get another
type, a quarter are dropped (tagged O), a quarter have one boundary moved by one token. Changed
spans never touch: each keeps at least one unchanged token between it and the next change.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from annotator.nlp.scheme import Span, spans

Sentence = tuple[Sequence[str], Sequence[str]]  # tokens, IOB2 tags
KINDS = ("type", "drop", "boundary")


@dataclass(frozen=True, slots=True)
class Change:
    sentence: int
    kind: str  # one of KINDS
    tokens: tuple[int, ...]  # the tokens whose tag differs from the original


def _quota(count: int) -> list[str]:
    """The kind of each of `count` changes: half type, a quarter each drop and boundary."""
    drops = count // 4
    boundaries = count // 4
    return ["type"] * (count - drops - boundaries) + ["drop"] * drops + ["boundary"] * boundaries


def _moves(tags: Sequence[str], span: Span) -> list[str]:
    """Boundary moves by one token that keep the span clear of its neighbours."""
    n, options = len(tags), []

    def free(i: int) -> bool:
        return 0 <= i < n and tags[i] == "O"

    if free(span.end) and (span.end + 1 >= n or tags[span.end + 1] == "O"):
        options.append("grow-right")
    if free(span.start - 1) and (span.start - 2 < 0 or tags[span.start - 2] == "O"):
        options.append("grow-left")
    if span.end - span.start > 1:
        options += ["shrink-right", "shrink-left"]
    return options


def _apply(tags: list[str], span: Span, kind: str, rng: random.Random, labels: list[str]):
    if kind == "type":
        other = rng.choice([label for label in labels if label != span.label])
        for i in range(span.start, span.end):
            tags[i] = tags[i][:2] + other
    elif kind == "drop":
        tags[span.start : span.end] = ["O"] * (span.end - span.start)
    else:
        move = rng.choice(_moves(tags, span))
        if move == "grow-right":
            tags[span.end] = "I-" + span.label
        elif move == "grow-left":
            tags[span.start - 1], tags[span.start] = "B-" + span.label, "I-" + span.label
        elif move == "shrink-right":
            tags[span.end - 1] = "O"
        else:
            tags[span.start], tags[span.start + 1] = "O", "B-" + span.label


def corrupt(
    sentences: Sequence[Sentence], share: float = 0.05, seed: int = 0
) -> tuple[list[tuple[list[str], list[str]]], list[Change]]:
    """A copy with `share` of the entity spans changed (seeded), and the list of changes."""
    rng = random.Random(seed)
    noisy = [(list(tokens), list(tags)) for tokens, tags in sentences]
    found = [(i, s) for i, (_, tags) in enumerate(sentences) for s in spans(tags, "iob2")]
    labels = sorted({s.label for _, s in found})
    wanted = _quota(round(share * len(found)))
    rng.shuffle(wanted)
    rng.shuffle(found)
    blocked: set[tuple[int, int]] = set()  # tokens a new change may not touch
    changes: list[Change] = []
    for i, span in found:
        if not wanted:
            break
        region = range(span.start - 2, span.end + 2)  # the span, a possible move, a gap
        if any((i, t) in blocked for t in region):
            continue
        tags = noisy[i][1]
        kind = next(
            (k for k in wanted if (k != "type" or len(labels) > 1)
             and (k != "boundary" or _moves(tags, span))),
            None,
        )  # fmt: skip
        if kind is None:
            continue
        wanted.remove(kind)
        before = list(tags)
        _apply(tags, span, kind, rng, labels)
        changed = tuple(t for t in range(len(tags)) if tags[t] != before[t])
        changes.append(Change(i, kind, changed))
        blocked.update((i, t) for t in region)
    changes.sort(key=lambda c: (c.sentence, c.tokens))
    return noisy, changes
