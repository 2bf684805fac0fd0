"""Find a word or phrase across a project (or one document), grouped by how it is tagged.

Candidates come from TokenIndex (one lookup per word), then only those sentences are loaded
and matched token by token, case-insensitively.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.db import connection
from django.urls import reverse

from annotator.models import (
    GOLD,
    IMPORTED,
    Document,
    Project,
    Sentence,
    SentenceTags,
    TagLayer,
    TokenIndex,
)

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
    document_url: str

    @property
    def link(self) -> str:
        """The review page at this sentence."""
        return f"{self.document_url}?page={self.page}#sentence-{self.sentence_id}"

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
    layers, documents = _shown_layers(project, list(candidates))
    wanted = [
        (document_id, layers[document_id], position)
        for document_id, positions in candidates.items()
        for position in positions
    ]
    with connection.cursor() as cursor:
        cursor.execute(_statement(connection.vendor), [json.dumps(wanted)])
        rows = cursor.fetchall()
    # In document order, then sentence order (sorted here: the rows are wide for the server's
    # sort, and arrive in the candidates' order, which is nearly sorted already).
    rows.sort(key=lambda row: (documents[row[0]][0], row[0], row[2]))
    # One JSON decode per column for all rows (the rows' arrays joined into one), not one per
    # value: a quarter less decoding time. Tags only of the sentences the phrase runs in.
    all_tokens = json.loads("[" + ",".join([row[4] for row in rows]) + "]")
    needle, found = _needle(words), []
    for row, tokens in zip(rows, all_tokens, strict=True):
        starts = _starts(tokens, words, needle)
        if starts:
            found.append((row, tokens, starts))
    all_tags = json.loads("[" + ",".join([row[5] for row, _, _ in found]) + "]")
    # One reverse() per document, not per occurrence (a fifth of the page's rendering time).
    urls: dict[int, str] = {}
    for (row, tokens, starts), tags in zip(found, all_tags, strict=True):
        document_id, sentence_id, position, version = row[:4]
        if document_id not in urls:
            urls[document_id] = reverse("annotator-document-detail", args=[document_id])
        for start in starts:
            yield Occurrence(
                document_id,
                documents[document_id][1],
                sentence_id,
                position,
                start,
                start + len(words),
                version,
                tokens,
                tags,
                urls[document_id],
            )


def _starts(tokens: list[str], words: list[str], needle: str | None) -> list[int]:
    """Where the case-folded words run in the tokens, overlapping runs included. needle: the
    words as NUL-word-NUL-...-NUL (_needle)."""
    # One casefold of the whole sentence with a NUL between tokens, then a substring search
    # for the needle; a run's start is the count of NULs before it. A NUL inside a token or a
    # word would shift that count: those are compared token by token.
    text = "\0" + "\0".join(tokens).casefold() + "\0"
    if needle is None or text.count("\0") != len(tokens) + 1:
        folded, width = [token.casefold() for token in tokens], len(words)
        return [i for i in range(len(folded)) if folded[i : i + width] == words]
    starts, at, token, counted = [], text.find(needle), 0, 0
    while at >= 0:
        token += text.count("\0", counted, at)
        starts.append(token)
        counted = at
        at = text.find(needle, at + 1)
    return starts


def _needle(words: list[str]) -> str | None:
    if any("\0" in word for word in words):
        return None
    return "\0" + "\0".join(words) + "\0"


@cache
def _statement(vendor: str) -> str:
    """The candidate sentences' rows in the shown layers. The candidates
    are one JSON parameter, [[document, layer, position], ...], read as a table and joined
    through the (document, position) and (layer, sentence) unique indexes: a queryset would
    bind each position as a parameter of its own (5,000 for a common phrase), and building,
    sending and parsing those took longer than reading the rows."""
    sentence, tags = Sentence._meta.db_table, SentenceTags._meta.db_table
    if vendor == "postgresql":
        item = "(value->>{})::bigint"
        each = "jsonb_array_elements(%s::jsonb)"
    else:
        item = "json_extract(value, '$[{}]')"
        each = "json_each(%s)"
    wanted = (
        f"(SELECT {item.format(0)} AS document, {item.format(1)} AS layer, "  # noqa: S608
        f"{item.format(2)} AS position FROM {each}) AS c"
    )
    return (
        "SELECT s.document_id, s.id, s.position, t.version, s.tokens, t.tags "  # noqa: S608
        f"FROM {wanted} "
        f"JOIN {sentence} s ON s.document_id = c.document AND s.position = c.position "
        f"JOIN {tags} t ON t.layer_id = c.layer AND t.sentence_id = s.id"
    )


def _shown_layers(project: Project, document_ids: list[int]) -> tuple[dict, dict]:
    """The layer a reviewer works on per document (gold where it exists, else imported), and
    each document's position and name."""
    chosen: dict[int, int] = {}
    documents: dict[int, tuple[int, str]] = {}
    layers = TagLayer.objects.filter(document_id__in=document_ids, name__in=[GOLD, IMPORTED])
    found = layers.values_list("document_id", "name", "pk", "document__position", "document__name")
    for document_id, name, layer_id, position, document_name in found:
        if name == GOLD or document_id not in chosen:
            chosen[document_id] = layer_id
        documents[document_id] = (position, document_name)
    return chosen, documents
