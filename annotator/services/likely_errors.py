"""The "likely-errors" job: k-fold CRF over a layer, out-of-fold marginals, ranked by cleanlab.

The work is spread over the workers as Celery tasks: each fold's training (the largest
training sets first), then each fold's held-out sentences judged in SCORING_PARTS parts, queued
by the fold once its model is saved. While the last folds train, the other workers judge the
earlier folds' sentences, so none idles through the last round. Tasks meet in the job's scratch
folder under MODEL_ROOT (which web and workers share): the input once, each fold's model, each
part's marginals and rated corrections (written whole or not at all), and the task that finds
every part done ranks (a sort: each part rated its corrections) and completes the job. A
redelivered task whose file exists does not work again; the output is written once
(`jobs.complete`).

Its output is only the job's result: the top issues (where, given tag, suggested tag, score)
and the worst sentences, which the likely-errors page turns into a review queue.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.db import transaction

from annotator.models import SentenceTags
from annotator.nlp import scheme
from annotator.services import jobs, scratch
from annotator.services.jobs import JobFailed, complete

KIND = "likely-errors"
log = logging.getLogger(__name__)
TOP_ISSUES = 500
TOP_SENTENCES = 100
# Each fold's held-out sentences are judged in this many tasks, so that while the last folds
# train, the other workers judge (with folds not a multiple of the workers, the last round of
# training would otherwise leave a worker idle). Parts are small (a few seconds): the last
# folds' spread evenly over the workers.
SCORING_PARTS = 4


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
    """Read the layer, plan the folds; then train and judge them here (no worker: a command, a
    test) or send the work to the workers as tasks: each fold's training, then its held-out
    sentences in SCORING_PARTS parts; the task that finds every part done ranks."""
    params = job.params
    layer = params["layer"]
    folds, iterations = _folds_and_iterations(params)
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
    if not job.worker:  # in this process: no worker to share the work with
        for k in range(folds):
            jobs.run_part(job.pk, lambda job, progress, k=k: run_fold(job, progress, k))
        return
    untrained = [k for k in range(folds) if not _model_file(folder, k).exists()]
    held_out = [0] * folds  # tokens
    for row, k in zip(rows, fold_of, strict=True):
        held_out[k] += len(row[3])
    untrained.sort(key=held_out.__getitem__)  # the largest training sets first
    unjudged = [
        (k, part)
        for k in range(folds)
        if k not in untrained
        for part in range(SCORING_PARTS)
        if not _part_file(folder, k, part).exists()
    ]
    _send(job.pk, untrained, unjudged)
    if not untrained and not unjudged:  # every part was done before a redelivery: rank now
        jobs.run_part(job.pk, lambda job, progress: run_part(job, progress, None, None))


def _folds_and_iterations(params: dict) -> tuple[int, int]:
    """The job's folds and iterations; a job saved without them gets the finder's defaults."""
    from annotator.nlp import likely_errors

    folds = int(params.get("folds", likely_errors.FOLDS))
    return folds, int(params.get("iterations", likely_errors.FOLD_ITERATIONS))


def _send(job_id: int, folds: list[int], parts: list[tuple[int, int]]) -> None:
    from celery import group

    from annotator import tasks

    signatures = [tasks.run_likely_errors_fold.s(job_id, k) for k in folds]
    signatures += [tasks.run_likely_errors_part.s(job_id, k, part) for k, part in parts]
    if signatures:
        group(signatures).apply_async()


def run_fold(job, progress, fold: int) -> None:
    """Train one fold's CRF (unless it is on disk), then judge its held-out sentences: here
    (no worker) or as SCORING_PARTS tasks, so every worker shares them while the last folds
    train."""
    from annotator.nlp import likely_errors

    folder = _folder(job)
    model = _model_file(folder, fold)
    if not model.exists():
        data = _input(folder)
        folds, iterations = _folds_and_iterations(job.params)
        report = _FoldProgress(job.pk, progress, fold, folds, iterations)
        training = folder / f"fold-{fold}.training"
        shutil.rmtree(training, ignore_errors=True)
        likely_errors.train_fold_model(
            data.sentences,
            data.fold_of,
            fold,
            training / "model.crfsuite",
            iterations=iterations,
            progress=report,
        )
        _move_model(training / "model.crfsuite", model)
        shutil.rmtree(training, ignore_errors=True)
    parts = [p for p in range(SCORING_PARTS) if not _part_file(folder, fold, p).exists()]
    if job.worker:
        _send(job.pk, [], [(fold, p) for p in parts])
        return
    for part in parts:
        run_part(job, progress, fold, part)


def run_part(job, progress, fold: int | None, part: int | None) -> None:
    """Judge one part of a fold's held-out sentences (unless done); whoever finds every part
    of every fold done ranks."""
    from annotator.nlp import likely_errors

    folder = _folder(job)
    data = _input(folder)
    folds, iterations = _folds_and_iterations(job.params)
    if fold is not None and not _part_file(folder, fold, part).exists():
        done = sum(
            _part_file(folder, k, p).exists() for k in range(folds) for p in range(SCORING_PARTS)
        )
        progress(
            folds * iterations,
            folds * iterations,
            f"Judging the held-out sentences: {done} of {folds * SCORING_PARTS} parts done",
        )
        held_out = [i for i, f in enumerate(data.fold_of) if f == fold][part::SCORING_PARTS]
        tagger = likely_errors.crf.Tagger(_model_file(folder, fold))
        judged = likely_errors.judge(data.sentences, held_out, tagger, data.counts)
        rated = likely_errors.rate(data.sentences, judged.corrections, data.counts)
        _save_part(_part_file(folder, fold, part), judged.marginals, rated, data.classes)
    every = [_part_file(folder, k, p) for k in range(folds) for p in range(SCORING_PARTS)]
    if not all(path.exists() for path in every):
        return
    if not _claim(folder / "ranking.claim"):
        return  # another part's worker is ranking
    progress(folds * iterations, folds * iterations, "Ranking")
    began = time.monotonic()
    marginals, rated = _load_parts(every, data)
    _rank(job, data.rows, data.sentences, marginals, rated)
    log.info("likely errors: job %s ranked in %.1f s", job.pk, time.monotonic() - began)
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


def _rank(job, rows, sentences, marginals, rated) -> None:
    from annotator.nlp import likely_errors

    params = job.params
    folds, iterations = _folds_and_iterations(params)
    ranking = likely_errors.rank(sentences, marginals, rated=rated)
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
        "folds": folds,
        "iterations": iterations,
        "sentences": len(sentences),
        "tokens": sum(len(tokens) for tokens, _ in sentences),
        "disagreements": len(ranking.issues),
        "flagged": len(likely_errors.flagged(sentences, marginals)),
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


def _model_file(folder: Path, fold: int) -> Path:
    return folder / f"fold-{fold}.crfsuite"


def _part_file(folder: Path, fold: int, part: int) -> Path:
    return folder / f"fold-{fold}-part-{part}.npz"


def _move_model(trained: Path, model: Path) -> None:
    """The model's files into place, the model itself last: once it exists, all of it does."""
    from annotator.nlp import crf

    for path in crf.files(trained):
        if path != trained:
            path.replace(model.with_name(model.stem + path.name.removeprefix(trained.stem)))
    trained.replace(model)


def _write_json(path: Path, data) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)  # atomic: a reader sees the whole file or none


@dataclass(slots=True)
class _Input:
    rows: list
    fold_of: list[int]
    sentences: list
    classes: list[str]
    _counts: object = None

    @property
    def counts(self):
        """The corpus's voice (FormCounts), built once per process and job when first needed."""
        if self._counts is None:
            from annotator.nlp.corrections import FormCounts

            self._counts = FormCounts(self.sentences)
        return self._counts


_loaded: dict = {}  # the last job's input in this process: its parts come one after another


def _input(folder: Path) -> _Input:
    """The job's input (rows, folds), read once per worker process (the same folder name may
    come again with another database: the file's identity is part of the key)."""
    from annotator.nlp import likely_errors

    path = folder / "input.json"
    info = path.stat()
    key = (str(path), info.st_ino, info.st_mtime_ns, info.st_size)
    if key not in _loaded:
        data = json.loads(path.read_text(encoding="utf-8"))
        sentences = [(row[3], row[4]) for row in data["rows"]]
        _loaded.clear()
        _loaded[key] = _Input(
            data["rows"], data["fold_of"], sentences, likely_errors.tag_classes(sentences)
        )
    return _loaded[key]


def _save_part(path: Path, marginals: dict, rated: list, classes: list[str]) -> None:
    """A part's marginals and rated corrections as arrays (tags as class numbers), in one file."""
    import numpy as np

    from annotator.nlp.corrections import KINDS

    index = sorted(marginals)
    lengths = [len(marginals[i]) for i in index]
    data = np.concatenate([marginals[i] for i in index]) if index else np.zeros((0, 0))
    number = {tag: n for n, tag in enumerate(classes)}
    found = [c for _, c in rated]
    partial = path.with_name(path.stem + ".partial.npz")
    np.savez(
        partial,
        index=np.array(index, dtype=np.int64),
        lengths=np.array(lengths, dtype=np.int64),
        data=data,
        where=np.array([[c.sentence, c.start, len(c.tags)] for c in found], dtype=np.int64),
        kinds=np.array([KINDS.index(c.kind) for c in found], dtype=np.int64),
        gains=np.array([c.gain for c in found], dtype=float),
        values=np.array([value for value, _ in rated], dtype=float),
        tags=np.array([number[tag] for c in found for tag in c.tags], dtype=np.int64),
    )
    partial.replace(path)


def _load_parts(paths: list[Path], data: _Input) -> tuple[list, list]:
    """Every part's marginals (in sentence order) and rated corrections, as one."""
    import numpy as np

    from annotator.nlp.corrections import KINDS, Correction

    classes = data.classes
    marginals = [np.zeros((0, len(classes))) for _ in data.sentences]
    rated = []
    for path in paths:
        with np.load(path, allow_pickle=False) as saved:
            index, lengths, matrix = saved["index"], saved["lengths"], saved["data"]
            where, kinds, gains = saved["where"], saved["kinds"], saved["gains"]
            values, tags = saved["values"], saved["tags"]
        ends = np.cumsum(lengths)
        for i, n, end in zip(index.tolist(), lengths.tolist(), ends.tolist(), strict=True):
            marginals[i] = matrix[end - n : end]
        at = 0
        rows = zip(where.tolist(), kinds.tolist(), gains.tolist(), values.tolist(), strict=True)
        for (sentence, start, length), kind, gain, value in rows:
            new = tuple(classes[n] for n in tags[at : at + length].tolist())
            rated.append((value, Correction(sentence, start, new, KINDS[kind], gain)))
            at += length
    return marginals, rated
