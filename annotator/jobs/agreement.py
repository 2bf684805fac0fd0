"""The agreement job's parameters; its runner, which writes the report, is
services/agreement.py."""

from __future__ import annotations

from rest_framework import serializers

from annotator.jobs.base import JobKind
from annotator.models import Project
from annotator.params import Checkbox, Form, NotInProject, documents_field
from annotator.services import agreement as service


class Params(Form):
    """The layers to compare (at least two), a gold layer to score them against (optional),
    the documents, and whether only finished tasks' sentences count."""

    layers = serializers.ListField(child=serializers.CharField(max_length=200), min_length=2)
    gold = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    documents = documents_field()
    finished_only = Checkbox(default=True)

    def fit(self, project: Project, params: dict) -> dict:
        names = {choice["name"] for choice in service.layer_choices(project)}
        gold, layers = params["gold"], list(dict.fromkeys(params["layers"]))
        unknown = sorted(set(layers) - names) + ([gold] if gold and gold not in names else [])
        if unknown:
            named = ", ".join(map(repr, unknown))
            raise NotInProject({"layers": [f"no layer named {named} in this project"]})
        if len(layers) < 2:
            raise NotInProject({"layers": ["choose at least two layers to compare"]})
        params = super().fit(project, params)
        documents = sorted(set(params["documents"]))
        return {
            **params,
            "layers": layers,
            "gold": "" if gold in layers else gold,
            "documents": documents,
        }


KIND = JobKind(
    name=service.KIND,
    run=service.run_agreement,
    params=Params,
    summary="agreement of `layers` (and against `gold`) measured into a report",
)
