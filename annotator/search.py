"""Find a word or phrase across a project (or one document), grouped by how it is tagged.

Candidates come from TokenIndex (one lookup per word), then only those sentences are loaded
and matched token by token, case-insensitively.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from annotator.models import GOLD, IMPORTED, Document, Project, SentenceTags, TagLayer, TokenIndex

MAX_SENTENCES = 5000
MAX_PHRASE = 10_000  # characters: room for a long URL or code token, not for a whole file
INDEX_KEY_LENGTH = 200  # TokenIndex.text's max_length


@dataclass
class Occurrence:
    document_id: int
    document_name: str
    sentence_id: int
    position: int
    start: int
    end: int
    version: int
    tokens: list[str]
    tags: list[str]

    @property
    def page(self) -> int:
        """The document page that shows this sentence."""
        return self.position // settings.SENTENCES_PER_PAGE + 1

    @property
    def before(self) -> str:
        return " ".join(self.tokens[max(0, self.start - 8) : self.start])

    @property
    def match(self) -> str:
        return " ".join(self.tokens[self.start : self.end])

    @property
    def after(self) -> str:
        return " ".join(self.tokens[self.end : self.end + 8])

    @property
    def key(self) -> str:
        return f"{self.sentence_id}:{self.start}:{self.end}:{self.version}"


@dataclass
class Group:
    tagging: str  # the tags of the match, e.g. "B-Algorithm" or "O O"
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass
class Result:
    phrase: str
    groups: list[Group]
    total: int
    truncated: bool  # more candidate sentences than MAX_SENTENCES were found


def phrase_words(phrase: str) -> list[str]:
    return [word.casefold() for word in phrase.split()]


def index_key(folded: str) -> str:
    """The TokenIndex text of a case-folded token: the token itself, or for a longer one (a URL,
    a line of code) its start and a hash of the whole, so that the indexed column stays short.
    Candidates are matched on the tokens themselves, so a shared key could only add work."""
    if len(folded) <= INDEX_KEY_LENGTH:
        return folded
    digest = hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()
    return folded[: INDEX_KEY_LENGTH - len(digest) - 1] + "#" + digest


def find(project: Project, phrase: str, *, document: Document | None = None) -> Result:
    words = phrase_words(phrase)
    if not words:
        return Result(phrase, [], 0, False)
    candidates, truncated = _candidates(project, words, document)
    groups: dict[str, Group] = {}
    total = 0
    for occurrence in _occurrences(project, candidates, words):
        tagging = " ".join(occurrence.tags[occurrence.start : occurrence.end])
        groups.setdefault(tagging, Group(tagging)).occurrences.append(occurrence)
        total += 1
    ordered = sorted(groups.values(), key=lambda g: (-len(g.occurrences), g.tagging))
    return Result(phrase, ordered, total, truncated)


def _candidates(project: Project, words: list[str], document: Document | None):
    """Document id -> sentence positions that contain every word of the phrase (at most
    MAX_SENTENCES in all), and whether more were left out."""
    keys = {index_key(word) for word in words}
    rows = TokenIndex.objects.filter(project=project, text__in=keys)
    if document is not None:
        rows = rows.filter(document=document)
    postings: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for document_id, text, sentences in rows.values_list("document_id", "text", "sentences"):
        postings[document_id][text].update(sentences)
    found: dict[int, list[int]] = {}
    budget = MAX_SENTENCES
    truncated = False
    for document_id in sorted(postings):
        by_word = postings[document_id]
        if len(by_word) < len(keys):
            continue
        positions = sorted(set.intersection(*by_word.values()))
        if len(positions) > budget:
            positions, truncated = positions[:budget], True
        if positions:
            found[document_id] = positions
            budget -= len(positions)
        if budget <= 0:
            truncated = truncated or document_id != max(postings)
            break
    return found, truncated


def _occurrences(project: Project, candidates: dict, words: list[str]):
    if not candidates:
        return
    layers = _shown_layers(project, list(candidates))
    where = Q()
    for document_id, positions in candidates.items():
        where |= Q(layer_id=layers[document_id], sentence__position__in=positions)
    rows = (
        SentenceTags.objects.filter(where)
        .order_by("sentence__document__position", "sentence__position")
        .values_list(
            "sentence__document_id",
            "sentence__document__name",
            "sentence_id",
            "sentence__position",
            "version",
            "sentence__tokens",
            "tags",
        )
    )
    width = len(words)
    for document_id, name, sentence_id, position, version, tokens, tags in rows:
        # One casefold per sentence (not per token), then only where the first word is.
        folded = "\0".join(tokens).casefold().split("\0")
        if len(folded) != len(tokens):  # a token with a NUL in it: fold one by one
            folded = [token.casefold() for token in tokens]
        first = words[0]
        for start in (i for i, word in enumerate(folded) if word == first):
            if folded[start : start + width] == words:
                yield Occurrence(
                    document_id,
                    name,
                    sentence_id,
                    position,
                    start,
                    start + width,
                    version,
                    tokens,
                    tags,
                )


def _shown_layers(project: Project, document_ids: list[int]) -> dict[int, int]:
    """The layer a reviewer works on per document: gold where it exists, else imported."""
    chosen: dict[int, int] = {}
    layers = TagLayer.objects.filter(document_id__in=document_ids, name__in=[GOLD, IMPORTED])
    for document_id, name, layer_id in layers.values_list("document_id", "name", "pk"):
        if name == GOLD or document_id not in chosen:
            chosen[document_id] = layer_id
    return chosen
