"""Decoding for review: the IOB2 tags a reviewer is expected to edit least. Pure Python.

A reviewer's work on a suggestion is counted per token: every token whose suggested tag differs
from the truth is one edit. Viterbi finds the likeliest whole sequence, which is not the same
thing: a sentence whose best reading has probability 0.3 can still have most of its tokens
right with probability 0.9 each. The expected number of edits of a suggestion is the sum over
its tokens of (1 - marginal probability of the suggested tag), so the suggestion with the
fewest expected edits takes each token's most probable tag (minimum Bayes risk for the token
count). Taken token by token that can be invalid IOB2 (an I-X after O); `fewest_expected_edits`
finds the valid sequence with the largest sum of marginals, which is the valid suggestion with
the fewest expected edits.

Leaving a token O is one of the choices: a span is suggested only where its tags are likelier
than O token by token, so a span of a doubtful type is left out rather than shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def fewest_expected_edits(marginals: Sequence[Mapping[str, float]]) -> list[str]:
    """The valid IOB2 tags with the largest sum of per-token marginal probabilities.

    `marginals[i]` maps each tag the model knows to its probability at token i (tags missing
    from a row count as probability 0). An I-X may only follow B-X or I-X. Ties go to O, then
    to the tag listed first.
    """
    if not marginals:
        return []
    tags = _tags(marginals)
    # best[t]: the largest sum of marginals over valid tags[0..i] ending in t; I-X cannot open.
    best = {t: (None if t.startswith("I-") else marginals[0].get(t, 0.0)) for t in tags}
    back: list[dict[str, str]] = []
    for row in marginals[1:]:
        top = max((t for t in tags if best[t] is not None), key=lambda t: best[t])
        step, came_from = {}, {}
        for t in tags:
            before = _best_before(t, top, best)
            step[t] = None if before is None else best[before] + row.get(t, 0.0)
            came_from[t] = before
        back.append(came_from)
        best = step
    last = max((t for t in tags if best[t] is not None), key=lambda t: best[t])
    path = [last]
    for came_from in reversed(back):
        path.append(came_from[path[-1]])
    return path[::-1]


def _tags(marginals: Sequence[Mapping[str, float]]) -> list[str]:
    """Every tag, O first (so ties go to O), each I-X with its B-X (an I-X needs one to follow)."""
    found = dict.fromkeys(["O"])
    for row in marginals:
        for tag in row:
            found[tag] = None
            if tag.startswith("I-"):
                found["B-" + tag[2:]] = None
    return list(found)


def _best_before(tag: str, top: str, best: Mapping[str, float | None]) -> str | None:
    """The best tag the previous token may have for `tag` to follow it validly."""
    if not tag.startswith("I-"):
        return top  # O and B-X may follow anything
    options = [t for t in ("B-" + tag[2:], tag) if best.get(t) is not None]
    return max(options, key=lambda t: best[t]) if options else None
