"""The majority-vote job's parameters; its runner, which builds gold by vote, is
services/adjudication.py."""

from __future__ import annotations

from rest_framework import serializers

from annotator.jobs.base import JobKind
from annotator.models import ADJUDICATION_RULES, Project
from annotator.params import Checkbox, Form, documents_field
from annotator.services import adjudication as service


class Params(Form):
    """The documents, the rule (a majority, or all, must agree), and whether only finished
    tasks' layers vote."""

    documents = documents_field()
    rule = serializers.ChoiceField(choices=ADJUDICATION_RULES, default="majority")
    finished_only = Checkbox(default=True)

    def fit(self, project: Project, params: dict) -> dict:
        params = super().fit(project, params)
        return {**params, "documents": sorted(set(params["documents"]))}


KIND = JobKind(
    name=service.KIND,
    run=service.run_majority_vote,
    params=Params,
    summary="gold built by vote on the documents; ties are listed in its result",
)
