"""The export job's parameters, which a project's download in the request takes too; its
runner, which writes the file, is services/exports.py."""

from __future__ import annotations

from rest_framework import serializers

from annotator.forms import SCHEMES
from annotator.jobs.base import JobKind
from annotator.models import Project
from annotator.nlp.formats import registry
from annotator.params import Form, NotInProject
from annotator.services import exports as service

EXPORT_SCHEMES = [("keep", "As imported"), *SCHEMES[1:]]


class Params(Form):
    """A project's layer (default: gold where it exists, else the imported tags) in a format
    (default CoNLL) and a tag scheme (default: as imported)."""

    layer = serializers.CharField(
        required=False, max_length=200, help_text="Default: gold where it exists, else imported."
    )
    format = serializers.ChoiceField(choices=list(registry.FORMATS), default="conll")
    scheme = serializers.ChoiceField(choices=EXPORT_SCHEMES, default="keep")

    def fit(self, project: Project, params: dict) -> dict:
        layer = params.get("layer") or None
        if layer and project.documents.exclude(layers__name=layer).exists():
            raise NotInProject({"layer": [f"Not every document has a layer named {layer!r}."]})
        return {"layer": layer, "scheme": params["scheme"], "format": params["format"]}


KIND = JobKind(
    name=service.KIND,
    run=service.run_export,
    params=Params,
    summary="the project's `layer` as one file of `format`, downloaded from the job when done",
)
