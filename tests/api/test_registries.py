"""A new tagger kind or job kind is one module and one line in its registry: registered here
by a fixture only, each appears on the jobs page, and the page, the API and the command read
its one form."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from rest_framework import serializers

from annotator.jobs import registry as job_registry
from annotator.jobs.base import JobKind
from annotator.management.commands._jobs import run_here
from annotator.models import Job, SentenceTags, TaggerModel, TagLayer
from annotator.params import Clamped, Form, NotInProject
from annotator.services import jobs, label_changes, tagger_models
from annotator.services.jobs import complete
from annotator.taggers import registry as tagger_registry
from annotator.taggers.base import TaggerKind

pytestmark = pytest.mark.django_db


# A tagger kind: one word, tagged as one label wherever it occurs.
class WordSettings(Form):
    """The word to find and the label it gets."""

    word = serializers.CharField(max_length=50, label="finds", style={"placeholder": "a word"})
    label = serializers.CharField(max_length=200, label="as")

    def fit(self, project, params):
        if params["label"] not in project.labels:
            raise NotInProject({"label": [f"{params['label']} is not a label of the project"]})
        return params


class WordTagger:
    def __init__(self, model):
        self.word, self.label = model.settings["word"], model.settings["label"]

    def tag_many(self, sentences):
        return [[f"B-{self.label}" if t == self.word else "O" for t in s] for s in sentences]


WORD = TaggerKind(
    name="word",
    title="one-word finder",
    load=WordTagger,
    describe=lambda model: f"finds {model.settings['word']!r}",
    settings=WordSettings,
)


# A job kind: counts the project's sentences longer than a minimum.
class LongParams(Form):
    """How many tokens make a sentence long."""

    minimum = Clamped(default=10, min_value=1, max_value=100)


def count_long(job, progress):
    rows = SentenceTags.objects.filter(layer__document__project=job.project)
    tokens = rows.values_list("sentence__tokens", flat=True)
    complete(job, {"long": sum(len(t) >= job.params["minimum"] for t in tokens)})


LONG = JobKind(name="long-sentences", run=count_long, params=LongParams, summary="counts them")


@pytest.fixture(autouse=True)
def registered(monkeypatch, settings):
    settings.REMOTE_MODEL_HOSTS = ["127.0.0.1"]
    monkeypatch.setitem(tagger_registry.KINDS, "word", WORD)
    monkeypatch.setitem(job_registry.KINDS, "long-sentences", LONG)


@pytest.fixture
def page(team) -> Client:
    client = Client()
    client.force_login(team.manager)
    return client


def jobs_page(team) -> str:
    return reverse("annotator-project-jobs", args=[team.project.pk])


def test_a_new_tagger_kind_gets_its_form_on_the_jobs_page(page, team):
    html = page.get(jobs_page(team)).content.decode()
    action = reverse("annotator-model-register", args=[team.project.pk, "word"])
    assert f'action="{action}"' in html
    assert 'name="word"' in html and 'placeholder="a word"' in html and 'name="label"' in html
    # The kinds that come from a job have no form.
    assert reverse("annotator-model-register", args=[team.project.pk, "crf"]) not in html


def test_the_page_and_the_api_add_a_model_of_the_new_kind(page, api, team):
    label = team.project.labels[0]
    url = reverse("annotator-model-register", args=[team.project.pk, "word"])
    assert page.post(url, {"name": "finder", "word": "the", "label": label}).status_code == 302
    response = api("manager").post(
        f"/api/v1/projects/{team.project.pk}/models/",
        {"kind": "word", "name": "finder", "word": "a", "label": label},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["settings"] == {"word": "a", "label": label}
    models = TaggerModel.objects.filter(kind="word").order_by("version")
    assert [(m.version, m.settings["word"]) for m in models] == [(1, "the"), (2, "a")]
    assert "finds &#x27;the&#x27;" in page.get(jobs_page(team)).content.decode()


def test_the_new_kinds_form_refuses_for_the_page_and_the_api_alike(page, api, team):
    url = reverse("annotator-model-register", args=[team.project.pk, "word"])
    shown = page.post(url, {"word": "the", "label": "Spaceship"}, follow=True).content.decode()
    assert "Spaceship is not a label of the project" in shown
    body = {"kind": "word", "name": "x", "word": "the", "label": "Spaceship"}
    response = api("manager").post(f"/api/v1/projects/{team.project.pk}/models/", body)
    assert response.status_code == 422
    assert response.json()["errors"] == {"label": ["Spaceship is not a label of the project"]}
    response = api("manager").post(
        f"/api/v1/projects/{team.project.pk}/models/", {"kind": "word", "name": "x"}, format="json"
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"word", "label"}
    assert not TaggerModel.objects.exists()


def test_a_model_of_the_new_kind_pre_annotates(api, team, queued):
    label = team.project.labels[0]
    model = tagger_models.register(
        user=None,
        project=team.project,
        kind="word",
        name="w",
        settings={"word": "the", "label": label},
    )
    response = api("manager").post(
        f"/api/v1/projects/{team.project.pk}/jobs/",
        {"kind": "preannotate", "model": model.pk},
        format="json",
    )
    jobs.run_job(response.json()["id"])
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.DONE, job.error
    rows = SentenceTags.objects.filter(layer__in=TagLayer.objects.filter(name=job.result["layer"]))
    for tokens, tags in rows.values_list("sentence__tokens", "tags"):
        assert [t == "the" for t in tokens] == [tag != "O" for tag in tags]


def test_a_new_job_kind_is_started_by_the_page_the_api_and_the_command_with_one_form(
    page, api, team, queued
):
    # The page reads its form leniently (kept in range, a default for what is not a number)...
    url = reverse("annotator-preannotate", args=[team.project.pk])
    assert page.post(url, {"kind": "long-sentences", "minimum": "500"}).status_code == 302
    assert page.post(url, {"kind": "long-sentences", "minimum": "many"}).status_code == 302
    started = Job.objects.filter(kind="long-sentences").order_by("pk")
    assert [job.params for job in started] == [{"minimum": 100}, {"minimum": 10}]
    # ...the API strictly, by the same form...
    jobs_url = f"/api/v1/projects/{team.project.pk}/jobs/"
    response = api("manager").post(jobs_url, {"kind": "long-sentences", "minimum": 500})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"minimum"}
    response = api("manager").post(jobs_url, {"kind": "long-sentences", "minimum": 3})
    assert response.status_code == 202 and response.json()["params"] == {"minimum": 3}
    # ...and so does the command, which runs it here.
    assert run_here("long-sentences", team.project, {"minimum": 1}).result["long"] > 0
    with pytest.raises(CommandError, match="minimum"):
        run_here("long-sentences", team.project, {"minimum": 0})


def test_a_renamed_label_is_renamed_in_the_settings_that_name_it(team):
    label = team.project.labels[0]
    settings = {"pipeline": "en_core_web_sm", "mapping": {"ORG": label, "GPE": label}}
    model = tagger_models.register(
        user=None, project=team.project, kind="spacy", name="s", settings=settings
    )
    label_changes.rename_label(
        user=team.manager, project=team.project, label=label, new_name="Renamed"
    )
    model.refresh_from_db()
    assert model.settings["mapping"] == {"ORG": "Renamed", "GPE": "Renamed"}


def test_a_model_of_a_kind_no_longer_known_fails_its_job_with_the_reason(team):
    model = TaggerModel.objects.create(project=team.project, name="old", version=1, kind="gone")
    job = Job.objects.create(kind="preannotate", project=team.project, params={"model": model.pk})
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.error == "gone models are not known to this site"


def test_the_run_job_command_reads_any_kinds_parameters_with_its_form(team):
    out = StringIO()
    call_command("run_job", "long-sentences", "minimum=1", project=team.project.name, stdout=out)
    assert json.loads(out.getvalue())["long"] > 0
    with pytest.raises(CommandError, match="minimum"):
        call_command("run_job", "long-sentences", "minimum=x", project=team.project.name)
    documents = [f"documents={pk}" for pk in team.project.documents.values_list("pk", flat=True)]
    out = StringIO()
    call_command(
        "run_job", "gazetteer", "source=imported", *documents, project=team.project.name, stdout=out
    )
    assert json.loads(out.getvalue())["documents"] == len(documents)
