"""The preannotate job: a model (of any tagger kind) tags the documents into a new layer of
suggestions."""

from __future__ import annotations

from rest_framework import serializers

from annotator.jobs.base import JobKind
from annotator.models import Project, TaggerModel
from annotator.params import ID, Form, NotInProject, documents_field
from annotator.services import tagger_models
from annotator.services.jobs import JobFailed
from annotator.services.preannotate import write_suggestions
from annotator.taggers.base import TaggerFailed


class Params(Form):
    """The model to tag with and the documents to tag."""

    model = serializers.IntegerField(help_text="A model id.", **ID)
    documents = documents_field()

    def fit(self, project: Project, params: dict) -> dict:
        if not project.models.filter(pk=params["model"]).exists():
            raise NotInProject({"model": ["No such model in this project."]})
        return super().fit(project, params)


def run(job, progress) -> None:
    model = TaggerModel.objects.filter(pk=job.params["model"], project=job.project).first()
    if model is None:
        raise JobFailed("that model no longer exists")
    try:
        tagger = tagger_models.load(model)
    except TaggerFailed as error:
        raise JobFailed(str(error)) from error
    write_suggestions(job, tagger, str(model), progress, {"model": str(model)})


KIND = JobKind(
    name="preannotate",
    run=run,
    params=Params,
    summary="the same as gazetteer with the tagger `model`",
)
