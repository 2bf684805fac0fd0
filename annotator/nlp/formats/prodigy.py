"""Prodigy's JSON Lines (`prodigy db-out`) of a named-entity dataset.

A line: `{"text": "...", "tokens": [{"text": "Obama", "start": 0, "end": 5, "id": 0, "ws": true}],
"spans": [{"start": 0, "end": 5, "token_start": 0, "token_end": 0, "label": "PERSON"}],
"_input_hash": .., "_task_hash": .., "answer": "accept"}` (token_end inclusive, as Prodigy
writes it). The file's tokens are used as they are; without them the text is tokenized
(base.TOKENIZER). Spans are placed by token_start/token_end when given, else by offsets.

Answers: "accept" examples are imported; "reject" and "ignore" ones are not (Prodigy's own
training export leaves them out too: a rejected example says the spans are wrong, an ignored
one was skipped), each listed as a warning. With several annotators (`_annotator_id`, as
multi-user sessions write it), the examples of one input (`_input_hash`) become one sentence
with a layer per annotator ("prodigy: alice"); the file is then read whole to group them.
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
    char_spans,
    check_char_spans,
    dump_line,
    encoded,
    first_record,
    gaps_of,
    json_records,
    one_document,
    place_spans,
    tokenize_for_spans,
)

NAME = "prodigy"
ANSWERS = ("accept", "reject", "ignore")
DERIVED = ("text", "tokens", "spans")


def read(stream: BinaryIO, name: str, options: ReadOptions) -> Iterator[Event]:
    problems = Problems(name)
    results = (
        (line, *_sentence(group, line, problems, grouped=grouped))
        for line, group, grouped in _groups(json_records(stream, problems))
    )
    yield from one_document(name, problems, results, "the file has no accepted examples")


def _groups(records) -> Iterator[tuple[int, list[tuple[int, dict]], bool]]:
    """Single examples as they come; with annotator ids, the examples of each input together."""
    pending: list[tuple[int, dict]] = []
    grouped = False
    for line, record in records:
        if not grouped and "_annotator_id" in record:
            grouped = True
        if grouped:
            pending.append((line, record))
        else:
            yield line, [(line, record)], False
    if grouped:
        inputs: dict = {}
        for line, record in pending:
            key = record.get("_input_hash", record.get("text"))
            inputs.setdefault(str(key), []).append((line, record))
        for group in inputs.values():
            yield group[0][0], group, True


def _sentence(
    group, line: int, problems: Problems, *, grouped: bool
) -> tuple[Sentence | None, list[str]]:
    warnings: list[str] = []
    accepted = []
    for number, record in group:
        answer = record.get("answer", "accept")
        if answer not in ANSWERS:
            problems.fail(number, f"answer {answer!r} is not one of {', '.join(ANSWERS)}")
        elif answer != "accept":
            warnings.append(f"an example answered {answer!r}; not imported (line {number})")
        else:
            accepted.append((number, record))
    if not accepted:
        return None, warnings
    number, first = accepted[0]
    text = first.get("text")
    if not isinstance(text, str):
        problems.fail(number, "no 'text' (a string) in the example")
        return None, warnings
    offsets = _tokens(first, text, number, problems)
    if offsets == []:
        return None, [*warnings, f"the example on line {number} has no words; left out"]
    layers: dict[str | None, list[str]] = {}
    for at, record in accepted:
        if record.get("text") != text:
            problems.fail(at, "another text for the same _input_hash")
            continue
        who = record.get("_annotator_id")
        layer = f"{NAME}: {who}" if grouped and who is not None else None
        tags = _tags(record, text, offsets, at, problems, warnings)
        if tags is not None:
            layers[layer] = tags
    if problems or offsets is None:
        return None, warnings
    tags = layers.pop(None, None) or ["O"] * len(offsets)
    fields = {k: (None if k in DERIVED else v) for k, v in first.items()}
    if grouped:
        fields.pop("_annotator_id", None)
        fields.pop("_session_id", None)
    source: dict = {"fields": fields}
    tokens = [text[s:e] for s, e in offsets]
    gaps = gaps_of(text, offsets, tokens)
    if gaps is not None:
        source["gaps"] = gaps
    return Sentence(tokens, tags, line=line, layers=layers or None, source=source), warnings


def _tokens(record: dict, text: str, line: int, problems: Problems):
    given = record.get("tokens")
    if given is None:
        spans = record.get("spans") or []
        triples = [
            [s.get("start"), s.get("end"), s.get("label")] for s in spans if isinstance(s, dict)
        ]
        good, _ = check_char_spans(triples, text, "")
        return tokenize_for_spans(text, good)[0]
    offsets = []
    for token in given if isinstance(given, list) else [None]:
        if not isinstance(token, dict) or not isinstance(token.get("text"), str):
            problems.fail(line, f"each token needs 'text', 'start' and 'end', found {token!r}")
            return None
        start, end = token.get("start"), token.get("end")
        if (
            not isinstance(start, int)
            or not isinstance(end, int)
            or text[start:end] != token["text"]
        ):
            problems.fail(
                line,
                f"token {token.get('id', len(offsets))} {token['text']!r} is not the text at "
                f"[{start}, {end})",
            )
            return None
        if offsets and start < offsets[-1][1]:
            problems.fail(line, f"token {token.get('id', len(offsets))} overlaps the one before")
            return None
        if start == end:
            problems.fail(line, f"token {token.get('id', len(offsets))} is empty")
            return None
        offsets.append((start, end))
    if not offsets:
        problems.fail(line, "the example has no tokens")
        return None
    return offsets


def _dict(value) -> bool:
    return isinstance(value, dict)


def _tags(record, text, offsets, line, problems, warnings) -> list[str] | None:
    spans = record.get("spans") or []
    if not isinstance(spans, list) or offsets is None:
        problems.fail(line, "'spans' must be a list")
        return None
    found = []
    for span in spans:
        if not isinstance(span, dict):
            problems.fail(line, f"a span must be an object, found {span!r}")
            continue
        first, last = span.get("token_start"), span.get("token_end")
        if isinstance(first, int) and isinstance(last, int) and "tokens" in record:
            if not 0 <= first <= last < len(offsets):
                problems.fail(line, f"span {span!r} is outside the tokens")
                continue
            start, end = offsets[first][0], offsets[last][1]
            if (span.get("start"), span.get("end")) not in ((start, end), (None, None)):
                warnings.append(
                    f"span {span.get('label')} [{span.get('start')}, {span.get('end')}) "
                    f"disagrees with its tokens {first}-{last}; kept as the tokens "
                    f"[{start}, {end}) (line {line})"
                )
            found.append([start, end, span.get("label")])
        else:
            found.append([span.get("start"), span.get("end"), span.get("label")])
    good, bad = check_char_spans(found, text, f"line {line}")
    for message in bad:
        problems.fail(line, message)
    if problems:
        return None
    tags, found = place_spans(good, offsets, text, f"line {line}")
    warnings.extend(found)
    return tags


def write(documents: Iterable[ExportDocument]) -> Iterator[bytes]:
    return encoded(_lines(documents))


def _lines(documents: Iterable[ExportDocument]) -> Iterator[str]:
    for document in documents:
        for sentence in document.sentences:
            source = _own(sentence, document)
            text, offsets, found = char_spans(sentence, document.scheme)
            starts = {s: i for i, (s, _) in enumerate(offsets)}
            ends = {e: i for i, (_, e) in enumerate(offsets)}
            record = dict(source.get("fields") or {"text": None, "tokens": None, "spans": None})
            record["text"] = text
            record["tokens"] = [
                {"text": text[s:e], "start": s, "end": e, "id": i, "ws": _ws(text, e, offsets, i)}
                for i, (s, e) in enumerate(offsets)
            ]
            record["spans"] = [
                {
                    "start": s,
                    "end": e,
                    "token_start": starts[s],
                    "token_end": ends[e],
                    "label": label,
                }
                for s, e, label in found
            ]
            record.setdefault("answer", "accept")
            yield dump_line(record)


def _ws(text: str, end: int, offsets, i: int) -> bool:
    following = offsets[i + 1][0] if i + 1 < len(offsets) else len(text)
    return following > end and text[end].isspace()


def _own(sentence, document: ExportDocument) -> dict:
    """The stored source of a record of this format (another format's fields do not apply)."""
    source = getattr(sentence, "source", None) if document.native == NAME else None
    return source or {}


def sniff(head: bytes) -> bool:
    record = first_record(head)
    if record is None:
        return b'"_input_hash"' in head or b'"token_start"' in head
    return "text" in record and ("spans" in record or "_input_hash" in record or "answer" in record)


FORMAT = Format(
    name=NAME,
    title="Prodigy JSONL (db-out)",
    extensions=(".jsonl",),
    media_type="application/x-ndjson",
    read=read,
    write=write,
    sniff=sniff,
)
