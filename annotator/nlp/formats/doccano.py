"""doccano's sequence-labelling export (1.x): JSON Lines of text with character-offset spans.

Each line is one example, read as one sentence (its text keeps its own spacing):

- `{"id": 1, "text": "...", "label": [[start, end, "TYPE"], ...]}`: the "JSONL" export, from a
  collaborative project (everyone's spans in one list) or one member's file;
- `{"id": 1, "text": "...", "entities": [{"label": "TYPE", "start_offset": 0, "end_offset": 5}]}`:
  the "JSONL (relation)" export;
- `{"text": "...", "annotations": [{"label": 3, "start_offset": 0, "end_offset": 5, "user": 2}]}`
  in older 1.x exports naming the user of each span: one layer per user ("doccano: user 2");
- a .zip of per-member files (`alice.jsonl`, `bob.jsonl`, ...), as a project without
  collaborative annotation exports: one document, one layer per member ("doccano: alice"),
  examples matched by id.

Spans without a named user are the `imported` layer. Other fields (id, meta, Comments...) are
kept and written back. doccano gives no tokens: the text is tokenized (base.TOKENIZER) and cut
at every span edge, so every span keeps its exact offsets.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from annotator.nlp.formats.base import (
    CharSpan,
    Event,
    ExportDocument,
    Format,
    Problems,
    ReadOptions,
    Rewound,
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

NAME = "doccano"
TEXT_KEYS = ("text", "data")
SPAN_KEYS = ("label", "entities", "annotations")
ZIP_MAGIC = b"PK\x03\x04"
MAX_UNZIPPED = 2 << 30  # bytes: a per-member export is held in memory, so no zip bombs


def read(stream: BinaryIO, name: str, options: ReadOptions) -> Iterator[Event]:
    problems = Problems(name)
    head = stream.read(4)
    if head.startswith(ZIP_MAGIC):
        records = _zip_records(Rewound(head, stream), problems)
    else:
        records = _file_records(Rewound(head, stream), problems)
    results = (
        (line, *_sentence(record, spans, line, problems, origin))
        for line, record, spans, origin in records
    )
    yield from one_document(name, problems, results, "the file has no examples with text")


Spans = dict[str | None, list]  # layer name (None: no user named) -> [start, end, label] triples


def _file_records(stream, problems: Problems) -> Iterator[tuple[int, dict, Spans, str]]:
    for line, record in json_records(stream, problems):
        spans = _spans(record, line, problems)
        if spans is not None:
            yield line, record, spans, ""


def _spans(record: dict, line: int, problems: Problems) -> Spans | None:
    """The record's spans by user, as [start, end, label] triples; None after a problem."""
    found: Spans = {}
    keys = [key for key in SPAN_KEYS if key in record]
    if len(keys) > 1:
        problems.fail(line, f"both {keys[0]!r} and {keys[1]!r}: which holds the spans?")
        return None
    if not keys:
        return found  # an example nobody labelled
    key = keys[0]
    value = record[key]
    if not isinstance(value, list):
        problems.fail(line, f"{key!r} must be a list of spans, found {type(value).__name__}")
        return None
    if key == "label":
        if value and all(isinstance(item, str) for item in value):
            problems.fail(
                line,
                "'label' lists categories, not spans: this is a text-classification export; "
                "export the project as sequence labelling",
            )
            return None
        found[None] = value
        return found
    for item in value:
        if not isinstance(item, dict) or not {"start_offset", "end_offset", "label"} <= set(item):
            problems.fail(
                line, f"each of {key!r} needs start_offset, end_offset and label, found {item!r}"
            )
            return None
        user = item.get("user") if key == "annotations" else None
        layer = None if user is None else f"{NAME}: user {user}"
        label = item["label"]
        label = str(label) if isinstance(label, int) and not isinstance(label, bool) else label
        found.setdefault(layer, []).append([item["start_offset"], item["end_offset"], label])
    return found


def _zip_records(stream, problems: Problems) -> Iterator[tuple[int, dict, Spans, str]]:
    """Examples of a per-member export, matched by id across the members' files."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(stream.read()))
    except zipfile.BadZipFile as error:
        problems.fail(1, f"not a readable zip file ({error})")
        return
    merged: dict = {}
    members = [
        m for m in archive.namelist() if m.endswith((".jsonl", ".json")) and not m.endswith("/")
    ]
    if not members:
        problems.fail(1, "the zip holds no .jsonl file (doccano exports one per member)")
    unzipped = sum(archive.getinfo(m).file_size for m in members)
    if unzipped > MAX_UNZIPPED:
        problems.fail(1, f"the zip unpacks to {unzipped:,} bytes; at most {MAX_UNZIPPED:,}")
        return
    for member in members:
        found = Problems(problems.name)
        with archive.open(member) as file:
            _merge_member(file, member, merged, found)
        for problem in found.items:  # named by member: "bob.jsonl: ..."
            problems.fail(problem.line, f"{member}: {problem.message}")
    yield from merged.values()


def _merge_member(file, member: str, merged: dict, problems: Problems) -> None:
    """Add one member's examples to `merged` (id -> line, record, spans by layer, member)."""
    user = PurePosixPath(member).stem
    for line, record in json_records(file, problems):
        spans = _spans(record, line, problems)
        if spans is None:
            continue
        key = str(record.get("id", line))
        entry = merged.get(key)
        if entry is None:
            entry = merged[key] = (line, record, {}, f"{member}: ")
        elif _text(entry[1]) != _text(record):
            problems.fail(line, f"example {key} has another text than in the first file")
            continue
        for layer, triples in spans.items():
            entry[2].setdefault(f"{NAME}: {user}" if layer is None else layer, []).extend(triples)
        entry[2].setdefault(f"{NAME}: {user}", [])


def _text(record: dict):
    return next((record[key] for key in TEXT_KEYS if key in record), None)


def _sentence(
    record: dict, spans: Spans, line: int, problems: Problems, origin: str = ""
) -> tuple[Sentence | None, list[str]]:
    text = _text(record)
    where = origin + (f"example {record['id']!r}" if "id" in record else "the example")
    if not isinstance(text, str):
        problems.fail(line, f"{origin}no 'text' (a string) in the example")
        return None, []
    checked: dict[str | None, list[CharSpan]] = {}
    for layer, triples in spans.items():
        good, bad = check_char_spans(triples, text, where)
        for message in bad:
            problems.fail(line, message)
        checked[layer] = good
    if problems:
        return None, []
    every = [span for group in checked.values() for span in group]
    offsets, inside = tokenize_for_spans(text, every)
    if not offsets:
        return None, [f"{where} has no words in its text; left out"]
    warnings: list[str] = []
    tags_by_layer = {}
    for layer, group in checked.items():
        tags, found = place_spans(group, offsets, text, where, cut_inside=inside)
        tags_by_layer[layer] = tags
        warnings.extend(found)
    tags = tags_by_layer.pop(None, None) or ["O"] * len(offsets)
    fields = {
        key: (None if key in TEXT_KEYS or key in SPAN_KEYS else v) for key, v in record.items()
    }
    source: dict = {"fields": fields}
    tokens = [text[s:e] for s, e in offsets]
    gaps = gaps_of(text, offsets, tokens)
    if gaps is not None:
        source["gaps"] = gaps
    sentence = Sentence(
        tokens,
        tags,
        line=line,
        layers=tags_by_layer or None,
        source=source,
    )
    return sentence, warnings


def write(documents: Iterable[ExportDocument]) -> Iterator[bytes]:
    return encoded(_lines(documents))


def _lines(documents: Iterable[ExportDocument]) -> Iterator[str]:
    number = 0
    for document in documents:
        for sentence in document.sentences:
            number += 1
            source = _own(sentence, document)
            text, _, found = char_spans(sentence, document.scheme)
            yield dump_line(_record(source.get("fields") or {"id": number}, text, found))


def _record(fields: dict, text: str, found: list[tuple[int, int, str]]) -> dict:
    record: dict = {}
    wrote_spans = False
    for key, value in fields.items():
        if key in TEXT_KEYS:
            record[key] = text
        elif key == "entities":
            record[key] = [
                {"id": i, "label": label, "start_offset": start, "end_offset": end}
                for i, (start, end, label) in enumerate(found, 1)
            ]
            wrote_spans = True
        elif key in SPAN_KEYS:
            record["label"] = [list(span) for span in found]
            wrote_spans = True
        else:
            record[key] = value
    if not any(key in record for key in TEXT_KEYS):
        record["text"] = text
    if not wrote_spans:
        record["label"] = [list(span) for span in found]
    return record


def _own(sentence, document: ExportDocument) -> dict:
    """The stored source of a record of this format (another format's fields do not apply)."""
    source = getattr(sentence, "source", None) if document.native == NAME else None
    return source or {}


def sniff(head: bytes) -> bool:
    if head.startswith(ZIP_MAGIC):
        return True
    record = first_record(head)
    if record is None:
        return False
    has_text = any(isinstance(record.get(key), str) for key in TEXT_KEYS)
    return has_text and any(key in record for key in SPAN_KEYS) and "tokens" not in record


FORMAT = Format(
    name=NAME,
    title="doccano sequence labelling (JSONL, or the per-member .zip)",
    extensions=(".jsonl", ".zip"),
    media_type="application/x-ndjson",
    read=read,
    write=write,
    sniff=sniff,
)
