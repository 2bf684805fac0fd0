"""spaCy pre-annotation with a blank pipeline and an entity ruler, and who may add models."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotator import params
from annotator.models import Job, Membership, SentenceTags, TaggerModel, TagLayer
from annotator.nlp.spacy_tagger import SpacyTagger, parse_mapping
from annotator.services import corpus, jobs, tagger_models
from tests.paths import DEMO_SAMPLE

spacy = pytest.importorskip("spacy")
SAMPLE = DEMO_SAMPLE


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> str:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "ORG", "pattern": [{"LOWER": "pytorch"}]},
            {"label": "PRODUCT", "pattern": [{"LOWER": "recurrent"}, {"LOWER": "neural"}]},
            {"label": "GPE", "pattern": "Paris"},
        ]
    )
    path = tmp_path_factory.mktemp("spacy") / "ruler"
    nlp.to_disk(path)
    return str(path)


def test_the_mapping_text_is_read_leniently() -> None:
    assert parse_mapping("ORG=Library, PRODUCT = Algorithm\n=x, junk") == {
        "ORG": "Library",
        "PRODUCT": "Algorithm",
    }


def test_entities_are_mapped_and_unmapped_labels_left_out(pipeline) -> None:
    tagger = SpacyTagger(pipeline, {"ORG": "Library", "PRODUCT": "Algorithm"})
    tokens = ["PyTorch", "beats", "recurrent", "neural", "nets", "in", "Paris"]
    assert tagger.tag(tokens) == ["B-Library", "O", "B-Algorithm", "I-Algorithm", "O", "O", "O"]


def register(project, name: str, pipeline: str, mapping: dict) -> TaggerModel:
    settings = {"pipeline": pipeline, "mapping": mapping}
    return tagger_models.register(
        user=None, project=project, kind="spacy", name=name, settings=settings
    )


@pytest.fixture
def project(db):
    with SAMPLE.open("rb") as stream:
        return corpus.import_conll(project_name="Spacy", files=[(SAMPLE.name, stream)]).project


def test_preannotation_with_the_pipeline_writes_a_suggestions_layer(project, pipeline) -> None:
    model = register(project, "ruler", pipeline, {"ORG": "Library"})
    job = Job.objects.create(kind="preannotate", project=project, params={"model": model.pk})
    jobs.run_job(job.pk)
    job.refresh_from_db()

    assert job.state == Job.State.DONE, job.error
    layer = TagLayer.objects.get(name=job.result["layer"])
    tagged = [
        tags
        for tokens, tags in SentenceTags.objects.filter(layer=layer).values_list(
            "sentence__tokens", "tags"
        )
        if "PyTorch" in tokens
    ]
    assert tagged and all("B-Library" in tags for tags in tagged)


def test_a_mapping_to_labels_the_project_lacks_is_refused(project, pipeline) -> None:
    with pytest.raises(params.BadParams, match="Spaceship"):
        register(project, "x", pipeline, {"ORG": "Spaceship"})


def test_a_pipeline_that_cannot_be_loaded_fails_the_job_with_the_reason(project) -> None:
    model = register(project, "gone", "/nowhere/at/all", {"ORG": "Library"})
    job = Job.objects.create(kind="preannotate", project=project, params={"model": model.pk})
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "/nowhere/at/all" in job.error


@pytest.mark.parametrize(
    ("role", "status"), [("manager", 302), ("annotator", 403), ("reviewer", 403), (None, 404)]
)
@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("spacy", {"pipeline": "x", "mapping": "ORG=Library"}),
        ("remote", {"name": "r", "url": "http://127.0.0.1:9/"}),
    ],
)
def test_only_managers_add_models(
    project, django_user_model, settings, role, status, kind, data
) -> None:
    settings.REMOTE_MODEL_HOSTS = ["127.0.0.1"]  # the administrator allows the address
    user = django_user_model.objects.create_user("someone", password="pw-123456")
    if role:
        Membership.objects.create(project=project, user=user, role=role)
    client = Client()
    client.force_login(user)

    response = client.post(reverse("annotator-model-register", args=[project.pk, kind]), data)

    assert response.status_code == status
    assert TaggerModel.objects.filter(project=project).exists() == (status == 302)
