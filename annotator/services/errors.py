"""The "likely-errors" job: k-fold CRF over a layer, out-of-fold marginals, ranked by cleanlab.

Its output is only the job's result: the top issues (where, given tag, suggested tag, score)
and the worst sentences, which the likely-errors page turns into a review queue.
"""

from __future__ import annotations

from django.db import transaction

from annotator.models import SentenceTags
from annotator.nlp import scheme
from annotator.services.jobs import JobFailed, complete, runner
from annotator.services.scratch import scratch_folder

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


@runner(KIND)
def run_likely_errors(job, progress) -> None:
    # Imported here: cleanlab brings numpy, pandas and scikit-learn (1.5 s and 130 MB), which
    # only the worker running this job needs, not every web process.
    from annotator.nlp import errors

    params = job.params
    layer = params["layer"]
    folds = int(params.get("folds", 5))
    iterations = int(params.get("iterations", 50))
    progress(0, folds * iterations, f"Reading layer {layer}")
    rows = layer_sentences(job.project, layer)
    sentences = [(tokens, tags) for *_, tokens, tags in rows]
    if len(sentences) < max(10, 2 * folds):
        raise JobFailed(f"layer {layer!r} has too few sentences for {folds} folds")
    with scratch_folder(job) as scratch:
        marginals = errors.out_of_fold(
            sentences,
            folds=folds,
            iterations=iterations,
            seed=int(params.get("seed", 0)),
            progress=progress,
            workdir=scratch,
        )
    progress(folds * iterations, folds * iterations, "Ranking")
    ranking = errors.rank(sentences, marginals)
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
        "layer": layer,
        "folds": folds,
        "iterations": iterations,
        "sentences": len(sentences),
        "tokens": sum(len(tokens) for tokens, _ in sentences),
        "disagreements": len(ranking.issues),
        "flagged": len(errors.flagged(sentences, marginals)),
        "issues": issues,
        "worst_sentences": worst,
    }
    with transaction.atomic():
        complete(
            job,
            result,
            message=f"Ranked {len(ranking.issues)} doubtful tags of layer {layer!r}; "
            f"cleanlab flags {result['flagged']} as likely errors.",
        )
