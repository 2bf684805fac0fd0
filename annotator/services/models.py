"""Training CRF models and pre-annotating documents with them, as jobs."""

from __future__ import annotations

import random
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from annotator.models import Project, SentenceTags, TaggerModel
from annotator.nlp import crf, remote, remote_hosts, scheme, suggestions
from annotator.nlp.spacy_tagger import SpacyTagger
from annotator.services.jobs import JobFailed, complete, runner
from annotator.services.preannotate import write_suggestions
from annotator.services.scratch import scratch_folder

HELD_OUT = 0.1


def training_sentences(project, layer: str, document_ids: list[int] | None) -> list:
    """(tokens, IOB2 tags) of a layer across the chosen documents, in document order."""
    rows = SentenceTags.objects.filter(layer__document__project=project, layer__name=layer)
    if document_ids:
        rows = rows.filter(layer__document_id__in=document_ids)
    rows = rows.order_by("layer__document__position", "sentence__position").values_list(
        "sentence__tokens", "tags", "layer__document__scheme"
    )
    return [
        (tokens, scheme.convert(tags, doc_scheme, "iob2"))
        for tokens, tags, doc_scheme in rows.iterator(chunk_size=2000)
    ]


@runner("train-crf")
def run_train(job, progress) -> None:
    params = job.params
    project = job.project
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
        with transaction.atomic():
            model = store_model(
                job,
                scratch_path,
                params["name"],
                evaluation,
                {
                    "layer": params["layer"],
                    "sentences": len(train_set),
                    "tokens": sum(len(w) for w, _ in train_set),
                    "held_out_sentences": len(held_out),
                },
            )
            f1 = evaluation["micro"]["f1"]
            complete(
                job,
                {"model": model.pk, "name": str(model), "evaluation": evaluation},
                message=f"Trained {model}: held-out F1 {f1:.3f}.",
            )


def store_model(job, scratch_path: Path, name: str, evaluation: dict, trained_on: dict):
    """Move a trained model out of the job's scratch folder as the next version of `name`;
    call inside the transaction that completes the job."""
    project = job.project
    version = next_version(project, name)
    relative = f"project-{project.pk}/{_safe(name)}-v{version}.crfsuite"
    final = Path(settings.MODEL_ROOT) / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    for part in crf.files(scratch_path):  # the model and its sidecar, renamed alike
        part.replace(final.parent / part.name.replace("model", final.stem, 1))
    return TaggerModel.objects.create(
        project=project,
        name=name,
        version=version,
        path=relative,
        created_by=job.user,
        evaluation=evaluation,
        trained_on=trained_on,
    )


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:80]


@runner("preannotate")
def run_preannotate(job, progress) -> None:
    params = job.params
    model = TaggerModel.objects.filter(pk=params["model"], project=job.project).first()
    if model is None:
        raise JobFailed("that model no longer exists")
    write_suggestions(job, _tagger(model), str(model), progress, {"model": str(model)})


class _Remote:
    """A remote model as a tagger; checks its labels against the project's."""

    def __init__(self, model: TaggerModel):
        self.url = model.url
        self.labels = set(model.project.labels)

    def tag_many(self, sentences: list[list[str]]) -> list[list[str]]:
        # Checked again at call time: the list may have changed, or the name now resolves
        # elsewhere, since the model was registered.
        try:
            tagged = remote.tag_all(self.url, sentences, allowed=allowed_hosts())
        except (remote.RemoteError, remote_hosts.NotAllowed) as error:
            raise JobFailed(str(error)) from error
        unknown = sorted(scheme.labels(t for row in tagged for t in row) - self.labels)
        if unknown:
            # Valid tags' labels, shortened: the model's vocabulary, which the manager needs.
            named = ", ".join(label[:40] for label in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise JobFailed(
                f"the model answered labels the project does not have: {named}{more}"
                " (add them on the Settings page first)"
            )
        return tagged


def allowed_hosts() -> list[remote_hosts.Rule]:
    """The administrator's list of model servers (settings.REMOTE_MODEL_HOSTS)."""
    return remote_hosts.parse_rules(settings.REMOTE_MODEL_HOSTS)


class _Local:
    def __init__(self, model: TaggerModel):
        self.tagger = crf.Tagger(Path(settings.MODEL_ROOT) / model.path)

    def tag_many(self, sentences: list[list[str]]) -> list[list[str]]:
        return [self.tagger.tag(tokens) for tokens in sentences]

    def tag_scored(self, sentences: list[list[str]]) -> list[tuple[list[str], float, list]]:
        """Tags with the scores the review page shows (nlp/suggestions.py: span confidence)."""
        result = []
        for tokens in sentences:
            tagged = self.tagger.tag_with_confidence(tokens)
            spans = suggestions.span_confidences(tagged.tags, tagged.confidence)
            result.append((tagged.tags, round(tagged.probability, 6), spans))
        return result


def _tagger(model: TaggerModel):
    if model.kind == TaggerModel.Kind.REMOTE:
        return _Remote(model)
    if model.kind == TaggerModel.Kind.SPACY:
        try:
            return SpacyTagger(model.pipeline, model.mapping)
        except (ImportError, OSError) as error:
            raise JobFailed(
                f"spaCy pipeline {model.pipeline!r} cannot be loaded: {error}"
            ) from error
    return _Local(model)


def next_version(project: Project, name: str) -> int:
    """The version a new model of this name gets; call inside a transaction.

    The project row is locked so two trainings of the same name cannot take the same number
    (PostgreSQL refuses FOR UPDATE with MAX(), so the lock is on the project, not the models).
    """
    Project.objects.select_for_update().filter(pk=project.pk).first()
    top = TaggerModel.objects.filter(project=project, name=name).aggregate(top=Max("version"))
    return (top["top"] or 0) + 1


def register_spacy(*, user, project, name: str, pipeline: str, mapping: dict) -> TaggerModel:
    unknown = set(mapping.values()) - set(project.labels)
    if unknown:
        raise ValueError(f"not labels of the project: {', '.join(sorted(unknown))}")
    return _register(
        project, name, user, kind=TaggerModel.Kind.SPACY, pipeline=pipeline, mapping=mapping
    )


def register_remote(*, user, project, name: str, url: str) -> TaggerModel:
    """remote_hosts.NotAllowed (a ValueError, its message for the user) for a URL off the list."""
    remote_hosts.check_url(url, allowed_hosts())
    return _register(project, name, user, kind=TaggerModel.Kind.REMOTE, url=url)


@transaction.atomic
def _register(project: Project, name: str, user, **fields) -> TaggerModel:
    return TaggerModel.objects.create(
        project=project, name=name, version=next_version(project, name), created_by=user, **fields
    )
