"""The "likely-errors" job: k-fold CRF over a layer, out-of-fold marginals, ranked by cleanlab.

Each fold is a Celery task of its own, so two workers halve the wall time (and more scale it
further). Folds meet in the job's scratch folder under MODEL_ROOT (which web and workers share):
the input once, each fold's marginals when done (written whole or not at all), and the worker
that finds every fold done ranks and completes the job. A redelivered fold whose file exists
does not train again; the job's output is written once (`jobs.complete`).

Its output is only the job's result: the top issues (where, given tag, suggested tag, score)
and the worst sentences, which the likely-errors page turns into a review queue.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from django.core.cache import cache
from django.db import transaction

from annotator.models import SentenceTags
from annotator.nlp import scheme
from annotator.services import jobs, scratch
from annotator.services.jobs import JobFailed, complete

KIND = "likely-errors"
TOP_ISSUES = 500
TOP_SENTENCES = 100


def layer_sentences(project, layer: str) -> list[tuple]:
    """(document id, sentence id, position, tokens, IOB2 tags) of a layer, in document order."""
    rows = (
        SentenceTags.objects.filter(layer__document__project=project, layer__name=layer)
        .order_by("layer__document__position", "sentence__position")
        .values_list(
            "layer__document_id",
            "sentence_id",
            "sentence__position",
            "sentence__tokens",
            "tags",
            "layer__document__scheme",
        )
    )
    return [
        (document, sentence, position, tokens, scheme.convert(tags, doc_scheme, "iob2"))
        for document, sentence, position, tokens, tags, doc_scheme in rows.iterator(chunk_size=2000)
    ]


def run_likely_errors(job, progress) -> None:
    """Read the layer, plan the folds; then train them here (no worker: a command, a test) or
    send each fold to the workers as a task of its own, the last of which ranks."""
    params = job.params
    layer = params["layer"]
    folds = int(params.get("folds", 5))
    iterations = int(params.get("iterations", 50))
    progress(0, folds * iterations, f"Reading layer {layer}")
    rows = layer_sentences(job.project, layer)
    sentences = [(tokens, tags) for *_, tokens, tags in rows]
    if len(sentences) < max(10, 2 * folds):
        raise JobFailed(f"layer {layer!r} has too few sentences for {folds} folds")
    from annotator.nlp import likely_errors  # numpy and cleanlab: only where the job runs

    fold_of = likely_errors.plan_folds(
        sentences, folds, int(params.get("seed", 0)), documents=[row[0] for row in rows]
    )
    folder = _folder(job)
    for earlier in scratch.root().glob(f"job-{job.pk}-*"):  # killed attempts' leftovers
        if earlier != folder:
            shutil.rmtree(earlier, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / "input.json", {"rows": [list(row) for row in rows], "fold_of": fold_of})
    missing = [k for k in range(folds) if not _fold_file(folder, k).exists()]
    if not job.worker:  # in this process: no worker to share the folds with
        for k in missing:
            jobs.run_part(job.pk, lambda job, progress, k=k: run_fold(job, progress, k))
        return
    from celery import group

    from annotator import tasks

    group(tasks.run_likely_errors_fold.s(job.pk, k) for k in missing).apply_async()
    if not missing:  # every fold was done before a redelivery: rank now
        jobs.run_part(job.pk, lambda job, progress: run_fold(job, progress, None))


def run_fold(job, progress, fold: int | None) -> None:
    """Train one fold (unless its marginals are on disk); whoever finds all folds done ranks."""
    from annotator.nlp import likely_errors

    folder = _folder(job)
    data = json.loads((folder / "input.json").read_text(encoding="utf-8"))
    rows, fold_of = data["rows"], data["fold_of"]
    sentences = [(row[3], row[4]) for row in rows]
    folds = int(job.params.get("folds", 5))
    iterations = int(job.params.get("iterations", 50))
    if fold is not None and not _fold_file(folder, fold).exists():
        report = _FoldProgress(job.pk, progress, fold, folds, iterations)
        part = likely_errors.train_fold(
            sentences, fold_of, fold, iterations=iterations, progress=report, workdir=folder
        )
        _save_part(_fold_file(folder, fold), part, likely_errors.tag_classes(sentences))
    if not all(_fold_file(folder, k).exists() for k in range(folds)):
        return
    if not _claim(folder / "ranking.claim"):
        return  # another fold's worker is ranking
    progress(folds * iterations, folds * iterations, "Ranking")
    classes = likely_errors.tag_classes(sentences)
    parts = [_load_part(_fold_file(folder, k), classes) for k in range(folds)]
    _rank(job, rows, sentences, likely_errors.assemble(sentences, parts))
    shutil.rmtree(folder, ignore_errors=True)


class _FoldProgress:
    """One fold's iterations, summed with the other folds' (each may run on another worker)."""

    def __init__(self, job_id: int, progress, fold: int, folds: int, iterations: int):
        self.keys = [f"job:{job_id}:fold:{k}" for k in range(folds)]
        self.progress, self.fold, self.total = progress, fold, folds * iterations
        self.iterations = iterations
        self.last = float("-inf")  # monotonic() counts from boot: it may be small

    def __call__(self, done: int, _total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and done < self.iterations:
            return
        self.last = now
        cache.set(self.keys[self.fold], done, 3600)
        counts = cache.get_many(self.keys)
        finished = sum(1 for n in counts.values() if n >= self.iterations)
        self.progress(
            sum(counts.values()),
            self.total,
            f"Training folds: {finished} of {len(self.keys)} done, fold {self.fold + 1} "
            f"at iteration {done}",
        )


def _rank(job, rows, sentences, judged) -> None:
    from annotator.nlp import likely_errors

    params = job.params
    ranking = likely_errors.rank(sentences, judged.marginals, corrections=judged.corrections)
    issues = [
        {
            "document": rows[x.sentence][0],
            "sentence": rows[x.sentence][1],
            "position": rows[x.sentence][2],
            "token": x.token,
            "given": x.given,
            "suggested": x.suggested,
            "score": x.score,
            "confidence": x.confidence,
            "kind": x.kind,
        }
        for x in ranking.issues[:TOP_ISSUES]
    ]
    worst = [
        {
            "document": rows[i][0],
            "sentence": rows[i][1],
            "position": rows[i][2],
            "score": float(f"{ranking.sentence_scores[i]:.6g}"),
        }
        for i in ranking.worst_sentences(TOP_SENTENCES)
    ]
    result = {
        "layer": params["layer"],
        "folds": int(params.get("folds", 5)),
        "iterations": int(params.get("iterations", 50)),
        "sentences": len(sentences),
        "tokens": sum(len(tokens) for tokens, _ in sentences),
        "disagreements": len(ranking.issues),
        "flagged": len(likely_errors.flagged(sentences, judged.marginals)),
        "issues": issues,
        "worst_sentences": worst,
    }
    with transaction.atomic():
        complete(
            job,
            result,
            message=f"Ranked {len(ranking.issues)} doubtful tags of layer {params['layer']!r}; "
            f"cleanlab flags {result['flagged']} as likely errors.",
        )


def _folder(job) -> Path:
    """The attempt's scratch folder (input, one file per fold), shared by the workers; the
    workers' sweep removes it once the attempt is over, whatever its outcome."""
    return scratch.root() / f"job-{job.pk}-{job.attempts}"


def _claim(path: Path) -> bool:
    """True for the one caller that creates the file. A file in the attempt's own folder, not a
    cache key: job ids start again on a new database, and a key would outlive it."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _fold_file(folder: Path, fold: int) -> Path:
    return folder / f"fold-{fold}.npz"


def _write_json(path: Path, data) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)  # atomic: a reader sees the whole file or none


def _save_part(path: Path, part, classes: list[str]) -> None:
    """A fold's marginals and corrections as arrays (tags as class numbers), in one file."""
    import numpy as np

    from annotator.nlp.corrections import KINDS

    index = sorted(part.marginals)
    lengths = [len(part.marginals[i]) for i in index]
    data = np.concatenate([part.marginals[i] for i in index]) if index else np.zeros((0, 0))
    number = {tag: n for n, tag in enumerate(classes)}
    found = part.corrections
    partial = path.with_name(path.stem + ".partial.npz")
    np.savez(
        partial,
        index=np.array(index, dtype=np.int64),
        lengths=np.array(lengths, dtype=np.int64),
        data=data,
        where=np.array([[c.sentence, c.start, len(c.tags)] for c in found], dtype=np.int64),
        kinds=np.array([KINDS.index(c.kind) for c in found], dtype=np.int64),
        gains=np.array([c.gain for c in found], dtype=float),
        tags=np.array([number[tag] for c in found for tag in c.tags], dtype=np.int64),
    )
    partial.replace(path)


def _load_part(path: Path, classes: list[str]):
    import numpy as np

    from annotator.nlp import likely_errors
    from annotator.nlp.corrections import KINDS, Correction

    with np.load(path, allow_pickle=False) as saved:
        index, lengths, data = saved["index"], saved["lengths"], saved["data"]
        where, kinds, gains, tags = saved["where"], saved["kinds"], saved["gains"], saved["tags"]
    ends = np.cumsum(lengths)
    rows = zip(index, lengths, ends, strict=True)
    marginals = {int(i): data[end - n : end] for i, n, end in rows}
    found, at = [], 0
    for (sentence, start, length), kind, gain in zip(where.tolist(), kinds, gains, strict=True):
        new = tuple(classes[n] for n in tags[at : at + length])
        found.append(Correction(sentence, start, new, KINDS[kind], float(gain)))
        at += length
    return likely_errors.FoldResult(marginals, found)
