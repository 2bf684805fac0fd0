"""CRF training and pre-annotation, through the jobs and the commands."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from annotator.models import Job, SentenceTags, TaggerModel, TagLayer
from annotator.nlp import scheme as nlp_scheme
from annotator.services import corpus, jobs
from tests.paths import DEMO_SAMPLE

SAMPLE = DEMO_SAMPLE


@pytest.fixture
def project(db, settings, tmp_path):
    settings.MODEL_ROOT = tmp_path / "models"
    with SAMPLE.open("rb") as stream:
        return corpus.import_conll(project_name="Models", files=[(SAMPLE.name, stream)]).project


def run(project, kind, params) -> Job:
    job = Job.objects.create(kind=kind, project=project, params=params)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    return job


def test_training_stores_a_versioned_model_with_its_held_out_evaluation(project, settings):
    first = run(project, "train-crf", {"layer": "imported", "name": "m", "iterations": 10})
    second = run(project, "train-crf", {"layer": "imported", "name": "m", "iterations": 10})

    assert first.state == second.state == Job.State.DONE, (first.error, second.error)
    models = list(TaggerModel.objects.filter(project=project).order_by("version"))
    assert [m.version for m in models] == [1, 2]
    model = models[0]
    assert (Path(settings.MODEL_ROOT) / model.path).exists()
    assert model.trained_on["sentences"] + model.trained_on["held_out_sentences"] == 107
    assert 0 <= model.evaluation["micro"]["f1"] <= 1
    assert model.evaluation["micro"]["support"] > 0


def test_training_on_a_missing_layer_fails_with_the_reason(project):
    job = run(project, "train-crf", {"layer": "gold", "name": "m"})
    assert job.state == Job.State.FAILED and "gold" in job.error
    assert not TaggerModel.objects.exists()


def test_the_commands_train_preannotate_and_export_the_suggestions(project, tmp_path):
    out = StringIO()
    call_command(
        "train_model", project="Models", layer="imported", name="cli", iterations=10, stdout=out
    )
    assert "Trained cli v1" in out.getvalue()

    out = StringIO()
    call_command("preannotate", project="Models", model="cli", stdout=out)
    layer_name = out.getvalue().strip()
    assert TagLayer.objects.filter(name=layer_name, kind=TagLayer.Kind.MODEL).count() == 1
    rows = SentenceTags.objects.filter(layer__name=layer_name)
    assert rows.count() == 107

    target = tmp_path / "suggestions.conll"
    call_command("export_conll", project="Models", layer=layer_name, output=str(target))
    lines = [line for line in target.read_text().splitlines() if "\t" in line]
    assert len(lines) == 2403
    assert any(line.endswith("-Algorithm") for line in lines)


def test_crf_preannotation_stores_each_suggestions_confidence_and_sentence_probability(project):
    run(project, "train-crf", {"layer": "imported", "name": "m", "iterations": 10})
    model = TaggerModel.objects.get(project=project)

    job = run(project, "preannotate", {"model": model.pk})

    assert job.state == Job.State.DONE, job.error
    rows = SentenceTags.objects.filter(layer__name=job.result["layer"]).select_related("layer")
    scheme_name = project.documents.get().scheme
    spans_seen = 0
    for row in rows:
        assert 0 < row.probability <= 1
        spans = [(s.start, s.end) for s in nlp_scheme.spans(row.tags, scheme_name)]
        assert [(start, end) for start, end, _ in row.confidence] == spans
        assert all(0 < conf <= 1 for _, _, conf in row.confidence)
        spans_seen += len(spans)
    assert spans_seen > 0
