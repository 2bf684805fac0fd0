"""Retrain as you go, the pure part: when to retrain, what to train on, what to suggest.

The retrain job (`annotator/services/learning.py`) and the simulated reviewer
(`bench/learning_curve.py`) call these same functions, so the simulation measures what the app
does. No Django here.

When: the gap between retrains doubles from FIRST_RETRAIN reviewed sentences up to the
project's "Retrain every" N (10, 20, 40, 80, 160, then every N): a model from the first ten
reviewed sentences already saves edits on the next ten, and early models improve fastest.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from annotator.nlp import crf, scheme
from annotator.nlp.suggestions import span_confidences

Sentence = tuple[Sequence[str], Sequence[str]]  # tokens, IOB2 tags
FIRST_RETRAIN = 10
ITERATIONS = 50  # the simulation's best on crossner-ai; 100 over-fits the first small models
HELD_OUT = 0.1
# Twice the CRF's default L2 penalty: models of a few hundred sentences gain from smoother
# weights (crossner-ai's simulated saving 49.4% -> 50.1%; 0.05 before, 0.15 and 0.2 lower).
C2 = 0.1


def next_retrain(learned: int, every: int) -> int:
    """The reviewed count at which the next retrain is due, the last one having seen `learned`
    reviewed sentences: the gap doubles from FIRST_RETRAIN up to `every`."""
    return learned + max(1, min(every, max(FIRST_RETRAIN, learned)))


def train(
    sentences: Sequence[Sentence],
    path: Path,
    *,
    iterations: int = ITERATIONS,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """The live model: a CRF on every reviewed sentence (none kept back; see `held_out_f1`)."""
    crf.train(sentences, path, iterations=iterations, progress=progress, c2=C2)


def held_out_f1(
    sentences: Sequence[Sentence], *, iterations: int = ITERATIONS, seed: int = 0
) -> tuple[dict, int]:
    """The span scores of the same recipe trained without a seeded HELD_OUT share of the
    sentences and scored on that share, and the share's size. The live model itself learns from
    all of them: on a few hundred sentences a tenth more data is worth more than the cost of a
    second, smaller training."""
    shuffled = list(sentences)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 - a reproducible split
    cut = max(1, int(len(shuffled) * HELD_OUT))
    held_out, rest = shuffled[:cut], shuffled[cut:]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "held-out.crfsuite"
        crf.train(rest, path, iterations=iterations, c2=C2)
        tagger = crf.Tagger(path)
        predicted = [tagger.tag(tokens) for tokens, _ in held_out]
    return crf.evaluate([tags for _, tags in held_out], predicted), cut


def suggest(
    tagger: crf.Tagger, tokens: Sequence[str], rejected: Iterable[Sequence] = ()
) -> tuple[list[str], float, list[list]]:
    """A sentence's suggested IOB2 tags, the model's sequence probability and each span's
    [start, end, confidence], without the spans a reviewer rejected on this sentence
    ((start, end, label) each): a turned-down span is not suggested again by a newer model.

    The tags are those the reviewer is expected to edit least (`crf.Tagger.tag_for_review`),
    not the likeliest whole sequence: the reviewer's work is counted per token."""
    tagged = tagger.tag_for_review(tokens)
    tags = list(tagged.tags)
    turned_down = {(int(s), int(e), str(label)) for s, e, label in rejected}
    if turned_down:
        for span in scheme.spans(tags, "iob2"):
            if (span.start, span.end, span.label) in turned_down:
                tags[span.start : span.end] = ["O"] * (span.end - span.start)
    return tags, tagged.probability, span_confidences(tags, tagged.confidence)
