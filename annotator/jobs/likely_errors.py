"""The likely-errors job's parameters; its runner, which spreads the folds over the workers, is
services/likely_errors.py."""

from __future__ import annotations

from rest_framework import serializers

from annotator.jobs.base import JobKind
from annotator.nlp import likely_errors
from annotator.params import Clamped, Form
from annotator.services import likely_errors as service


class Params(Form):
    """The layer to check, in how many folds, with how many CRF iterations each."""

    layer = serializers.CharField(default="gold", max_length=200, help_text="The layer to check.")
    folds = Clamped(default=likely_errors.FOLDS, min_value=2, max_value=10)
    iterations = Clamped(
        default=likely_errors.FOLD_ITERATIONS,
        min_value=5,
        max_value=200,
        help_text="CRF iterations.",
    )


KIND = JobKind(
    name=service.KIND,
    run=service.run_likely_errors,
    params=Params,
    summary="the doubtful tags of `layer`, ranked",
)
