"""Hugging Face style JSON Lines: `{"tokens": ["EU", "rejects"], "ner_tags": ["B-ORG", "O"]}`.

The shape of token-classification datasets (CoNLL-2003 on the Hub, `Dataset.to_json`). Tags are
names, or ids into a label list given with the import (`--labels O,B-PER,I-PER,...`, in id
order: the dataset's `features["ner_tags"].feature.names`). Other fields (id, pos_tags...) are
kept and written back; export writes tag names. No text: an export to a character-offset
format joins the tokens with single spaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from annotator.nlp.formats.base import (
    Event,
    ExportDocument,
    Format,
    Problems,
    ReadOptions,
    Sentence,
    check_tags,
    dump_line,
    encoded,
    first_record,
    json_records,
    one_document,
)

NAME = "hf"
TAG_KEYS = ("ner_tags", "tags", "labels")


def read(stream: BinaryIO, name: str, options: ReadOptions) -> Iterator[Event]:
    problems = Problems(name)
    results = _results(json_records(stream, problems), options, problems)
    yield from one_document(name, problems, results, "the file has no examples with tokens")


def _results(records, options: ReadOptions, problems: Problems):
    for line, record in records:
        if record.get("tokens") == []:
            yield line, None, ["an example without tokens; left out"]
        else:
            yield line, _sentence(record, line, options.labels, problems), ()


def _sentence(record: dict, line: int, labels: list[str] | None, problems: Problems):
    tokens = record.get("tokens")
    key = next((k for k in TAG_KEYS if k in record), None)
    if not isinstance(tokens, list) or key is None:
        problems.fail(line, "expected 'tokens' and 'ner_tags' lists")
        return None
    tags = record[key]
    if not isinstance(tags, list) or len(tags) != len(tokens):
        problems.fail(line, f"{len(tokens)} tokens but {key!r} is not a list of as many tags")
        return None
    if any(not isinstance(t, str) or not t or t != t.strip() for t in tokens):
        problems.fail(line, "tokens must be non-empty strings without surrounding spaces")
        return None
    if all(isinstance(t, int) and not isinstance(t, bool) for t in tags):
        if not labels:
            problems.fail(
                line, f"{key!r} are ids: give the label list (--labels O,B-PER,I-PER,...)"
            )
            return None
        if any(not 0 <= t < len(labels) for t in tags):
            problems.fail(line, f"a tag id is outside the label list of {len(labels)}")
            return None
        tags = [labels[t] for t in tags]
    problem = check_tags(tags, f"{key!r}")
    if problem:
        problems.fail(line, problem)
        return None
    fields = {k: (None if k in ("tokens", key) else v) for k, v in record.items()}
    return Sentence(list(tokens), list(tags), line=line, source={"fields": fields})


def write(documents: Iterable[ExportDocument]) -> Iterator[bytes]:
    return encoded(_lines(documents))


def _lines(documents: Iterable[ExportDocument]) -> Iterator[str]:
    number = 0
    for document in documents:
        for sentence in document.sentences:
            source = _own(sentence, document)
            fields = source.get("fields")
            if not fields or "tokens" not in fields:
                fields = {"id": str(number), "tokens": None, "ner_tags": None}
            number += 1
            record = {}
            for key, value in fields.items():
                if key == "tokens":
                    record[key] = sentence.tokens
                elif key in TAG_KEYS and value is None:
                    record[key] = sentence.tags
                else:
                    record[key] = value
            yield dump_line(record)


def _own(sentence, document: ExportDocument) -> dict:
    """The stored source of a record of this format (another format's fields do not apply)."""
    source = getattr(sentence, "source", None) if document.native == NAME else None
    return source or {}


def sniff(head: bytes) -> bool:
    record = first_record(head)
    if record is None:
        return b'"ner_tags"' in head
    return "tokens" in record and any(k in record for k in TAG_KEYS) and "text" not in record


FORMAT = Format(
    name=NAME,
    title="Hugging Face JSON Lines (tokens, ner_tags)",
    extensions=(".jsonl", ".json"),
    media_type="application/x-ndjson",
    read=read,
    write=write,
    sniff=sniff,
)
