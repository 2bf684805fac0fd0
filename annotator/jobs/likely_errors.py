"""The likely-errors job's parameters; its runner, which spreads the folds over the workers, is
services/likely_errors.py."""

from __future__ import annotations

from rest_framework import serializers

from annotator.jobs.base import JobKind
from annotator.params import Clamped, Form
from annotator.services import likely_errors as service


class Params(Form):
    """The layer to check, in how many folds, with how many CRF iterations each."""

    layer = serializers.CharField(default="gold", max_length=200, help_text="The layer to check.")
    # likely_errors.FOLDS and FOLD_ITERATIONS (a test keeps them equal): that module imports
    # cleanlab, seconds the web process need not spend.
    folds = Clamped(default=4, min_value=2, max_value=10)
    iterations = Clamped(default=30, min_value=5, max_value=200, help_text="CRF iterations.")


KIND = JobKind(
    name=service.KIND,
    run=service.run_likely_errors,
    params=Params,
    summary="the doubtful tags of `layer`, ranked",
)
