"""Label Studio's JSON export of a named-entity project: an array of tasks.

A task is `{"id": 1, "data": {"text": "..."}, "annotations": [{"completed_by": 1, "result":
[{"value": {"start": 0, "end": 5, "text": "...", "labels": ["PER"]}, "from_name": "label",
"to_name": "text", "type": "labels"}, ...]}, ...], ...}`. Each task is one sentence; each
annotator (`completed_by`: a user id, or the user object older versions wrote) gets a layer
("label-studio: user 1"). Cancelled annotations (`was_cancelled`) and predictions are not
imported, and results of other types (choices, relations...) are skipped, each with a warning.
The text is tokenized (base.TOKENIZER) and cut at every span edge. The file is read task by
task, never whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from annotator.nlp.formats.base import (
    CharSpan,
    Event,
    ExportDocument,
    Format,
    Problems,
    ReadOptions,
    Sentence,
    char_spans,
    check_char_spans,
    encoded,
    gaps_of,
    json_array_items,
    one_document,
    place_spans,
    tokenize_for_spans,
)

NAME = "label-studio"


def read(stream: BinaryIO, name: str, options: ReadOptions) -> Iterator[Event]:
    problems = Problems(name)
    results = (
        (line, *_sentence(task, line, problems))
        for line, task in json_array_items(stream, problems)
    )
    yield from one_document(name, problems, results, "the file has no tasks with text")


def _sentence(task, line: int, problems: Problems) -> tuple[Sentence | None, list[str]]:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        problems.fail(line, "a task must be an object with 'data' (Label Studio's JSON export)")
        return None, []
    where = f"task {task.get('id', '?')}"
    text_key, text = _text(task["data"])
    if text is None:
        problems.fail(line, f"{where}: no text in 'data' (expected data.text)")
        return None, []
    warnings: list[str] = []
    spans, names = _annotations(task, text, where, line, problems, warnings)
    if problems:
        return None, []
    every = [span for group in spans.values() for span in group]
    offsets, inside = tokenize_for_spans(text, every)
    if not offsets:
        return None, [f"{where} has no words in its text; left out"]
    layers = {}
    for layer, group in spans.items():
        layers[layer], found = place_spans(group, offsets, text, where, cut_inside=inside)
        warnings.extend(found)
    fields = {k: v for k, v in task.items() if k not in ("annotations", "predictions")}
    fields["data"] = {k: (None if k == text_key else v) for k, v in task["data"].items()}
    source: dict = {"fields": fields, "names": names}
    tokens = [text[s:e] for s, e in offsets]
    gaps = gaps_of(text, offsets, tokens)
    if gaps is not None:
        source["gaps"] = gaps
    sentence = Sentence(tokens, ["O"] * len(tokens), line=line, layers=layers, source=source)
    return sentence, warnings


def _text(data: dict) -> tuple[str | None, str | None]:
    if isinstance(data.get("text"), str):
        return "text", data["text"]
    strings = [k for k, v in data.items() if isinstance(v, str)]
    return (strings[0], data[strings[0]]) if len(strings) == 1 else (None, None)


def _annotations(task: dict, text: str, where: str, line: int, problems, warnings):
    """Per annotator's layer, the checked spans; and the tag names the results used."""
    spans: dict[str, list[CharSpan]] = {}
    names: dict = {}
    if task.get("predictions"):
        warnings.append(f"{where}: {len(task['predictions'])} prediction(s) not imported")
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list):
        problems.fail(line, f"{where}: 'annotations' must be a list")
        return spans, names
    for annotation in annotations:
        if not isinstance(annotation, dict) or not isinstance(annotation.get("result", []), list):
            problems.fail(line, f"{where}: an annotation must be an object with a 'result' list")
            continue
        who = _who(annotation.get("completed_by"))
        if annotation.get("was_cancelled"):
            warnings.append(f"{where}: the annotation by {who} was cancelled; not imported")
            continue
        triples = []
        for result in annotation.get("result", []):
            if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
                problems.fail(line, f"{where}: a result must be an object with a 'value'")
                continue
            value = result["value"]
            labels = value.get("labels")
            if result.get("type") not in (None, "labels") or labels is None:
                warnings.append(f"{where}: a {result.get('type')!r} result skipped (not a span)")
                continue
            if not isinstance(labels, list) or len(labels) != 1:
                problems.fail(line, f"{where}: a span needs exactly one label, found {labels!r}")
                continue
            names.setdefault("from_name", result.get("from_name"))
            names.setdefault("to_name", result.get("to_name"))
            triples.append([value.get("start"), value.get("end"), labels[0]])
        good, bad = check_char_spans(triples, text, where)
        for message in bad:
            problems.fail(line, message)
        spans.setdefault(f"{NAME}: {who}", []).extend(good)
    return spans, names


def _who(completed_by) -> str:
    if isinstance(completed_by, dict):
        completed_by = completed_by.get("email") or completed_by.get("id")
    return "unknown" if completed_by is None else f"user {completed_by}"


def write(documents: Iterable[ExportDocument]) -> Iterator[bytes]:
    return encoded(_parts(documents))


def _parts(documents: Iterable[ExportDocument]) -> Iterator[str]:
    import json

    yield "["
    number = 0
    for document in documents:
        for sentence in document.sentences:
            number += 1
            source = _own(sentence, document)
            text, _, found = char_spans(sentence, document.scheme)
            task = _task(source, number, text, found)
            yield ("\n" if number == 1 else ",\n") + json.dumps(task, ensure_ascii=False)
    yield "\n]\n"


def _task(source: dict, number: int, text: str, found) -> dict:
    fields = source.get("fields") or {"id": number, "data": {"text": None}}
    names = source.get("names") or {}
    task = dict(fields)
    data = dict(fields.get("data") or {"text": None})
    text_key = next((k for k, v in data.items() if v is None), "text")
    data[text_key] = text
    task["data"] = data
    result = [
        {
            "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]},
            "id": f"{number}-{i}",
            "from_name": names.get("from_name") or "label",
            "to_name": names.get("to_name") or text_key,
            "type": "labels",
            "origin": "manual",
        }
        for i, (s, e, label) in enumerate(found, 1)
    ]
    task["annotations"] = [{"id": number, "result": result, "was_cancelled": False}]
    return task


def _own(sentence, document: ExportDocument) -> dict:
    """The stored source of a record of this format (another format's fields do not apply)."""
    source = getattr(sentence, "source", None) if document.native == NAME else None
    return source or {}


def sniff(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"[") and (b'"data"' in head and b'"annotations"' in head)


FORMAT = Format(
    name=NAME,
    title="Label Studio JSON export (NER)",
    extensions=(".json",),
    media_type="application/json",
    read=read,
    write=write,
    sniff=sniff,
)
