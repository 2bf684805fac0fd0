"""The one table of job kinds: the worker finds a job's runner here, and the jobs page, the API
and the commands a kind's parameter form. Adding a kind: a module beside this one with a `KIND`
(its runner, and its `Params` when the jobs page and API start it), and a line here.
"""

from __future__ import annotations

from annotator.jobs import (
    agreement,
    export,
    gazetteer,
    likely_errors,
    majority_vote,
    preannotate,
    train_crf,
)
from annotator.jobs.base import JobKind
from annotator.services import corpus, learning

# Started with their `Params` by the pages (the Jobs page; the agreement, adjudication and
# project pages for the last three), the jobs API (and their own endpoints) and the commands.
STARTED_HERE = (
    gazetteer.KIND,
    preannotate.KIND,
    train_crf.KIND,
    likely_errors.KIND,
    agreement.KIND,
    majority_vote.KIND,
    export.KIND,
)
# Started by their own pages and services, which check their parameters (an upload with its
# files, a retrain when enough is reviewed).
STARTED_ELSEWHERE = (
    JobKind(name="import", run=corpus.run_import),
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
