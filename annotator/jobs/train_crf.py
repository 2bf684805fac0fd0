"""The train-crf job: a CRF trained on a layer (nlp/crf.py), evaluated on held-out sentences,
stored as the next version of its name."""

from __future__ import annotations

import random
from pathlib import Path

from django.conf import settings
from django.db import transaction
from rest_framework import serializers

from annotator.jobs.base import JobKind
from annotator.nlp import crf
from annotator.params import Clamped, Form, documents_field
from annotator.services.jobs import JobFailed, complete
from annotator.services.scratch import scratch_folder
from annotator.services.tagger_models import HELD_OUT, store_model, training_sentences


class Params(Form):
    """The layer and documents to learn from, the model's name, the training iterations."""

    layer = serializers.CharField(default="gold", max_length=200, help_text="Learn from it.")
    name = serializers.CharField(default="crf", max_length=100, help_text="The model's name.")
    documents = documents_field()
    iterations = Clamped(default=100, min_value=5, max_value=200)


def run(job, progress) -> None:
    params, project = job.params, job.project
    iterations = int(params.get("iterations", 100))
    # Stages from the start: reading a large layer and preparing its features take a while
    # before the first training iteration reports.
    progress(0, iterations, f"Reading layer {params['layer']}")
    sentences = training_sentences(project, params["layer"], params.get("documents"))
    if len(sentences) < 10:
        raise JobFailed(f"layer {params['layer']!r} has too few sentences to learn from")
    shuffled = list(sentences)
    random.Random(params.get("seed", 0)).shuffle(shuffled)  # noqa: S311 - a reproducible split
    cut = max(1, int(len(shuffled) * HELD_OUT))
    held_out, train_set = shuffled[:cut], shuffled[cut:]
    progress(0, iterations, f"Preparing the features of {len(train_set):,} sentences")
    folder = Path(settings.MODEL_ROOT) / f"project-{project.pk}"
    folder.mkdir(parents=True, exist_ok=True)
    # Written in the attempt's scratch folder first: a cancelled, failed or killed job leaves
    # no model behind (a killed one's folder goes with the workers' sweep).
    with scratch_folder(job) as scratch:
        scratch_path = scratch / "model.crfsuite"
        crf.train(
            train_set,
            scratch_path,
            iterations=iterations,
            progress=lambda i, n: progress(i, n, "Training"),
        )
        tagger = crf.Tagger(scratch_path)
        evaluation = crf.evaluate([t for _, t in held_out], [tagger.tag(w) for w, _ in held_out])
        trained_on = {
            "layer": params["layer"],
            "sentences": len(train_set),
            "tokens": sum(len(w) for w, _ in train_set),
            "held_out_sentences": len(held_out),
        }
        with transaction.atomic():
            model = store_model(job, scratch_path, params["name"], evaluation, trained_on)
            f1 = evaluation["micro"]["f1"]
            complete(
                job,
                {"model": model.pk, "name": str(model), "evaluation": evaluation},
                message=f"Trained {model}: held-out F1 {f1:.3f}.",
            )


KIND = JobKind(
    name="train-crf",
    run=run,
    params=Params,
    summary="a CRF trained on `layer`, stored as the next version of `name`",
)
