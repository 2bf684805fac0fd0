"""Likely label errors: out-of-fold CRF marginals, ranked with cleanlab. No Django here.

Each sentence is tagged by a CRF that never saw it (k folds), and every token whose given tag
the model doubts gets cleanlab's label quality score (its probability of the given tag, by
default): the lower the score, the likelier the given tag is wrong. Tags are IOB2, and each
distinct tag is one class, so a wrong boundary (B- vs I- vs O) is an error like a wrong label.
"""

from __future__ import annotations

import random
import tempfile
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cleanlab.token_classification.filter import find_label_issues
from cleanlab.token_classification.rank import get_label_quality_scores

from annotator.nlp import crf

Sentence = tuple[Sequence[str], Sequence[str]]  # tokens, IOB2 tags
# Per sentence: per token {tag: probability}, or an array (tokens x classes) in class order.
Probabilities = Sequence[dict[str, float]] | np.ndarray
# How far the consistency signal may move a token's probabilities, and how many occurrences
# elsewhere earn it half of that (chosen on wnut17 and crossner-ai, see BENCHMARKS.md).
CONSISTENCY_WEIGHT = 0.5
CONSISTENCY_PRIOR = 3.0


@dataclass(frozen=True, slots=True)
class TokenIssue:
    sentence: int  # index into the sentences given
    token: int
    given: str
    suggested: str  # the model's most likely tag
    score: float  # cleanlab's label quality, 0..1: lower means likelier wrong
    confidence: float  # the model's probability of the suggested tag


@dataclass(slots=True)
class Ranking:
    issues: list[TokenIssue]  # tokens whose given tag is not the model's best, worst first
    sentence_scores: list[float]  # per sentence (input order): its worst token's score

    def worst_sentences(self, limit: int | None = None) -> list[int]:
        order = sorted(range(len(self.sentence_scores)), key=self.sentence_scores.__getitem__)
        return order[:limit]


def tag_classes(sentences: Sequence[Sentence]) -> list[str]:
    """The classes, one per distinct tag: "O" first, then alphabetical (a stable mapping)."""
    tags = {tag for _, tags in sentences for tag in tags} | {"O"}
    return sorted(tags, key=lambda tag: (tag != "O", tag))


def _matrix(probabilities: Probabilities, classes: list[str], length: int) -> np.ndarray:
    if isinstance(probabilities, np.ndarray):
        matrix = probabilities.astype(float)
    else:
        matrix = np.array(
            [[token.get(c, 0.0) for c in classes] for token in probabilities], dtype=float
        ).reshape(-1, len(classes))
    if matrix.shape != (length, len(classes)):
        raise ValueError(f"probabilities {matrix.shape}, expected {(length, len(classes))}")
    totals = matrix.sum(axis=1, keepdims=True)
    # A tag the model never learnt has probability 0; a row of zeros becomes uniform.
    return np.where(totals > 0, matrix / np.where(totals > 0, totals, 1), 1 / len(classes))


def consistency(sentences: Sequence[Sentence]) -> list[np.ndarray]:
    """Per sentence (tokens x tag_classes): for each token tagged as part of an entity, how
    often each tag is given to the same word (lower-cased) in the other sentences of the corpus
    -- leave-one-out, so a sentence's own tags never vouch for themselves; zeros for O tokens."""
    classes = tag_classes(sentences)
    index = {tag: i for i, tag in enumerate(classes)}
    totals: dict[str, np.ndarray] = {}
    for tokens, tags in sentences:
        for word, tag in zip(tokens, tags, strict=True):
            row = totals.get(word.lower())
            if row is None:
                row = totals[word.lower()] = np.zeros(len(classes))
            row[index[tag]] += 1
    out, zero = [], np.zeros(len(classes))
    for tokens, tags in sentences:
        words = [word.lower() for word in tokens]
        own: dict[str, np.ndarray] = {}
        for word, tag in zip(words, tags, strict=True):
            own.setdefault(word, np.zeros(len(classes)))[index[tag]] += 1
        # Only entity tokens get the signal: a word tagged O is mostly a common word, and
        # how it is tagged elsewhere says little (measured: it hid dropped spans).
        pairs = zip(words, tags, strict=True)
        rows = [totals[w] - own[w] if tag != "O" else zero for w, tag in pairs]
        out.append(np.array(rows).reshape(len(words), len(classes)))
    return out


def _blend(matrix: np.ndarray, counts: np.ndarray, weight: float) -> np.ndarray:
    """Mix the model's probabilities with the word's tag distribution elsewhere, trusting the
    latter more the more often the word occurs (n / (n + PRIOR)), up to `weight`."""
    seen = counts.sum(axis=1, keepdims=True)
    elsewhere = np.divide(counts, seen, out=np.zeros_like(counts), where=seen > 0)
    trust = weight * seen / (seen + CONSISTENCY_PRIOR)
    return (1 - trust) * matrix + trust * elsewhere


def _inputs(
    sentences: Sequence[Sentence],
    probabilities: Sequence[Probabilities],
    counts: Sequence[np.ndarray] | None = None,
    weight: float = 0.0,
):
    if len(sentences) != len(probabilities):
        raise ValueError("one probabilities entry per sentence is needed")
    classes = tag_classes(sentences)
    index = {tag: i for i, tag in enumerate(classes)}
    kept = [i for i, (tokens, _) in enumerate(sentences) if len(tokens)]  # cleanlab: no empties
    labels = [[index[tag] for tag in sentences[i][1]] for i in kept]
    matrices = [_matrix(probabilities[i], classes, len(sentences[i][1])) for i in kept]
    if counts is not None and weight > 0:
        matrices = [_blend(m, counts[i], weight) for m, i in zip(matrices, kept, strict=True)]
    return classes, kept, labels, matrices


def rank(
    sentences: Sequence[Sentence],
    probabilities: Sequence[Probabilities],
    *,
    method: str = "self_confidence",
    limit: int | None = None,
    consistency: Sequence[np.ndarray] | None = None,
    weight: float = CONSISTENCY_WEIGHT,
) -> Ranking:
    """Tokens whose given tag is not the model's best guess, likeliest errors first.

    With `consistency` (see `consistency()`), each token's probabilities are first blended
    with how its word is tagged elsewhere in the corpus (`weight` at most).
    """
    classes, kept, labels, matrices = _inputs(sentences, probabilities, consistency, weight)
    sentence_scores = [1.0] * len(sentences)
    issues: list[TokenIssue] = []
    if kept:
        scores, token_scores = get_label_quality_scores(labels, matrices, token_score_method=method)
        for i, sentence_score, given, matrix, token_score in zip(
            kept, scores, labels, matrices, token_scores, strict=True
        ):
            sentence_scores[i] = float(sentence_score)
            best = matrix.argmax(axis=1)
            token_score = np.asarray(token_score, dtype=float)
            given_p = matrix[np.arange(len(given)), given]
            # A tie with the given tag is no disagreement.
            for t in np.flatnonzero(matrix[np.arange(len(given)), best] > given_p):
                issues.append(
                    TokenIssue(
                        i,
                        int(t),
                        classes[given[t]],
                        classes[best[t]],
                        _short(token_score[t]),
                        _short(matrix[t, best[t]]),
                    )
                )
    issues.sort(key=lambda issue: (issue.score, -issue.confidence, issue.sentence, issue.token))
    return Ranking(issues[:limit], sentence_scores)


def _short(value: float) -> float:
    """Six significant digits: short in JSON, yet near-zero scores keep their order."""
    return float(f"{float(value):.6g}")


def flagged(
    sentences: Sequence[Sentence],
    probabilities: Sequence[Probabilities],
    consistency: Sequence[np.ndarray] | None = None,
    weight: float = CONSISTENCY_WEIGHT,
) -> set:
    """(sentence, token) pairs cleanlab's confident learning calls label issues."""
    _, kept, labels, matrices = _inputs(sentences, probabilities, consistency, weight)
    if not kept or len({label for row in labels for label in row}) < 2:
        return set()
    with warnings.catch_warnings():  # "too few examples" of a rare tag: expected here
        warnings.simplefilter("ignore", UserWarning)
        found = find_label_issues(labels, matrices, n_jobs=1)
    return {(kept[i], int(t)) for i, t in found}


def assign_folds(
    count: int, folds: int, seed: int = 0, documents: Sequence[object] | None = None
) -> list[int]:
    """The fold of each sentence: a seeded shuffle dealt round-robin, so folds differ by <= 1.

    With `documents` (one key per sentence) and at least `folds` documents, whole documents are
    dealt instead, so no sentence is judged by a model that read the rest of its document.
    """
    if documents is not None and len(set(documents)) >= folds:
        keys = sorted(set(documents), key=str)
        random.Random(seed).shuffle(keys)
        fold_of_document = {key: place % folds for place, key in enumerate(keys)}
        return [fold_of_document[key] for key in documents]
    order = list(range(count))
    random.Random(seed).shuffle(order)
    fold_of = [0] * count
    for place, i in enumerate(order):
        fold_of[i] = place % folds
    return fold_of


def fold_marginals(
    sentences: Sequence[Sentence],
    fold_of: Sequence[int],
    fold: int,
    *,
    iterations: int = 50,
    progress: Callable[[int, int], None] | None = None,
    workdir: Path | None = None,
) -> dict[int, np.ndarray]:
    """Train on every fold but `fold`; its sentences' marginals (tokens x tag_classes)."""
    classes = tag_classes(sentences)
    train_set = [s for s, f in zip(sentences, fold_of, strict=True) if f != fold]
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        path = Path(scratch) / "fold.crfsuite"
        crf.train(train_set, path, iterations=iterations, progress=progress)
        tagger = crf.Tagger(path)
        return {
            i: _matrix(tagger.marginals(tokens), classes, len(tokens))
            for i, (tokens, _) in enumerate(sentences)
            if fold_of[i] == fold and len(tokens)
        }


def _fold(job: tuple) -> dict[int, np.ndarray]:
    sentences, fold_of, k, iterations, workdir = job
    return fold_marginals(sentences, fold_of, k, iterations=iterations, workdir=workdir)


def plan_folds(
    sentences: Sequence[Sentence],
    folds: int,
    seed: int = 0,
    documents: Sequence[object] | None = None,
) -> list[int]:
    if folds < 2 or len(sentences) < folds:
        raise ValueError(f"need at least 2 folds and one sentence per fold ({len(sentences)})")
    return assign_folds(len(sentences), folds, seed, documents)


def assemble(sentences: Sequence[Sentence], parts: Sequence[dict[int, np.ndarray]]) -> list:
    """The folds' marginals as one list in sentence order (empty sentences: empty arrays)."""
    width = len(tag_classes(sentences))
    result: list[np.ndarray] = [np.zeros((0, width)) for _ in sentences]
    for part in parts:
        for i, matrix in part.items():
            result[i] = matrix
    return result


def out_of_fold(
    sentences: Sequence[Sentence],
    *,
    folds: int = 5,
    iterations: int = 50,
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
    workdir: Path | None = None,
    documents: Sequence[object] | None = None,
) -> list[np.ndarray]:
    """Per sentence, the marginals (tokens x tag_classes) of a CRF trained without it.

    `workers` > 1 trains folds in parallel processes (not inside a daemonic Celery worker; the
    job spreads its folds over Celery workers instead).
    """
    fold_of = plan_folds(sentences, folds, seed, documents)
    total = folds * iterations
    if workers > 1:
        jobs = [(sentences, fold_of, k, iterations, workdir) for k in range(folds)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return assemble(sentences, list(pool.map(_fold, jobs)))
    parts = []
    for k in range(folds):
        report = None
        if progress:
            message = f"Fold {k + 1} of {folds}"
            report = lambda i, n, k=k, m=message: progress(k * iterations + i, total, m)  # noqa: E731
        parts.append(
            fold_marginals(
                sentences, fold_of, k, iterations=iterations, progress=report, workdir=workdir
            )  # fmt: skip
        )
    return assemble(sentences, parts)
