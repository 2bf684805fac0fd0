"""The Tagger protocol and what a tagger kind is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from annotator.models import TaggerModel
from annotator.params import Form

# (IOB2 tags, sequence probability, span confidences) of one sentence; see nlp/suggestions.py.
Scored = tuple[list[str], float | None, list | None]


class Tagger(Protocol):
    def tag_many(self, sentences: list[list[str]]) -> list[list[str]]:
        """IOB2 tags for each sentence's tokens."""
        ...


@runtime_checkable
class ScoredTagger(Protocol):
    """A tagger that also says how sure it is (the review page shows it)."""

    def tag_scored(self, sentences: list[list[str]]) -> list[Scored]: ...


class TaggerFailed(Exception):
    """The tagger cannot be loaded or answered wrongly; the message is for the user."""


@dataclass(frozen=True)
class TaggerKind:
    name: str
    title: str  # what the page calls one: "Add a TITLE named ..."
    load: Callable[[TaggerModel], Tagger]
    describe: Callable[[TaggerModel], str]  # one line for the models table
    # A form: managers register a model of this kind with these settings (page and API).
    # None: models of this kind come from a job (a trained CRF).
    settings: type[Form] | None = None
    # The settings once a project label is renamed or merged (`into`), for kinds naming labels.
    relabel: Callable[[dict, str, str], dict] | None = None


def scored(tagger: Tagger, sentences: list[list[str]]) -> list[Scored]:
    """Scores where the tagger gives them (None otherwise)."""
    if isinstance(tagger, ScoredTagger):
        return tagger.tag_scored(sentences)
    return [(tags, None, None) for tags in tagger.tag_many(sentences)]
