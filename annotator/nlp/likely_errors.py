"""Likely label errors: out-of-fold CRF, small corrections ranked by how much they explain. No
Django here.

Each sentence is judged by a CRF that never saw it (k folds). For every span and stretch of O
tokens, `corrections.propose` lists the errors annotators make (another type, an untagged
entity, a boundary off by one); the fold's CRF scores each by the log ratio of the sentence's
probability corrected against given, and the ranking adds how the same words are tagged in the
rest of the corpus (leave-one-out). A correction's tokens are ranked together, likeliest first.
Tags are IOB2; each distinct tag is one class of the marginals (kept for cleanlab's count of
likely errors and for the suggested tag's confidence).
"""

from __future__ import annotations

import math
import random
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotator.nlp import corrections as fixes
from annotator.nlp import crf

Sentence = tuple[Sequence[str], Sequence[str]]  # tokens, IOB2 tags
# Per sentence: per token {tag: probability}, or an array (tokens x classes) in class order.
Probabilities = Sequence[dict[str, float]] | np.ndarray
# How much the words' tags elsewhere count against the model's log ratio (1: as much), and
# the smoothing of their shares (pseudo-occurrences spread over the labels). Chosen on wnut17
# and crossner-ai together (BENCHMARKS.md): 0.5 to 1 does about as well on both.
CONSISTENCY_WEIGHT = 1.0
CONSISTENCY_PRIOR = 1.0
# A correction's score is its log ratio over the square root of its tokens: a long span's
# change counts more than one token's, but less than its tokens' sum (measured, both corpora).
LENGTH_POWER = 0.5
# Corrections the model puts this far below the given tags are not kept: the corpus's voice
# (at most about log(occurrences x labels)) cannot lift them to the top.
GAIN_FLOOR = -12.0
# The folds' L2 penalty: 20 times the tagger's (crf.C2). The finder needs probabilities, not
# just the best tags, so it is chosen by what the app can measure without gold: the out-of-fold
# log-likelihood of the given tags, which peaks near 1.0 on wnut17 and 0.5 on crossner-ai
# (within 0.4% at 1.0). With the tagger's 0.05, the log-likelihood of wnut17's given tags is 14%
# lower and its planted errors rank worse (recall@N 0.348 against 0.394; README).
FOLD_C2 = 1.0
# 4 folds, 30 L-BFGS iterations each: on two workers, two rounds of training on 75% of the
# layer, where 5 folds of 50 took three rounds of 80% (the job's wall time on 300k tokens
# about halves). Planted-error recall is no lower (README, "Likely label errors").
FOLDS = 4
FOLD_ITERATIONS = 30


@dataclass(frozen=True, slots=True)
class TokenIssue:
    sentence: int  # index into the sentences given
    token: int
    given: str
    suggested: str  # the tag the correction gives it
    score: float  # 0..1, lower means likelier wrong: the given's share against the correction
    confidence: float  # the model's marginal probability of the suggested tag
    kind: str = "type"  # the correction's kind: type, missing, boundary


@dataclass(slots=True)
class Ranking:
    issues: list[TokenIssue]  # tokens of corrections likelier than the given, worst first
    sentence_scores: list[float]  # per sentence (input order): its worst token's score

    def worst_sentences(self, limit: int | None = None) -> list[int]:
        order = sorted(range(len(self.sentence_scores)), key=self.sentence_scores.__getitem__)
        return order[:limit]


def tag_classes(sentences: Sequence[Sentence]) -> list[str]:
    """The classes, one per distinct tag: "O" first, then alphabetical (a stable mapping)."""
    tags = {tag for _, tags in sentences for tag in tags} | {"O"}
    return sorted(tags, key=lambda tag: (tag != "O", tag))


def entity_labels(classes: Sequence[str]) -> list[str]:
    return sorted({tag[2:] for tag in classes if tag != "O"})


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


def _matrices(sentences, probabilities, classes) -> list[np.ndarray]:
    if len(sentences) != len(probabilities):
        raise ValueError("one probabilities entry per sentence is needed")
    pairs = zip(sentences, probabilities, strict=True)
    return [_matrix(p, classes, len(tags)) for (_, tags), p in pairs]


def _log(matrix: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(matrix, 1e-12))


def propose_and_score(
    sentence: int,
    tokens: Sequence[str],
    given: Sequence[str],
    marginals: np.ndarray,
    classes: list[str],
    counts: fixes.FormCounts,
    log_probabilities: Callable[[list[list[str]]], list[float]] | None = None,
    labels: Sequence[str] | None = None,
) -> list[fixes.Correction]:
    """One sentence's corrections, each with its gain: by `log_probabilities` (a model of whole
    sequences) when given, else as if tokens were independent (the marginals)."""
    index = {tag: i for i, tag in enumerate(classes)}
    logs = _log(marginals)
    known = [label for label in labels or entity_labels(classes) if f"B-{label}" in index]
    missing = fixes.likely_missing(given, logs, index, known)
    missing += counts.hints(sentence, tokens, given)  # words tagged so elsewhere
    proposals = [
        p for p in fixes.propose(given, known, missing) if all(tag in index for tag in p[1])
    ]
    if log_probabilities is None:
        found = [
            fixes.Correction(
                sentence, start, tags, kind, fixes.marginal_gain(logs, index, given, start, tags)
            )
            for start, tags, kind in proposals
        ]
    else:
        found = fixes.score(sentence, given, proposals, log_probabilities)
    return [c for c in found if c.gain > GAIN_FLOOR]


Rated = tuple[float, fixes.Correction]  # a correction's score (above 0) and the correction


def rate(
    sentences: Sequence[Sentence],
    corrections: Iterable[fixes.Correction],
    counts: fixes.FormCounts,
    weight: float = CONSISTENCY_WEIGHT,
) -> list[Rated]:
    """The corrections likelier than the given tags, each with its score: the model's log ratio
    plus `weight` times the corpus's, over the square root of the tokens it changes."""
    rated = []
    for c in corrections:
        tokens, given = sentences[c.sentence]
        value = c.gain
        if weight:
            value += weight * counts.evidence(c.sentence, tokens, given, c, CONSISTENCY_PRIOR)
        value /= len(c.tags) ** LENGTH_POWER
        if value > 0:
            rated.append((value, c))
    return rated


def rank(
    sentences: Sequence[Sentence],
    probabilities: Sequence[Probabilities],
    *,
    corrections: Sequence[fixes.Correction] | None = None,
    rated: Sequence[Rated] | None = None,
    limit: int | None = None,
    weight: float = CONSISTENCY_WEIGHT,
) -> Ranking:
    """Tokens of the corrections that explain the tags better than the given ones, likeliest
    first; a correction's tokens together.

    `corrections` come from the folds (scored by the CRF on whole sequences); without them they
    are proposed here and scored on the marginals alone. Each correction's gain is raised by
    how the words are tagged elsewhere in the corpus (`weight`; 0: the model alone). `rated`:
    corrections already rated by `rate` (the job rates each part of the work where it is done,
    so the last step only sorts).
    """
    classes = tag_classes(sentences)
    matrices = _matrices(sentences, probabilities, classes)
    if rated is None:
        counts = fixes.FormCounts(sentences)
        if corrections is None:
            corrections = [
                c
                for i, ((tokens, tags), matrix) in enumerate(zip(sentences, matrices, strict=True))
                if len(tokens)
                for c in propose_and_score(i, tokens, tags, matrix, classes, counts)
            ]
        rated = rate(sentences, corrections, counts, weight)
    rated = sorted(
        rated, key=lambda item: (-item[0], item[1].sentence, item[1].start, item[1].tags)
    )
    index = {tag: i for i, tag in enumerate(classes)}
    issues, seen = [], set()
    sentence_scores = [1.0] * len(sentences)
    for value, c in rated:
        share = _short(1 / (1 + math.exp(min(value, 700))))
        given = sentences[c.sentence][1]
        for t, tag in zip(c.tokens, c.tags, strict=True):
            if (c.sentence, t) in seen or tag == given[t]:
                continue
            seen.add((c.sentence, t))
            confidence = _short(matrices[c.sentence][t, index[tag]])
            issues.append(TokenIssue(c.sentence, t, given[t], tag, share, confidence, c.kind))
        sentence_scores[c.sentence] = min(sentence_scores[c.sentence], share)
    return Ranking(issues[:limit], sentence_scores)


def _short(value: float) -> float:
    """Six significant digits: short in JSON, yet near-zero scores keep their order."""
    return float(f"{float(value):.6g}")


def flagged(sentences: Sequence[Sentence], probabilities: Sequence[Probabilities]) -> set:
    """(sentence, token) pairs cleanlab's confident learning calls label issues."""
    classes = tag_classes(sentences)
    index = {tag: i for i, tag in enumerate(classes)}
    matrices = _matrices(sentences, probabilities, classes)
    kept = [i for i, (tokens, _) in enumerate(sentences) if len(tokens)]  # cleanlab: no empties
    labels = [[index[tag] for tag in sentences[i][1]] for i in kept]
    if not kept or len({label for row in labels for label in row}) < 2:
        return set()
    # Imported here: cleanlab takes seconds to import, and the web process reads this module's
    # defaults (the job form) without ever ranking.
    from cleanlab.token_classification.filter import find_label_issues

    with warnings.catch_warnings():  # "too few examples" of a rare tag: expected here
        warnings.simplefilter("ignore", UserWarning)
        found = find_label_issues(labels, [matrices[i] for i in kept], n_jobs=1)
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


@dataclass(slots=True)
class FoldResult:
    marginals: dict[int, np.ndarray]  # per held-out sentence: tokens x tag_classes
    corrections: list[fixes.Correction]  # the held-out sentences', scored by the fold's CRF


def train_fold(
    sentences: Sequence[Sentence],
    fold_of: Sequence[int],
    fold: int,
    *,
    iterations: int = FOLD_ITERATIONS,
    progress: Callable[[int, int], None] | None = None,
    workdir: Path | None = None,
    c2: float = FOLD_C2,
) -> FoldResult:
    """Train on every fold but `fold`; its sentences' marginals and scored corrections."""
    counts = fixes.FormCounts(sentences)
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        path = Path(scratch) / "fold.crfsuite"
        train_fold_model(
            sentences, fold_of, fold, path, iterations=iterations, progress=progress, c2=c2
        )
        held_out = [i for i, f in enumerate(fold_of) if f == fold]
        return judge(sentences, held_out, crf.Tagger(path), counts)


def train_fold_model(
    sentences: Sequence[Sentence],
    fold_of: Sequence[int],
    fold: int,
    path: Path,
    *,
    iterations: int = FOLD_ITERATIONS,
    progress: Callable[[int, int], None] | None = None,
    c2: float = FOLD_C2,
) -> None:
    """The fold's CRF (trained on every fold but `fold`), saved at `path`."""
    train_set = [s for s, f in zip(sentences, fold_of, strict=True) if f != fold]
    crf.train(train_set, path, iterations=iterations, progress=progress, c2=c2)


def judge(
    sentences: Sequence[Sentence],
    indices: Iterable[int],
    tagger: crf.Tagger,
    counts: fixes.FormCounts,
) -> FoldResult:
    """The marginals and scored corrections of the sentences at `indices`, by a fold's CRF
    that never saw them."""
    classes = tag_classes(sentences)
    result = FoldResult({}, [])
    for i in indices:
        tokens, tags = sentences[i]
        if not len(tokens):
            continue
        matrix = _matrix(tagger.marginals(tokens), classes, len(tokens))
        result.marginals[i] = matrix
        rate = lambda sequences, tokens=tokens: tagger.log_probabilities(tokens, sequences)  # noqa: E731
        result.corrections += propose_and_score(i, tokens, tags, matrix, classes, counts, rate)
    return result


def _fold(job: tuple) -> FoldResult:
    sentences, fold_of, k, iterations, workdir = job
    return train_fold(sentences, fold_of, k, iterations=iterations, workdir=workdir)


def plan_folds(
    sentences: Sequence[Sentence],
    folds: int,
    seed: int = 0,
    documents: Sequence[object] | None = None,
) -> list[int]:
    if folds < 2 or len(sentences) < folds:
        raise ValueError(f"need at least 2 folds and one sentence per fold ({len(sentences)})")
    return assign_folds(len(sentences), folds, seed, documents)


@dataclass(slots=True)
class OutOfFold:
    marginals: list[np.ndarray]  # per sentence in input order (empty sentences: empty arrays)
    corrections: list[fixes.Correction]


def assemble(sentences: Sequence[Sentence], parts: Sequence[FoldResult]) -> OutOfFold:
    """The folds' results as one: marginals in sentence order, every correction."""
    width = len(tag_classes(sentences))
    marginals: list[np.ndarray] = [np.zeros((0, width)) for _ in sentences]
    found: list[fixes.Correction] = []
    for part in parts:
        for i, matrix in part.marginals.items():
            marginals[i] = matrix
        found += part.corrections
    return OutOfFold(marginals, found)


def out_of_fold(
    sentences: Sequence[Sentence],
    *,
    folds: int = FOLDS,
    iterations: int = FOLD_ITERATIONS,
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
    workdir: Path | None = None,
    documents: Sequence[object] | None = None,
) -> OutOfFold:
    """Per sentence, the marginals (tokens x tag_classes) of a CRF trained without it, and
    its corrections scored by that CRF.

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
            train_fold(
                sentences, fold_of, k, iterations=iterations, progress=report, workdir=workdir
            )  # fmt: skip
        )
    return assemble(sentences, parts)
