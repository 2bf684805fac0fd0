"""Tagger models (TaggerModel rows): the training data of a layer, storing a trained model as
the next version of its name, registering one by hand, loading one as a Tagger."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from annotator import params
from annotator.models import Project, SentenceTags, TaggerModel
from annotator.nlp import crf, scheme
from annotator.taggers import registry
from annotator.taggers.base import Tagger, TaggerFailed

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


def store_model(job, scratch_path: Path, name: str, evaluation: dict, trained_on: dict):
    """Move a trained CRF out of the job's scratch folder as the next version of `name`;
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
        kind="crf",
        path=relative,
        created_by=job.user,
        evaluation=evaluation,
        trained_on=trained_on,
    )


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:80]


def next_version(project: Project, name: str) -> int:
    """The version a new model of this name gets; call inside a transaction.

    The project row is locked so two trainings of the same name cannot take the same number
    (PostgreSQL refuses FOR UPDATE with MAX(), so the lock is on the project, not the models).
    """
    Project.objects.select_for_update().filter(pk=project.pk).first()
    top = TaggerModel.objects.filter(project=project, name=name).aggregate(top=Max("version"))
    return (top["top"] or 0) + 1


@transaction.atomic
def register(*, user, project: Project, kind: str, name: str, settings: dict) -> TaggerModel:
    """A model of a kind managers add by hand (registry.registrable()), as the next version of
    `name`. params.BadParams (its message for the user) for settings its form refuses or that
    do not fit (a URL off the site's list of model servers, labels the project lacks)."""
    tagger_kind = registry.KINDS[kind]
    if tagger_kind.settings is None:
        raise ValueError(f"{kind} models are not registered by hand")
    checked = params.parse(tagger_kind.settings, settings, project=project)
    return TaggerModel.objects.create(
        project=project,
        name=name,
        version=next_version(project, name),
        kind=kind,
        settings=checked,
        created_by=user,
    )


def load(model: TaggerModel) -> Tagger:
    """The model as a Tagger; taggers.base.TaggerFailed when it cannot be loaded."""
    kind = registry.KINDS.get(model.kind)
    if kind is None:  # a kind this site had when the model was added
        raise TaggerFailed(f"{model.kind} models are not known to this site")
    return kind.load(model)


def rename_label(project: Project, label: str, into: str) -> None:
    """Settings that name the project's labels (a spaCy mapping) follow a rename or merge."""
    for kind in registry.KINDS.values():
        if kind.relabel is None:
            continue
        for model in TaggerModel.objects.filter(project=project, kind=kind.name):
            changed = kind.relabel(model.settings, label, into)
            if changed != model.settings:
                model.settings = changed
                model.save(update_fields=["settings"])
