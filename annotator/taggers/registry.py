"""The one table of tagger kinds: the jobs page, the models API, pre-annotation and the
commands all read it. Adding a kind: a module beside this one with a `KIND`, named in the table.
"""

from __future__ import annotations

from annotator.taggers import crf, gazetteer, remote, spacy
from annotator.taggers.base import TaggerKind

KINDS: dict[str, TaggerKind] = {
    k.name: k for k in (crf.KIND, gazetteer.KIND, remote.KIND, spacy.KIND)
}


def registrable() -> list[TaggerKind]:
    """The kinds managers add by hand with settings (the others come from a job)."""
    return [kind for kind in KINDS.values() if kind.settings is not None]


def describe(model) -> str:
    """One line about a model for the models table; a kind no longer known says so."""
    kind = KINDS.get(model.kind)
    return kind.describe(model) if kind else f"{model.kind} (a kind this site no longer has)"


# For the API schema's enum of kinds (settings.SPECTACULAR_SETTINGS).
CHOICES = [(kind.name, kind.title) for kind in KINDS.values()]
