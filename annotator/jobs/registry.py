"""The one table of job kinds: the worker finds a job's runner here, and the jobs page, the API
and the commands a kind's parameter form. Adding a kind: a module beside this one with a `KIND`
(its runner, and its `Params` when the jobs page and API start it), and a line here.
"""

from __future__ import annotations

from annotator.jobs import gazetteer, likely_errors, preannotate, train_crf
from annotator.jobs.base import JobKind
from annotator.services import adjudication, agreement, corpus, exports, learning

# Started from the jobs page and the API (and commands) with their `Params`.
STARTED_HERE = (gazetteer.KIND, preannotate.KIND, train_crf.KIND, likely_errors.KIND)
# Started by their own pages and services, which check their parameters.
STARTED_ELSEWHERE = (
    JobKind(name="import", run=corpus.run_import),
    JobKind(name=exports.KIND, run=exports.run_export),
    JobKind(name=agreement.KIND, run=agreement.run_agreement),
    JobKind(name=adjudication.KIND, run=adjudication.run_majority_vote),
    JobKind(name=learning.KIND, run=learning.run_retrain),
)
KINDS: dict[str, JobKind] = {kind.name: kind for kind in STARTED_HERE + STARTED_ELSEWHERE}


def get(name: str) -> JobKind:
    """The kind named `name`; KeyError names the known ones."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown job kind {name!r} (known: {', '.join(KINDS)})") from None


def startable() -> list[JobKind]:
    """The kinds the jobs page and the API start with their parameter form."""
    return [kind for kind in KINDS.values() if kind.params is not None]
