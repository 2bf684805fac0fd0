"""Corpus formats (annotator/nlp/formats): pure-Python tests, no Django and no database.

What a user notices: a file exported by doccano, Label Studio, Prodigy, spaCy or a Hugging Face
dataset comes in with its text, tokens and spans (every annotator's), a span that does not fit
the tokens is named in a warning, a broken file is refused with its line and reason, and what
goes out (in the same format or through CoNLL) gives the same text and offsets back.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annotator.nlp import conll
from annotator.nlp.formats import base, registry
from annotator.nlp.formats.base import ExportDocument, ReadOptions
from annotator.nlp.scheme import spans as decode

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
CONLL_2003 = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def read(format_name: str, data: bytes, name: str = "file", **options):
    """Sentences and warnings of a file (the events in between checked for their shape)."""
    events = list(registry.get(format_name).read(io.BytesIO(data), name, ReadOptions(**options)))
    assert isinstance(events[0], conll.DocumentStart)
    assert isinstance(events[-1], conll.DocumentEnd)
    sentences = [e for e in events if isinstance(e, conll.Sentence)]
    warnings = [e for e in events if isinstance(e, conll.Problem)]
    return sentences, warnings


def write(format_name: str, sentences, native: str, scheme: str = "iob2") -> bytes:
    document = ExportDocument(name="out", native=native, scheme=scheme, sentences=sentences)
    return b"".join(registry.get(format_name).write([document]))


def problems(format_name: str, data: bytes, **options) -> list[conll.Problem]:
    with pytest.raises(conll.ConllError) as raised:
        read(format_name, data, "bad.file", **options)
    return raised.value.problems


def char_spans(text: str, tokens, tags) -> set[tuple[int, int, str]]:
    """Spans as offsets into `text`, found by the tokens' positions in it."""
    offsets, position = [], 0
    for token in tokens:
        start = text.index(token, position)
        offsets.append((start, start + len(token)))
        position = start + len(token)
    return {(offsets[s.start][0], offsets[s.end - 1][1], s.label) for s in decode(tags, "iob2")}


def doccano_zip(*members: tuple[str, bytes]) -> bytes:
    """A per-member export as doccano writes it (zip_files: deflated, one file per member)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def test_the_formats_import_without_django_or_spacy():
    code = (
        "import sys, annotator.nlp.formats.registry; "
        "assert 'django' not in sys.modules and 'spacy' not in sys.modules"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=DATA.parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- doccano ---------------------------------------------------------------------------------


def test_a_doccano_export_keeps_its_text_and_every_span():
    data = (DATA / "doccano.jsonl").read_bytes()
    sentences, warnings = read("doccano", data)

    records = [json.loads(line) for line in data.decode().splitlines()]
    assert len(sentences) == 3
    assert warnings == []
    for record, sentence in zip(records, sentences, strict=True):
        expected = {tuple(span) for span in record["label"]}
        assert char_spans(record["text"], sentence.tokens, sentence.tags) == expected
    assert sentences[0].tokens[-2:] == ["lamb", "."]
    assert sentences[1].tokens[4:7] == ["Brussels", "/", "Luxembourg"]


def test_a_doccano_export_written_back_is_the_same_records():
    data = (DATA / "doccano.jsonl").read_bytes()
    sentences, _ = read("doccano", data)

    written = write("doccano", sentences, native="doccano").decode().splitlines()

    original = [json.loads(line) for line in data.decode().splitlines()]
    again = [json.loads(line) for line in written]
    for record in original:
        record["label"] = sorted(record["label"])
    assert again == original


def test_a_doccano_per_member_zip_becomes_one_layer_per_member():
    members = DATA / "doccano-members"
    data = doccano_zip(*((p.name, p.read_bytes()) for p in sorted(members.glob("*.jsonl"))))

    sentences, _ = read("doccano", data, "project.zip")

    assert [set(s.layers) for s in sentences] == [{"doccano: alice", "doccano: bob"}] * 2
    first = sentences[0]
    text = "Keras runs on TensorFlow and JAX."
    assert char_spans(text, first.tokens, first.layers["doccano: alice"]) == {
        (0, 5, "Library"),
        (14, 24, "Library"),
        (29, 32, "Library"),
    }
    assert char_spans(text, first.tokens, first.layers["doccano: bob"]) == {
        (0, 5, "Library"),
        (14, 24, "Library"),
    }
    assert first.tags == ["O"] * len(first.tokens)  # no span without a member


def test_a_broken_member_of_a_doccano_zip_is_named_with_its_line():
    good = (DATA / "doccano-members" / "alice.jsonl").read_bytes()
    data = doccano_zip(
        ("alice.jsonl", good), ("bob.jsonl", b'{"id": 99, "text": "x", "label": [[0, 5, "X"]]}\n')
    )

    found = problems("doccano", data)

    assert [(p.line, p.message.split(":")[0]) for p in found] == [(1, "bob.jsonl")]
    assert "outside the text" in found[0].message


def test_doccano_annotations_naming_their_user_become_one_layer_per_user():
    record = {
        "id": 5,
        "text": "Obama met Merkel",
        "annotations": [
            {"label": 1, "start_offset": 0, "end_offset": 5, "user": 1},
            {"label": 1, "start_offset": 10, "end_offset": 16, "user": 2},
        ],
        "meta": {},
        "annotation_approver": None,
    }
    sentences, _ = read("doccano", json.dumps(record).encode())

    assert sentences[0].layers == {
        "doccano: user 1": ["B-1", "O", "O"],
        "doccano: user 2": ["O", "O", "B-1"],
    }


def test_doccano_relation_export_entities_are_read_and_written_back():
    record = {
        "id": 9,
        "text": "Ada Lovelace wrote notes.",
        "entities": [{"id": 4, "label": "PER", "start_offset": 0, "end_offset": 12}],
        "relations": [],
    }
    sentences, _ = read("doccano", json.dumps(record).encode())
    assert sentences[0].tags == ["B-PER", "I-PER", "O", "O", "O"]

    again = json.loads(write("doccano", sentences, native="doccano"))
    assert again["entities"] == [{"id": 1, "label": "PER", "start_offset": 0, "end_offset": 12}]
    assert again["relations"] == [] and again["text"] == record["text"]


def test_a_span_inside_a_word_cuts_the_word_and_says_so():
    record = {"id": 1, "text": "The Berliner Zeitung", "label": [[4, 10, "LOC"]]}
    sentences, warnings = read("doccano", json.dumps(record).encode(), "news.jsonl")

    assert sentences[0].tokens == ["The", "Berlin", "er", "Zeitung"]
    assert sentences[0].tags == ["O", "B-LOC", "O", "O"]
    assert len(warnings) == 1
    assert warnings[0].file == "news.jsonl" and warnings[0].line == 1
    assert "LOC [4, 10) 'Berlin'" in warnings[0].message and "cut" in warnings[0].message
    # The exact offsets come back out.
    assert json.loads(write("doccano", sentences, native="doccano"))["label"] == [[4, 10, "LOC"]]


def test_a_span_with_spaces_at_its_edges_is_kept_on_its_words_with_a_warning():
    record = {"id": 7, "text": "Hello  Ada Lovelace !", "label": [[5, 19, "PER"]]}
    sentences, warnings = read("doccano", json.dumps(record).encode())

    assert sentences[0].tags == ["O", "B-PER", "I-PER", "O"]
    assert len(warnings) == 1
    message = warnings[0].message
    assert "example 7" in message and "[5, 19)" in message and "kept as [7, 19)" in message


def test_overlapping_spans_keep_the_first_and_warn_about_the_other():
    record = {"id": 1, "text": "New York City", "label": [[0, 8, "LOC"], [4, 13, "ORG"]]}
    sentences, warnings = read("doccano", json.dumps(record).encode())

    assert sentences[0].tags == ["B-LOC", "I-LOC", "O"]
    assert len(warnings) == 1 and "overlaps" in warnings[0].message
    assert "ORG [4, 13)" in warnings[0].message


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": 1, "text": "abc", "label": [[0, 9, "X"]]}', "outside the text"),
        ('{"id": 1, "text": "abc", "label": [[2, 1, "X"]]}', "empty or outside"),
        ('{"id": 1, "text": "abc", "label": [[0, 1]]}', "must be [start, end, label]"),
        ('{"id": 1, "text": "abc", "label": ["positive"]}', "text-classification export"),
        ('{"id": 1, "label": []}', "no 'text'"),
        ('{"id": 1, "text": "abc", "label": [', "not JSON"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_a_broken_doccano_line_is_refused_with_its_line_and_reason(line, reason):
    data = b'{"id": 0, "text": "fine", "label": []}\n' + line.encode() + b"\n"
    found = problems("doccano", data)

    assert [(p.file, p.line) for p in found] == [("bad.file", 2)]
    assert reason in found[0].message


def test_every_broken_line_is_listed_not_only_the_first():
    data = b"{oops\n" + b'{"id": 1, "text": "ok", "label": []}\n' + b"[]\n"
    assert [p.line for p in problems("doccano", data)] == [1, 3]


def test_an_empty_or_binary_file_is_refused():
    assert "no examples" in problems("doccano", b"\n\n")[0].message
    assert "binary" in problems("doccano", b'{"text": "a\x00"}\n')[0].message
    assert "UTF-8" in problems("doccano", b'{"text": "caf\xe9"}\n')[0].message


# --- Label Studio --------------------------------------------------------------------------


def test_a_label_studio_export_gives_one_layer_per_annotator():
    sentences, warnings = read("label-studio", (DATA / "label-studio.json").read_bytes())

    keras, hinton = sentences
    text = "Keras runs on TensorFlow and JAX."
    assert char_spans(text, keras.tokens, keras.layers["label-studio: user 1"]) == {
        (0, 5, "Library"),
        (14, 24, "Library"),
    }
    assert char_spans(text, keras.tokens, keras.layers["label-studio: user 2"]) == {
        (0, 5, "Library"),
        (29, 32, "Library"),
    }
    # User 2 cancelled task 12: no layer from that annotation, and a warning says so.
    assert set(hinton.layers) == {"label-studio: user 1"}
    assert [w.message for w in warnings] == [
        "task 12: the annotation by user 2 was cancelled; not imported"
    ]


def test_a_label_studio_task_written_back_has_its_text_data_and_spans():
    sentences, _ = read("label-studio", (DATA / "label-studio.json").read_bytes())
    keras = sentences[0]
    exported = base.Sentence(
        keras.tokens, keras.layers["label-studio: user 2"], source=keras.source
    )

    tasks = json.loads(write("label-studio", [exported], native="label-studio"))

    assert tasks[0]["id"] == 11 and tasks[0]["data"] == {
        "text": "Keras runs on TensorFlow and JAX."
    }
    values = [r["value"] for r in tasks[0]["annotations"][0]["result"]]
    assert values == [
        {"start": 0, "end": 5, "text": "Keras", "labels": ["Library"]},
        {"start": 29, "end": 32, "text": "JAX", "labels": ["Library"]},
    ]
    assert {r["from_name"] for r in tasks[0]["annotations"][0]["result"]} == {"label"}


def test_label_studio_file_that_is_not_an_array_of_tasks_is_refused():
    assert "JSON array" in problems("label-studio", b'{"data": {}}')[0].message
    found = problems("label-studio", b'[\n{"id": 1, "data": {"text": "a"}},\n{"id": 2, "data"\n')
    assert found[0].line == 3 and "not JSON" in found[0].message
    found = problems("label-studio", b'[{"id": 1, "data": {"image": 1, "x": 2}}]')
    assert "no text" in found[0].message


def test_label_studio_tasks_are_read_one_by_one_across_blocks(monkeypatch):
    monkeypatch.setattr(base, "BLOCK_SIZE", 7)  # every task spans several reads
    task = {"id": 1, "data": {"text": "Ada Lovelace"}, "annotations": []}
    data = ("[\n" + ",\n".join(json.dumps({**task, "id": i}) for i in range(50)) + "\n]").encode()

    sentences, _ = read("label-studio", data)

    assert len(sentences) == 50 and [s.line for s in sentences[:3]] == [2, 3, 4]


# --- Prodigy -------------------------------------------------------------------------------


def test_a_prodigy_export_uses_its_tokens_and_imports_only_accepted_answers():
    sentences, warnings = read("prodigy", (DATA / "prodigy.jsonl").read_bytes())

    assert len(sentences) == 2
    apple = sentences[0]
    assert apple.tokens[5] == "U.K." and apple.tokens[8:10] == ["$", "1"]
    # One annotator (Prodigy names even a single session): their spans are the file's tags.
    (layer,) = apple.layers
    assert layer == "prodigy: ner_news-default"
    assert apple.layers[layer] == [
        "B-ORG", "O", "O", "O", "O", "B-GPE", "O", "O", "B-MONEY", "I-MONEY", "I-MONEY",
    ]  # fmt: skip
    answers = sorted(w.message.split("'")[1] for w in warnings)
    assert answers == ["ignore", "reject"]


def test_a_prodigy_record_written_back_has_the_same_tokens_and_spans():
    data = (DATA / "prodigy.jsonl").read_bytes()
    sentences, _ = read("prodigy", data)
    first = sentences[0]
    exported = base.Sentence(first.tokens, next(iter(first.layers.values())), source=first.source)

    again = json.loads(write("prodigy", [exported], native="prodigy"))
    original = json.loads(data.decode().splitlines()[0])

    assert again["text"] == original["text"] and again["tokens"] == original["tokens"]
    assert again["spans"] == original["spans"]
    assert again["_input_hash"] == original["_input_hash"] and again["answer"] == "accept"


def test_prodigy_examples_of_several_annotators_become_one_sentence_with_their_layers():
    def example(who, spans):
        return json.dumps(
            {"text": "Ada Lovelace", "_input_hash": 7, "spans": spans, "answer": "accept",
             "_annotator_id": f"ner-{who}", "_session_id": f"ner-{who}"}
        )  # fmt: skip

    data = "\n".join(
        [
            example("alice", [{"start": 0, "end": 12, "label": "PER"}]),
            example("bob", [{"start": 0, "end": 3, "label": "PER"}]),
        ]
    ).encode()
    (sentence,), _ = read("prodigy", data)

    assert sentence.layers == {
        "prodigy: ner-alice": ["B-PER", "I-PER"],
        "prodigy: ner-bob": ["B-PER", "O"],
    }


def test_a_prodigy_token_that_is_not_its_text_is_refused():
    record = {"text": "Hi there", "tokens": [{"text": "Hi", "start": 0, "end": 3, "id": 0}]}
    found = problems("prodigy", json.dumps(record).encode())
    assert "token 0 'Hi' is not the text at [0, 3)" in found[0].message


def test_examples_without_words_are_left_out_with_a_warning_not_silently():
    _, warnings = read("prodigy", b'{"text": "  "}\n{"text": "a"}\n')
    assert [(w.line, w.message) for w in warnings] == [
        (1, "the example on line 1 has no words; left out")
    ]
    _, warnings = read(
        "hf", b'{"tokens": [], "ner_tags": []}\n{"tokens": ["a"], "ner_tags": ["O"]}'
    )
    assert [(w.line, w.message) for w in warnings] == [(1, "an example without tokens; left out")]
    _, warnings = read("doccano", b'{"id": 4, "text": " ", "label": []}\n{"text": "a"}\n')
    assert [w.message for w in warnings] == ["example 4 has no words in its text; left out"]


def test_an_unknown_prodigy_answer_is_refused():
    found = problems("prodigy", b'{"text": "a", "answer": "maybe"}')
    assert "answer 'maybe'" in found[0].message


# --- spaCy ---------------------------------------------------------------------------------

spacy = pytest.importorskip("spacy")


def docbin_bytes() -> tuple[bytes, list]:
    """A DocBin written by spaCy itself, from a blank English pipeline."""
    from spacy.tokens import DocBin, Span

    nlp = spacy.blank("en")
    docs = []
    for text, ents in [
        ("Apple is looking at buying U.K. startup for $1 billion", [(0, 1, "ORG"), (5, 6, "GPE")]),
        ("San Francisco considers banning robots.\n\nLater: more.", [(0, 2, "GPE")]),
    ]:
        doc = nlp(text)
        doc.ents = [Span(doc, s, e, label=label) for s, e, label in ents]
        docs.append(doc)
    return DocBin(docs=docs).to_bytes(), docs


def test_a_spacy_docbin_keeps_its_tokens_text_and_entities():
    data, docs = docbin_bytes()
    sentences, _ = read("spacy", data, "train.spacy")

    assert len(sentences) == 2
    assert sentences[0].tokens == [t.text for t in docs[0]]
    assert sentences[0].tags[:6] == ["B-ORG", "O", "O", "O", "O", "B-GPE"]
    # spaCy's whitespace token ("\n\n") is text between tokens here, not a token.
    assert "\n\n" not in sentences[1].tokens
    text, _ = base.text_of(sentences[1].tokens, base.sentence_gaps(sentences[1]))
    assert text == docs[1].text


def test_a_spacy_docbin_written_back_is_read_by_spacy_with_the_same_entities():
    from spacy.tokens import DocBin

    data, docs = docbin_bytes()
    sentences, _ = read("spacy", data)

    written = write("spacy", sentences, native="spacy")
    again = list(DocBin().from_bytes(written).get_docs(spacy.blank("en").vocab))

    assert [d.text for d in again] == [d.text for d in docs]
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in again] == [
        [(e.start_char, e.end_char, e.label_) for e in d.ents] for d in docs
    ]


def test_a_file_that_is_not_a_docbin_is_refused():
    assert "not a spaCy DocBin" in problems("spacy", b"hello")[0].message


# --- Hugging Face --------------------------------------------------------------------------


def test_hugging_face_tag_ids_are_read_with_the_label_list():
    sentences, _ = read("hf", (DATA / "hf.jsonl").read_bytes(), labels=CONLL_2003)

    assert sentences[0].tags == ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"]
    assert sentences[1].tags == ["B-PER", "I-PER"]


def test_hugging_face_tag_ids_without_the_label_list_are_refused():
    found = problems("hf", (DATA / "hf.jsonl").read_bytes())
    assert [p.line for p in found] == [1, 2] and "give the label list" in found[0].message


def test_hugging_face_records_written_back_keep_their_other_fields_and_name_their_tags():
    sentences, _ = read("hf", (DATA / "hf.jsonl").read_bytes(), labels=CONLL_2003)
    first = json.loads(write("hf", sentences, native="hf").decode().splitlines()[0])

    assert first["pos_tags"][:3] == [22, 42, 16] and first["id"] == "0"
    assert first["ner_tags"] == ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"tokens": ["a", "b"], "ner_tags": ["O"]}, "not a list of as many"),
        ({"tokens": ["a"], "ner_tags": ["X-FOO"]}, "malformed tag"),
        ({"tokens": ["a"], "ner_tags": [12]}, "outside the label list"),
        ({"words": ["a"]}, "expected 'tokens'"),
        ({"tokens": [" a"], "ner_tags": ["O"]}, "non-empty strings"),
    ],
)
def test_a_broken_hugging_face_line_is_refused(record, reason):
    found = problems("hf", json.dumps(record).encode(), labels=CONLL_2003)
    assert found[0].line == 1 and reason in found[0].message


# --- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("doccano.jsonl", "doccano"),
        ("label-studio.json", "label-studio"),
        ("prodigy.jsonl", "prodigy"),
        ("hf.jsonl", "hf"),
    ],
)
def test_auto_detection_tells_the_real_exports_apart(file, expected):
    head = (DATA / file).read_bytes()[: registry.HEAD_SIZE]
    assert registry.detect(file, head).name == expected


def test_auto_detection_goes_by_a_suffix_only_one_format_uses():
    assert registry.detect("train.spacy", b"\x78\x9c").name == "spacy"
    assert registry.detect("export.zip", b"PK\x03\x04").name == "doccano"
    assert registry.detect("corpus.conll", b'{"text": "x", "label": []}').name == "conll"
    assert registry.detect("notes", b"EU\tB-ORG\n").name == "conll"


# --- round trips through CoNLL ---------------------------------------------------------------


def through_conll(sentences: list, native: str) -> list[conll.Sentence]:
    """Export as CoNLL, and read that CoNLL file back."""
    data = write("conll", sentences, native=native)
    events = conll.read(io.BytesIO(data), "through.conll")
    return [e for e in events if isinstance(e, conll.Sentence)]


@pytest.mark.parametrize("format_name", ["doccano", "label-studio", "prodigy"])
def test_text_formats_come_back_from_conll_with_the_same_text_and_offsets(format_name):
    file = {"doccano": "doccano.jsonl", "label-studio": "label-studio.json"}.get(
        format_name, "prodigy.jsonl"
    )
    sentences, _ = read(format_name, (DATA / file).read_bytes())
    flat = [
        base.Sentence(
            s.tokens, next(iter(s.layers.values())) if s.layers else s.tags, source=s.source
        )
        for s in sentences
    ]
    direct = json_spans(format_name, write(format_name, flat, native=format_name))

    again = through_conll(flat, native=format_name)
    via_conll = json_spans(format_name, write(format_name, again, native="conll"))

    assert via_conll == direct


def json_spans(format_name: str, data: bytes) -> list[tuple[str, set]]:
    """(text, spans) of each record of an export, whatever the format's shape."""
    if format_name == "label-studio":
        return [
            (
                t["data"]["text"],
                {(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
                 for r in t["annotations"][0]["result"]},
            )
            for t in json.loads(data)
        ]  # fmt: skip
    out = []
    for line in data.decode().splitlines():
        record = json.loads(line)
        if format_name == "doccano":
            out.append((record["text"], {tuple(s) for s in record["label"]}))
        else:
            out.append(
                (record["text"], {(s["start"], s["end"], s["label"]) for s in record["spans"]})
            )
    return out


def test_hugging_face_and_spacy_come_back_from_conll_with_the_same_tokens_and_tags():
    sentences, _ = read("hf", (DATA / "hf.jsonl").read_bytes(), labels=CONLL_2003)
    again = through_conll(sentences, native="hf")
    assert [(s.tokens, s.tags) for s in again] == [(s.tokens, s.tags) for s in sentences]

    data, docs = docbin_bytes()
    sentences, _ = read("spacy", data)
    again = through_conll(sentences, native="spacy")
    back, _ = read("spacy", write("spacy", again, native="conll"))
    assert [(s.tokens, s.tags) for s in back] == [(s.tokens, s.tags) for s in sentences]


def test_a_conll_file_comes_back_byte_for_byte_through_the_registry():
    data = (Path(__file__).resolve().parents[1] / "data" / "web" / "small.conll").read_bytes()
    events = list(registry.get("conll").read(io.BytesIO(data), "small.conll", ReadOptions()))
    start = events[0]
    sentences = [e for e in events if isinstance(e, conll.Sentence)]
    document = ExportDocument(
        "small.conll", "conll", "iob2", sentences, start.format, events[-1].trailer
    )
    assert b"".join(registry.get("conll").write([document])) == data


# --- properties ------------------------------------------------------------------------------

WORD = st.text("abcdefghijklmnopqrstuvwxyzÄéß0123456789", min_size=1, max_size=8)
PUNCT = st.sampled_from(list(".,;:!?()$%/"))
LABELS = st.sampled_from(["PER", "LOC", "ORG", "B-Cell"])


@st.composite
def sentences(draw):
    tokens = draw(st.lists(st.one_of(WORD, PUNCT), min_size=1, max_size=12))
    tags, i = [], 0
    while i < len(tokens):
        if draw(st.booleans()):
            width = draw(st.integers(1, len(tokens) - i))
            label = draw(LABELS)
            tags += [f"B-{label}"] + [f"I-{label}"] * (width - 1)
            i += width
        else:
            tags.append("O")
            i += 1
    gaps = [draw(st.sampled_from(["", " ", "  ", "\t"]))]
    for token, following in zip(tokens, tokens[1:], strict=False):
        # Words side by side need a space, or the tokenizer would read them as one.
        words = token[-1].isalnum() and following[0].isalnum()
        gaps.append(draw(st.sampled_from([" ", "  "] if words else ["", " ", "\u00a0"])))
    gaps.append(draw(st.sampled_from(["", " "])))
    return base.Sentence(tokens, tags, source={"gaps": gaps})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(sentences(), min_size=1, max_size=4),
    st.sampled_from(["doccano", "label-studio", "prodigy", "hf", "spacy"]),
)
def test_what_a_format_writes_it_reads_back_as_the_same_tokens_tags_and_text(batch, format_name):
    written = write(format_name, batch, native="conll")
    read_back, warnings = read(format_name, written)

    assert warnings == []
    assert [s.tokens for s in read_back] == [s.tokens for s in batch]
    assert [(s.layers and next(iter(s.layers.values()))) or s.tags for s in read_back] == [
        s.tags for s in batch
    ]
    if format_name not in ("hf",):
        assert [base.text_of(s.tokens, base.sentence_gaps(s))[0] for s in read_back] == [
            base.text_of(s.tokens, s.source["gaps"])[0] for s in batch
        ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(sentences(), min_size=1, max_size=4),
    st.sampled_from(["doccano", "label-studio", "prodigy"]),
)
def test_any_sentence_survives_a_text_format_then_conll_then_the_format(batch, format_name):
    # A text with a tab or a line break cannot be one `# text = ` comment line.
    assume(all("\t" not in "".join(s.source["gaps"]) for s in batch))
    direct = write(format_name, batch, native="conll")
    imported = [flat(s) for s in read(format_name, direct)[0]]
    again = through_conll(imported, native=format_name)
    assert write(format_name, again, native="conll") == direct


def flat(sentence):
    """A sentence with its one annotator's tags (Label Studio names even an unknown one)."""
    tags = next(iter(sentence.layers.values())) if sentence.layers else sentence.tags
    return base.Sentence(sentence.tokens, tags, source=sentence.source)


@settings(max_examples=100, deadline=None)
@given(
    st.text(max_size=40), st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=4)
)
def test_any_character_span_is_placed_or_named_in_a_warning(text, pairs):
    found = [[min(a, b), max(a, b), "X"] for a, b in pairs if min(a, b) < max(a, b) <= len(text)]
    record = {"id": 1, "text": text, "label": found}
    try:
        sentences, warnings = read("doccano", json.dumps(record).encode())
    except conll.ConllError as error:
        assert "no examples" in str(error)  # a text without a single token
        return
    if not sentences:
        return
    kept = len(decode(sentences[0].tags, "iob2"))
    assert kept + sum("left out" in w.message for w in warnings) == len(found)
