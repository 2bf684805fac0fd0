"""The gazetteer job: the project's confirmed spans matched over its documents, as a new layer
of suggestions."""

from __future__ import annotations

from annotator.jobs.base import JobKind
from annotator.params import documents_field
from annotator.services.jobs import JobFailed
from annotator.services.preannotate import write_suggestions
from annotator.taggers import gazetteer


class Params(gazetteer.Settings):
    """The gazetteer's settings and the documents to tag."""

    documents = documents_field()


def run(job, progress) -> None:
    source = job.params.get("source", "gold")
    built = gazetteer.build(
        job.project, source=source, case_sensitive=job.params.get("case", False)
    )
    if not len(built):
        raise JobFailed(f"no confirmed spans in the {source} layers to learn from")
    tagger = gazetteer.GazetteerTagger(built)
    write_suggestions(job, tagger, "gazetteer", progress, {"phrases": len(built)})


KIND = JobKind(
    name="gazetteer",
    run=run,
    params=Params,
    summary="the spans confirmed in `source` (gold, approved, or a layer's name) matched over "
    "the documents into a new layer `suggestions: gazetteer at TIME (job N)`, named in the "
    "finished job's result",
)
