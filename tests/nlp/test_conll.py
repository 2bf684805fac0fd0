"""CoNLL reader and writer: pure-Python tests, no Django and no database.

What a user notices: every file they import is exported byte for byte as it came in, its
tokens and tags are read right whatever the dialect, and a file that cannot be imported is
rejected with every problem named by file and line.
"""

from __future__ import annotations

import codecs
import io
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.nlp import conll
from annotator.nlp.conll import (
    ConllError,
    DocumentEnd,
    DocumentFormat,
    DocumentStart,
    Problem,
    Sentence,
)
from annotator.nlp.scheme import parse_tag
from tests.paths import DEMO_SAMPLE, shared_sample

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT / "tests" / "data" / "conll"


# --- helpers -------------------------------------------------------------------------------


@dataclass
class Document:
    name: str
    format: DocumentFormat
    sentences: list[Sentence] = field(default_factory=list)
    trailer: str = ""

    @property
    def tokens(self) -> list[list[str]]:
        return [s.tokens for s in self.sentences]

    @property
    def tags(self) -> list[list[str]]:
        return [s.tags for s in self.sentences]


def read_documents(data: bytes, name: str = "test.conll", **options) -> list[Document]:
    """Read a whole file, checking that the stream has the documented shape."""
    documents: list[Document] = []
    current: Document | None = None
    for item in conll.read(io.BytesIO(data), name, **options):
        if isinstance(item, DocumentStart):
            assert current is None, "a document started inside another one"
            current = Document(item.name, item.format)
        elif isinstance(item, Sentence):
            assert current is not None, "a sentence outside any document"
            current.sentences.append(item)
        else:
            assert isinstance(item, DocumentEnd)
            assert current is not None, "a document ended that never started"
            current.trailer = item.trailer
            documents.append(current)
            current = None
    assert current is None, "the last document never ended"
    return documents


def write_documents(documents: list[Document]) -> bytes:
    return b"".join(b"".join(conll.write(d.format, d.sentences, d.trailer)) for d in documents)


def round_trip(data: bytes, name: str = "test.conll", **options) -> bytes:
    """Read a file and write every document back, as an export of an unedited import does."""
    return write_documents(read_documents(data, name, **options))


def sentences(documents: list[Document]) -> list[Sentence]:
    return [s for d in documents for s in d.sentences]


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def problems_of(data: bytes, name: str = "test.conll", **options) -> list[Problem]:
    with pytest.raises(ConllError) as caught:
        read_documents(data, name, **options)
    error = caught.value
    assert error.problems, "ConllError without any problem"
    for problem in error.problems:
        assert str(problem) in str(error)
        assert problem.file == name
    return error.problems


def lines_of(problems: list[Problem]) -> list[int]:
    return [p.line for p in problems]


# --- no Django -------------------------------------------------------------------------------


def test_the_conll_module_imports_without_django() -> None:
    code = "import sys, annotator.nlp.conll; assert 'django' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- dialects: each fixture exports byte-identical -------------------------------------------

ROUND_TRIP_FIXTURES = [
    ("conll2003.conll", {}),
    ("wrapped.conll", {}),
    ("conllu_comments.conll", {}),
    ("hashtag_token.conll", {}),
    ("tab_spaces.conll", {}),
    ("multi_space.conll", {}),
    ("crlf.conll", {}),
    ("mixed_newlines.conll", {}),
    ("no_final_newline.conll", {}),
    ("blank_runs.conll", {}),
    ("trailing_whitespace.conll", {}),
    ("utf8_bom.conll", {}),
    ("latin1_spanish.conll", {"encoding": "latin-1"}),
    ("utf16_bom.conll", {}),
    ("utf16be_bom.conll", {}),
    ("middle_tag.conll", {"tag_column": 2}),
    ("middle_tag.conll", {"tag_column": -2}),
    ("iob1.conll", {}),
    ("bioes.conll", {}),
    ("bilou.conll", {}),
]


@pytest.mark.parametrize(
    ("name", "options"),
    ROUND_TRIP_FIXTURES,
    ids=[f"{n}-{o}" if o else n for n, o in ROUND_TRIP_FIXTURES],
)
def test_every_supported_dialect_exports_byte_identical(name: str, options: dict) -> None:
    data = fixture(name)
    assert round_trip(data, name, **options) == data


def test_a_conll2003_file_keeps_its_four_columns_and_splits_at_each_docstart() -> None:
    documents = read_documents(fixture("conll2003.conll"), "eng.train")
    assert len(documents) == 2
    assert documents[0].name == "eng.train"
    assert documents[1].name != documents[0].name
    assert "eng.train" in documents[1].name
    assert documents[0].tokens == [
        ["EU", "rejects", "German", "call", "."],
        ["Peter", "Blackburn"],
    ]
    assert documents[0].tags == [["B-ORG", "O", "B-MISC", "O", "O"], ["B-PER", "I-PER"]]
    assert documents[0].sentences[0].extras == [
        ["NNP", "B-NP"],
        ["VBZ", "B-VP"],
        ["JJ", "B-NP"],
        ["NN", "I-NP"],
        [".", "O"],
    ]
    assert documents[1].tokens == [["BRUSSELS", "1996-08-22"]]
    assert documents[1].tags == [["B-LOC", "O"]]
    assert documents[1].sentences[0].extras == [["NNP", "B-NP"], ["CD", "I-NP"]]
    for document in documents:
        assert document.format.delimiter == " "
        assert document.format.columns == 4
        assert document.format.tag_column == 3
    # The -DOCSTART- lines are never tokens.
    assert all("-DOCSTART-" not in s.tokens for s in sentences(documents))


def test_each_document_of_a_conll2003_file_exports_on_its_own() -> None:
    data = fixture("conll2003.conll")
    first, second = read_documents(data)
    one = write_documents([first])
    two = write_documents([second])
    assert one + two == data
    assert one.startswith(b"-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n")
    assert two.startswith(b"-DOCSTART- -X- -X- O\n")
    assert b"BRUSSELS" in two and b"BRUSSELS" not in one


def test_a_file_of_sentences_wrapped_in_s_tags_reads_each_sentence_once() -> None:
    documents = read_documents(fixture("wrapped.conll"))
    assert len(documents) == 1
    assert documents[0].tokens == [
        ["A", "recurrent", "neural", "network"],
        ["PyTorch", "is", "used", "."],
    ]
    assert documents[0].tags == [
        ["O", "B-Algorithm", "I-Algorithm", "I-Algorithm"],
        ["B-Library", "O", "O", "O"],
    ]
    assert all(s.extras is None for s in documents[0].sentences)
    assert documents[0].format.delimiter == "\t"


def test_conllu_comment_lines_are_kept_but_never_read_as_tokens() -> None:
    data = fixture("conllu_comments.conll")
    documents = read_documents(data)
    assert documents[0].tokens == [
        ["EU", "rejects", "German", "call"],
        ["Peter", "Blackburn"],
    ]
    assert documents[0].tags == [["B-ORG", "O", "B-MISC", "O"], ["B-PER", "I-PER"]]
    first, second = documents[0].sentences
    assert first.before == ("# newdoc id = n01\n# sent_id = 1\n# text = EU rejects German call\n")
    assert second.before == "\n# sent_id = 2\n# text = Peter Blackburn\n"


def test_a_comment_ending_in_a_tag_like_word_before_the_first_token_stays_a_comment() -> None:
    # "# text = ..." repeats the sentence, so its last word can be anything, "O" included.
    data = b"# text = Big O\nBig\tB-Notation\nO\tI-Notation\n\n"
    documents = read_documents(data)
    assert documents[0].tokens == [["Big", "O"]]
    assert documents[0].tags == [["B-Notation", "I-Notation"]]
    assert documents[0].sentences[0].before == "# text = Big O\n"
    assert round_trip(data) == data


def test_a_hash_sign_token_with_a_tag_is_a_token_not_a_comment() -> None:
    documents = read_documents(fixture("hashtag_token.conll"))
    assert documents[0].tokens == [
        ["#", "NLProc", "is", "fun"],
        ["love", "#", "#python"],
    ]
    assert documents[0].tags == [
        ["O", "B-Topic", "O", "O"],
        ["O", "O", "B-Language"],
    ]
    assert documents[0].sentences[0].line == 1


def test_a_hash_sign_token_in_a_space_separated_file_is_a_token() -> None:
    data = b"love O\n# O\npython B-Language\n\n"
    documents = read_documents(data)
    assert documents[0].tokens == [["love", "#", "python"]]
    assert documents[0].tags == [["O", "O", "B-Language"]]
    assert round_trip(data) == data


def test_tab_separated_tokens_keep_their_inner_and_trailing_spaces() -> None:
    documents = read_documents(fixture("tab_spaces.conll"))
    assert documents[0].tokens == [
        ["I", "live", "in", "New York"],
        ["the", "Windows XP ", "machine"],
    ]
    assert documents[0].tags == [
        ["O", "O", "O", "B-LOC"],
        ["O", "B-Operating_System", "O"],
    ]


def test_runs_of_spaces_separate_columns_and_are_exported_unchanged() -> None:
    data = fixture("multi_space.conll")
    documents = read_documents(data)
    assert documents[0].tokens == [["EU", "rejects", "German"], ["Peter"]]
    assert documents[0].tags == [["B-ORG", "O", "B-MISC"], ["B-PER"]]
    assert documents[0].sentences[0].extras == [["NNP"], ["VBZ"], ["JJ"]]
    assert documents[0].format.delimiter == " "
    assert round_trip(data) == data


def test_a_crlf_file_reads_like_its_lf_twin_and_exports_crlf() -> None:
    data = fixture("crlf.conll")
    documents = read_documents(data)
    twin = read_documents(data.replace(b"\r\n", b"\n"))
    assert documents[0].tokens == twin[0].tokens == [["EU", "rejects"], ["Peter", "Blackburn"]]
    assert documents[0].tags == twin[0].tags == [["B-ORG", "O"], ["B-PER", "I-PER"]]
    assert documents[0].format.newline == "\r\n"
    assert all("\r" not in t for s in documents[0].tags for t in s)
    assert round_trip(data) == data


def test_a_file_mixing_lf_and_crlf_keeps_each_line_ending() -> None:
    data = fixture("mixed_newlines.conll")
    documents = read_documents(data)
    assert documents[0].tokens == [["EU", "rejects"], ["Peter", "Blackburn"]]
    assert documents[0].tags == [["B-ORG", "O"], ["B-PER", "I-PER"]]
    assert round_trip(data) == data


def test_a_file_without_a_final_newline_exports_without_one() -> None:
    data = fixture("no_final_newline.conll")
    documents = read_documents(data)
    assert documents[0].tokens == [["EU", "rejects"], ["Peter", "Blackburn"]]
    assert documents[0].tags[-1] == ["B-PER", "I-PER"]
    exported = round_trip(data)
    assert exported == data
    assert exported.endswith(b"I-PER")


def test_a_file_ending_in_a_marker_without_newline_exports_unchanged() -> None:
    data = b"<s>\nEU\tB-ORG\n</s>"
    assert read_documents(data)[0].tokens == [["EU"]]
    assert round_trip(data) == data


def test_a_one_token_file_without_newline_round_trips() -> None:
    data = b"EU\tB-ORG"
    documents = read_documents(data)
    assert documents[0].tokens == [["EU"]]
    assert documents[0].tags == [["B-ORG"]]
    assert round_trip(data) == data


def test_several_blank_or_whitespace_lines_between_sentences_make_one_break() -> None:
    data = fixture("blank_runs.conll")
    documents = read_documents(data)
    assert documents[0].tokens == [["EU", "rejects"], ["Peter"], ["Blackburn"]]
    assert documents[0].tags == [["B-ORG", "O"], ["B-PER"], ["I-PER"]]
    assert [s.line for s in documents[0].sentences] == [3, 8, 12]
    assert round_trip(data) == data


def test_trailing_whitespace_on_token_lines_is_not_part_of_the_tag() -> None:
    data = fixture("trailing_whitespace.conll")
    documents = read_documents(data)
    assert documents[0].tokens == [["EU", "rejects", "German", "call"]]
    assert documents[0].tags == [["B-ORG", "O", "B-MISC", "O"]]
    assert round_trip(data) == data


def test_trailing_whitespace_after_a_last_extra_column_is_not_part_of_it() -> None:
    # The tag is in the middle: trailing blanks follow the last extra column on any line.
    data = b"Code\tO\tNN\nin\tO\tIN \njQuery\tB-Library\tNNP\t\n\n"
    documents = read_documents(data, tag_column=2)
    assert documents[0].tags == [["O", "O", "B-Library"]]
    assert documents[0].sentences[0].extras == [["NN"], ["IN"], ["NNP"]]
    assert round_trip(data, tag_column=2) == data


def test_a_space_separated_line_with_trailing_blanks_after_an_extra_column_reads_clean() -> None:
    data = b"EU B-ORG NNP\nrejects O VBZ \ncall O NN\n\n"
    documents = read_documents(data, tag_column=2)
    assert documents[0].sentences[0].extras == [["NNP"], ["VBZ"], ["NN"]]
    assert round_trip(data, tag_column=2) == data


def test_a_file_larger_than_a_read_block_keeps_every_line_ending_and_line_number() -> None:
    # Well over a megabyte: LF lines, then CRLF lines, then mixed, then no final newline.
    parts = []
    for i in range(60_000):
        parts.append(b"w%d\tO\n" % i + (b"\n" if i % 6 == 5 else b""))
    for i in range(60_000):
        parts.append(b"c%d\tB-X\r\n" % i + (b"\r\n" if i % 6 == 5 else b""))
    for i in range(60_000):
        parts.append(b"m%d\tI-X" % i + (b"\r\n" if i % 2 else b"\n"))
        if i % 6 == 5:
            parts.append(b"\n")
    parts.append(b"last\tO")
    data = b"".join(parts)
    assert len(data) > 1_500_000
    documents = read_documents(data)
    found = sentences(documents)
    assert len(found) == 30_001
    assert found[0].line == 1
    assert found[10_000].tokens[0] == "c0"
    assert found[10_000].line == 70_001
    assert found[20_000].tokens[0] == "m0"
    assert found[20_000].line == 140_001
    assert found[-1].tokens == ["last"]
    assert found[-1].line == 210_001
    assert all(tag == "B-X" for s in found[10_000:20_000] for tag in s.tags)
    assert write_documents(documents) == data


def test_a_utf8_file_with_a_byte_order_mark_reads_clean_tokens_and_keeps_the_mark() -> None:
    data = fixture("utf8_bom.conll")
    documents = read_documents(data)
    assert documents[0].tokens == [["Müller", "fuhr", "nach", "España"]]
    assert documents[0].tags == [["B-PER", "O", "O", "B-LOC"]]
    assert documents[0].format.bom is True
    assert documents[0].sentences[0].line == 1
    exported = round_trip(data)
    assert exported == data
    assert exported.startswith(codecs.BOM_UTF8)


def test_a_byte_order_mark_does_not_hide_a_docstart_on_the_first_line() -> None:
    data = codecs.BOM_UTF8 + b"-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n\n"
    documents = read_documents(data)
    assert len(documents) == 1
    assert documents[0].tokens == [["EU"]]
    assert round_trip(data) == data


def test_only_the_first_document_of_a_bom_file_carries_the_bom() -> None:
    data = codecs.BOM_UTF8 + b"-DOCSTART- O\n\nEU B-ORG\n\n-DOCSTART- O\n\nPeter B-PER\n\n"
    documents = read_documents(data)
    assert len(documents) == 2
    assert [d.format.bom for d in documents] == [True, False]
    assert round_trip(data) == data


def test_a_latin1_file_read_with_its_encoding_exports_byte_identical() -> None:
    data = fixture("latin1_spanish.conll")
    documents = read_documents(data, "esp.train", encoding="latin-1")
    assert documents[0].tokens == [
        ["Sao", "Paulo", "(", "Brasil", ")"],
        ["El", "señor", "Müller", "vive", "en", "España", "."],
    ]
    assert documents[0].tags == [
        ["B-LOC", "I-LOC", "O", "B-LOC", "O"],
        ["O", "O", "B-PER", "O", "O", "B-LOC", "O"],
    ]
    exported = round_trip(data, "esp.train", encoding="latin-1")
    assert exported == data
    assert "España".encode("latin-1") in exported
    assert "España".encode() not in exported


def test_a_utf16_file_with_a_byte_order_mark_is_detected_without_an_encoding() -> None:
    data = fixture("utf16_bom.conll")
    documents = read_documents(data)
    assert documents[0].tokens == [["Müller", "in", "東京"], ["so", "😀"]]
    assert documents[0].tags == [["B-PER", "O", "B-LOC"], ["O", "O"]]
    assert [s.line for s in documents[0].sentences] == [1, 5]
    assert round_trip(data) == data


def test_a_big_endian_utf16_file_exports_big_endian() -> None:
    data = fixture("utf16be_bom.conll")
    documents = read_documents(data)
    assert documents[0].tokens == [["Müller", "in", "東京"]]
    assert documents[0].tags == [["B-PER", "O", "B-LOC"]]
    exported = round_trip(data)
    assert exported[:2] == codecs.BOM_UTF16_BE
    assert exported == data


def test_a_big_endian_utf16_file_read_with_encoding_utf16_exports_unchanged() -> None:
    data = fixture("utf16be_bom.conll")
    assert read_documents(data, encoding="utf-16")[0].tokens == [["Müller", "in", "東京"]]
    assert round_trip(data, encoding="utf-16") == data


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_a_utf32_file_with_a_byte_order_mark_is_detected_and_exported_unchanged(
    codec: str,
) -> None:
    mark = codecs.BOM_UTF32_LE if codec == "utf-32-le" else codecs.BOM_UTF32_BE
    data = mark + "Müller\tB-PER\nin\tO\n東京\tB-LOC\n\n".encode(codec)
    documents = read_documents(data)
    assert documents[0].tokens == [["Müller", "in", "東京"]]
    assert documents[0].tags == [["B-PER", "O", "B-LOC"]]
    assert round_trip(data) == data


def test_an_unknown_encoding_name_is_reported_as_a_problem() -> None:
    problems = problems_of(b"EU\tB-ORG\n\n", "x.conll", encoding="no-such-encoding")
    assert lines_of(problems) == [1]
    assert "no-such-encoding" in problems[0].message


def test_an_encoding_that_is_not_for_text_is_reported_as_a_problem() -> None:
    problems = problems_of(b"EU\tB-ORG\n\n", "x.conll", encoding="base64")
    assert lines_of(problems) == [1]
    assert "base64" in problems[0].message


def test_a_utf16_file_without_bom_read_as_utf16le_exports_without_bom() -> None:
    data = "EU\tB-ORG\nrejects\tO\n\n".encode("utf-16-le")
    documents = read_documents(data, encoding="utf-16-le")
    assert documents[0].tokens == [["EU", "rejects"]]
    assert round_trip(data, encoding="utf-16-le") == data


def test_a_bomless_utf16_file_read_as_utf16_is_read_or_the_user_is_told_which_name_works() -> None:
    # Python's "utf-16" codec may refuse text without a byte-order mark; the user who named
    # the encoding must then learn to say utf-16-le (or -be), not that the text is invalid.
    data = "EU\tB-ORG\nrejects\tO\n\n".encode("utf-16-le")
    try:
        documents = read_documents(data, encoding="utf-16")
    except ConllError as error:
        message = str(error).lower()
        assert "utf-16-le" in message or "byte-order mark" in message or "bom" in message, message
    else:
        assert documents[0].tokens == [["EU", "rejects"]]
        assert round_trip(data, encoding="utf-16") == data


def test_a_tag_in_the_middle_column_is_read_with_tag_column_two() -> None:
    data = fixture("middle_tag.conll")
    documents = read_documents(data, tag_column=2)
    assert documents[0].tokens == [["Code", "in", "jQuery"], ["use", "Ubuntu 20.04"]]
    assert documents[0].tags == [["O", "O", "B-Library"], ["O", "B-Operating_System"]]
    assert documents[0].sentences[0].extras == [["O"], ["O"], ["B-Library_Class"]]
    assert documents[0].sentences[1].extras == [["O"], ["B-Version"]]
    assert documents[0].format.tag_column == 1


def test_a_negative_tag_column_counts_from_the_end() -> None:
    data = fixture("middle_tag.conll")
    from_end = read_documents(data, tag_column=-2)
    from_start = read_documents(data, tag_column=2)
    assert from_end[0].tags == from_start[0].tags
    assert [s.extras for s in from_end[0].sentences] == [s.extras for s in from_start[0].sentences]
    last = read_documents(data, tag_column=-1)
    assert last[0].tags == [
        ["O", "O", "B-Library_Class"],
        ["O", "B-Version"],
    ]
    assert last[0].tags == read_documents(data)[0].tags


def test_a_tag_in_the_middle_of_four_space_separated_columns() -> None:
    data = b"EU B-ORG NNP B-NP\nrejects O VBZ B-VP\n\n"
    documents = read_documents(data, tag_column=2)
    assert documents[0].tags == [["B-ORG", "O"]]
    assert documents[0].sentences[0].extras == [["NNP", "B-NP"], ["VBZ", "B-VP"]]
    assert round_trip(data, tag_column=2) == data
    assert read_documents(data, tag_column=-3)[0].tags == [["B-ORG", "O"]]


@pytest.mark.parametrize(
    ("name", "tags"),
    [
        ("iob1.conll", [["I-PER", "I-PER", "B-PER", "O"], ["O", "I-ORG"]]),
        (
            "bioes.conll",
            [["B-PER", "E-PER", "O", "S-LOC", "O", "B-LOC", "I-LOC", "E-LOC"]],
        ),
        (
            "bilou.conll",
            [["B-PER", "L-PER", "O", "U-LOC", "O", "B-LOC", "I-LOC", "L-LOC"]],
        ),
    ],
)
def test_tags_of_every_scheme_are_kept_exactly_as_written(name: str, tags: list[list[str]]) -> None:
    documents = read_documents(fixture(name))
    assert documents[0].tags == tags


def test_the_iob1_file_keeps_a_token_that_looks_like_a_tag() -> None:
    documents = read_documents(fixture("iob1.conll"))
    assert documents[0].tokens[0] == ["Peter", "Blackburn", "B-Peter", "said"]


def test_a_docstart_without_columns_also_splits_documents() -> None:
    data = b"-DOCSTART-\n\nEU\tB-ORG\n\n-DOCSTART-\n\nPeter\tB-PER\n\n"
    documents = read_documents(data)
    assert [d.tokens for d in documents] == [[["EU"]], [["Peter"]]]
    assert round_trip(data) == data


def test_consecutive_docstarts_do_not_make_empty_documents() -> None:
    data = b"-DOCSTART- O\n\n-DOCSTART- O\n\nEU B-ORG\n\n-DOCSTART- O\n\nPeter B-PER\n"
    documents = read_documents(data)
    assert [d.tokens for d in documents] == [[["EU"]], [["Peter"]]]
    assert round_trip(data) == data


def test_the_rnn_wikipedia_sample_exports_byte_identical() -> None:
    path = DEMO_SAMPLE  # the project's copy of the shared sample
    data = path.read_bytes()
    documents = read_documents(data, path.name)
    assert len(documents) == 1
    found = sentences(documents)
    assert len(found) == 107
    tokens = [t for s in found for t in s.tokens]
    assert len(tokens) == 2403
    assert sum(" " in t for t in tokens) == 2
    assert found[0].tokens[:4] == ["A", "recurrent", "neural", "network"]
    assert found[0].tags[:4] == ["O", "B-Algorithm", "I-Algorithm", "I-Algorithm"]
    assert found[0].line == 2
    assert [(s.tokens, s.tags) for s in found] == naive_parse(data)
    assert round_trip(data, path.name) == data


def test_the_wikiser_dev_sample_exports_byte_identical() -> None:
    path = shared_sample("wikiser-small/dev.conll")
    data = path.read_bytes()
    documents = read_documents(data, path.name)
    found = sentences(documents)
    assert len(found) == 7992
    tokens = [t for s in found for t in s.tokens]
    assert len(tokens) == 297885
    assert sum(" " in t for t in tokens) == 177
    assert [s.tokens for s in found] == [t for t, _ in naive_parse(data)]
    assert [s.tags for s in found] == [t for _, t in naive_parse(data)]
    labels = {parse_tag(t)[1] for s in found for t in s.tags} - {None}
    assert len(labels) == 12
    assert write_documents(documents) == data


def naive_parse(data: bytes) -> list[tuple[list[str], list[str]]]:
    """The sentences of a clean `<s>`-wrapped token<TAB>tag file, read the simplest way."""
    result: list[tuple[list[str], list[str]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    for line in data.decode("utf-8").split("\n"):
        if line in ("", "<s>", "</s>"):
            if tokens:
                result.append((tokens, tags))
                tokens, tags = [], []
            continue
        token, tag = line.rsplit("\t", 1)
        tokens.append(token)
        tags.append(tag)
    if tokens:
        result.append((tokens, tags))
    return result


# --- line numbers ----------------------------------------------------------------------------


def test_each_sentence_knows_the_line_of_its_first_token() -> None:
    data = fixture("conll2003.conll")
    assert [s.line for s in sentences(read_documents(data))] == [3, 9, 14]
    wrapped = fixture("wrapped.conll")
    assert [s.line for s in sentences(read_documents(wrapped))] == [2, 8]
    comments = fixture("conllu_comments.conll")
    assert [s.line for s in sentences(read_documents(comments))] == [4, 11]


def test_line_numbers_count_crlf_lines_once() -> None:
    assert [s.line for s in sentences(read_documents(fixture("crlf.conll")))] == [1, 4]
    mixed = fixture("mixed_newlines.conll")
    assert [s.line for s in sentences(read_documents(mixed))] == [1, 4]


def test_a_carriage_return_inside_a_line_does_not_shift_line_numbers() -> None:
    data = b"EU\tB-ORG\nre\rjects\tO\n\nPeter\tB-PER\n\n"
    documents = read_documents(data)
    assert documents[0].tokens == [["EU", "re\rjects"], ["Peter"]]
    assert [s.line for s in documents[0].sentences] == [1, 4]
    assert round_trip(data) == data


# --- errors -------------------------------------------------------------------------------


def test_a_token_line_without_a_tag_is_reported_with_its_line() -> None:
    problems = problems_of(fixture("missing_tag.conll"), "missing_tag.conll")
    assert lines_of(problems) == [3]
    assert "without a tag" in problems[0].message
    assert "German" in problems[0].message
    assert "missing_tag.conll, line 3" in str(problems[0])


def test_a_first_token_line_without_a_tag_is_reported_on_line_one() -> None:
    problems = problems_of(b"EU\nrejects\tO\n\n")
    assert lines_of(problems) == [1]
    assert "without a tag" in problems[0].message


def test_a_one_column_first_line_does_not_make_later_lines_report_a_wrong_column_count() -> None:
    problems = problems_of(b"EU\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n\n")
    assert problems[0].line == 1
    assert "without a tag" in problems[0].message
    # Line 1 has one column: no message may claim it has two.
    for problem in problems:
        assert "line 1 has 2" not in problem.message, str(problem)


def test_malformed_tags_are_each_reported_with_their_line() -> None:
    problems = problems_of(fixture("bad_tags.conll"), "bad_tags.conll")
    assert lines_of(problems) == [2, 3]
    assert "'B-'" in problems[0].message
    assert "malformed tag" in problems[0].message
    assert "label missing" in problems[0].message
    assert "'X-Foo'" in problems[1].message
    assert "unknown prefix 'X'" in problems[1].message


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("b-PER", ["unknown prefix 'b'", "upper-case"]),
        ("PER", ["expected 'O' or PREFIX-LABEL"]),
        ("-PER", ["prefix missing"]),
        ("0", ["expected 'O'"]),
    ],
)
def test_other_malformed_tags_are_explained(tag: str, words: list[str]) -> None:
    problems = problems_of(f"EU\tO\nrejects\t{tag}\n\n".encode())
    assert lines_of(problems) == [2]
    for word in words:
        assert word in problems[0].message


def test_a_latin1_file_read_as_utf8_names_the_line_and_the_encoding_option() -> None:
    problems = problems_of(fixture("latin1_spanish.conll"), "esp.train")
    # "señor", "Müller" and "España" are on lines 8, 9 and 12.
    assert lines_of(problems) == [8, 9, 12]
    for problem in problems:
        assert "--encoding" in problem.message
        assert "utf-8" in problem.message.lower()
    assert "esp.train, line 8" in str(problems[0])


def test_invalid_utf8_in_the_middle_of_a_large_file_names_its_line() -> None:
    body = b"word\tO\n" * 5000 + b"\n" + b"caf\xe9\tO\n\n"
    problems = problems_of(body)
    assert lines_of(problems) == [5002]
    assert "--encoding" in problems[0].message


def test_invalid_utf8_past_the_first_megabyte_names_each_line() -> None:
    body = b"word\tO\n" * 200_000  # 1.4 MB: more than one read block
    data = b"caf\xe9\tO\n" + body + b"\n" + b"na\xefve\tO\n" + body + b"\xff\tO\n\n"
    problems = problems_of(data)
    assert lines_of(problems) == [1, 200_003, 400_004]
    assert all("--encoding" in p.message for p in problems)


def test_text_that_is_not_valid_utf16_names_its_line() -> None:
    good = "word\tO\n" * 100_000  # 1.4 MB once encoded: more than one read block
    data = (
        codecs.BOM_UTF16_LE
        + good.encode("utf-16-le")
        + "\n".encode("utf-16-le")
        + b"\x00\xdc"  # a lone low surrogate
        + "x\tO\n\n".encode("utf-16-le")
    )
    problems = problems_of(data)
    assert lines_of(problems) == [100_002]
    assert "utf-16" in problems[0].message.lower()


@pytest.mark.parametrize("name", ["binary.png", "binary.gz"])
def test_a_binary_file_is_rejected_as_binary(name: str) -> None:
    problems = problems_of(fixture(name), name)
    assert len(problems) == 1
    assert problems[0].line == 1
    assert "binary" in problems[0].message


def test_unusual_lines_after_a_megabyte_of_plain_ones_are_read_as_in_a_small_file() -> None:
    plain = "word\tO\n\n" * 150_000  # 1.2 MB: the unusual lines come in a later read block
    unusual = "#hashtag\tO\nspaced\tO \n\n# a comment\n-DOCSTART-\tO\n\nAlan\tB-PER\n"
    data = (plain + unusual).encode("utf-8")
    documents = read_documents(data, "big.conll")

    assert [(s.tokens, s.line) for s in documents[0].sentences[-1:]] == [
        (["#hashtag", "spaced"], 300_001)
    ]
    assert [s.tokens for s in documents[1].sentences] == [["Alan"]]
    assert write_documents(documents) == data


def test_a_nul_byte_far_into_a_file_is_reported_as_binary_on_its_line() -> None:
    data = b"word\tO\n" * 3000 + b"\n" + b"bad\x00\tO\n\n"
    problems = problems_of(data)
    assert lines_of(problems) == [3002]
    assert "binary" in problems[0].message


def test_a_nul_character_far_into_a_utf16_file_is_refused_on_its_line() -> None:
    text = "word\tO\n" * 200_000 + "\n# a tool wrote \0 here\nbad\tO\n"
    problems = problems_of(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert lines_of(problems) == [200_002]
    assert "NUL character" in problems[0].message


def test_a_lone_surrogate_from_a_lenient_codec_is_refused_on_its_line() -> None:
    problems = problems_of(b"Alan\tB-PER\n+2D8-\tO\n", encoding="utf-7")
    assert lines_of(problems) == [2]
    assert "surrogate (U+D83F)" in problems[0].message


def test_a_file_without_a_mark_that_looks_like_utf16_gets_a_hint() -> None:
    (problem,) = problems_of("Alan\tB-PER\n".encode("utf-16-le"))
    assert "binary" in problem.message and "UTF-16" in problem.message


def test_more_columns_than_supported_are_refused_and_the_most_are_read() -> None:
    most = "\t".join(["x"] * (conll.MAX_COLUMNS - 1) + ["O"]) + "\n"
    assert len(list(conll.read(io.BytesIO(most.encode()), "most.conll"))) == 3
    (problem,) = problems_of(("\t".join(["x"] * conll.MAX_COLUMNS) + "\tO\n").encode())
    most = conll.MAX_COLUMNS
    assert problem.message == f"{most + 1} columns; at most {most} are supported"


def test_an_empty_file_says_it_has_no_sentences() -> None:
    problems = problems_of(fixture("empty.conll"), "empty.conll")
    assert lines_of(problems) == [1]
    assert "no sentences" in problems[0].message
    assert "empty.conll" in str(problems[0])


def test_a_file_of_markers_and_blank_lines_says_it_has_no_sentences() -> None:
    data = fixture("markers_only.conll")
    problems = problems_of(data, "markers_only.conll")
    assert len(problems) == 1
    assert "no sentences" in problems[0].message
    # Either the whole file (line 1) or where reading ended (the last line) is a fair place.
    assert problems[0].line in (1, data.count(b"\n"))


def test_a_file_of_comments_and_docstarts_only_says_it_has_no_sentences() -> None:
    problems = problems_of(b"-DOCSTART- -X- -X- O\n\n# sent_id = 1\n\n")
    assert len(problems) == 1
    assert "no sentences" in problems[0].message


def test_a_line_with_another_number_of_columns_is_reported() -> None:
    problems = problems_of(fixture("column_mismatch.conll"), "column_mismatch.conll")
    assert lines_of(problems) == [3]
    message = problems[0].message
    assert "2 columns" in message
    assert "line 1 has 3" in message


def test_a_tag_column_that_does_not_fit_the_file_is_reported() -> None:
    problems = problems_of(fixture("middle_tag.conll"), tag_column=5)
    assert problems[0].line == 1
    assert "--tag-column 5" in problems[0].message
    problems = problems_of(fixture("middle_tag.conll"), tag_column=1)
    assert problems[0].line == 1
    assert "--tag-column 1" in problems[0].message


def test_every_problem_of_a_file_is_listed_not_only_the_first() -> None:
    problems = problems_of(fixture("many_problems.conll"), "many_problems.conll")
    assert lines_of(problems) == [2, 3, 6, 7]
    assert "without a tag" in problems[0].message
    assert "X-MISC" in problems[1].message
    assert "3 columns" in problems[2].message
    assert "I-" in problems[3].message
    text = str(ConllError(problems))
    for line in (2, 3, 6, 7):
        assert f"many_problems.conll, line {line}:" in text


def test_a_file_with_very_many_problems_lists_a_bounded_number_and_says_there_are_more() -> None:
    data = b"EU\tO\n" + b"bad\tX-Y\n" * 500 + b"\n"
    problems = problems_of(data)
    assert 1 < len(problems) <= 500
    assert lines_of(problems) == list(range(2, 2 + len(problems)))
    with pytest.raises(ConllError, match="and more"):
        read_documents(data)


def test_the_error_comes_only_after_the_whole_file_was_read() -> None:
    stream = RecordingStream(b"EU\tX-Y\nrejects\tO\n\nPeter\tB-PER\n\n" * 1000)
    with pytest.raises(ConllError):
        for _ in conll.read(stream, "late.conll"):
            pass
    assert stream.exhausted


def test_sentences_after_a_problem_are_not_handed_out() -> None:
    data = b"EU\tB-ORG\n\nrejects\tX-Y\n\nPeter\tB-PER\n\n"
    seen: list[list[str]] = []
    with pytest.raises(ConllError):
        for item in conll.read(io.BytesIO(data), "t.conll"):
            if isinstance(item, Sentence):
                seen.append(item.tokens)
    assert ["Peter"] not in seen
    assert ["rejects"] not in seen


# --- streaming -------------------------------------------------------------------------------


class RecordingStream(io.RawIOBase):
    """A raw binary stream over bytes that records how far it has been read."""

    def __init__(self, data: bytes, most: int | None = None):
        self._data = data
        self._most = most
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = len(buffer) if self._most is None else min(len(buffer), self._most)
        chunk = self._data[self.position : self.position + size]
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)

    @property
    def exhausted(self) -> bool:
        return self.position >= len(self._data)


class GeneratedStream(io.RawIOBase):
    """A raw binary stream whose bytes come from a generator, never all in memory at once."""

    def __init__(self, lines: Iterator[bytes]):
        self._lines = lines
        self._pending = b""
        self.delivered = 0
        self.finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self._pending) < len(buffer) and not self.finished:
            chunk = b"".join(line for _, line in zip(range(1000), self._lines, strict=False))
            if chunk:
                self._pending += chunk
            else:
                self.finished = True
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.delivered += size
        return size


TOKEN_LINES = 200_000


def big_corpus() -> Iterator[bytes]:
    for i in range(TOKEN_LINES):
        yield b"token%06d NNP B-NP B-ORG\n" % i
        if i % 10 == 9:
            yield b"\n"


def big_corpus_size() -> int:
    return sum(len(line) for line in big_corpus())


def test_a_large_file_yields_its_first_sentence_before_the_stream_is_read_to_the_end() -> None:
    total = big_corpus_size()
    stream = GeneratedStream(big_corpus())
    items = conll.read(stream, "big.conll")
    first = next(item for item in items if isinstance(item, Sentence))
    assert first.tokens == [f"token{i:06d}" for i in range(10)]
    assert first.line == 1
    assert not stream.finished
    assert stream.delivered < total // 2, (stream.delivered, total)
    count = 1
    tokens = 10
    last: Sentence = first
    for item in items:
        if isinstance(item, Sentence):
            count += 1
            tokens += len(item.tokens)
            last = item
    assert count == TOKEN_LINES // 10
    assert tokens == TOKEN_LINES
    assert last.tokens[-1] == f"token{TOKEN_LINES - 1:06d}"
    assert last.line == TOKEN_LINES + TOKEN_LINES // 10 - 10
    assert stream.delivered == total


def test_reading_stays_a_bounded_distance_ahead_of_the_sentences_handed_out() -> None:
    total = big_corpus_size()
    stream = GeneratedStream(big_corpus())
    consumed = 0  # bytes of the sentences handed out so far, with their blank line
    ahead = 0
    for item in conll.read(stream, "big.conll"):
        if isinstance(item, Sentence):
            consumed += sum(len(t) for t in item.tokens) + len(item.tokens) * 16 + 1
            ahead = max(ahead, stream.delivered - consumed)
    assert consumed == total
    assert ahead < total // 2, (ahead, total)


def test_a_stream_that_delivers_a_few_bytes_at_a_time_reads_the_same() -> None:
    for name, options in [("utf8_bom.conll", {}), ("utf16_bom.conll", {}), ("binary.gz", {})]:
        data = fixture(name)
        try:
            expected = read_documents(data, name, **options)
        except ConllError as error:
            with pytest.raises(ConllError) as caught:
                list(conll.read(RecordingStream(data, most=2), name, **options))
            assert caught.value.problems == error.problems
            continue
        documents: list[Document] = []
        for item in conll.read(RecordingStream(data, most=2), name, **options):
            if isinstance(item, DocumentStart):
                documents.append(Document(item.name, item.format))
            elif isinstance(item, Sentence):
                documents[-1].sentences.append(item)
            else:
                documents[-1].trailer = item.trailer
        assert [d.tokens for d in documents] == [d.tokens for d in expected], name
        assert write_documents(documents) == data, name


def test_writing_a_large_document_yields_bytes_before_all_sentences_are_produced() -> None:
    produced = 0

    def generated() -> Iterator[Sentence]:
        nonlocal produced
        for i in range(10_000):
            produced += 1
            yield Sentence([f"w{i}", "."], ["B-X", "O"], before="\n" if i else "")

    chunks = conll.write(DocumentFormat(), generated(), "")
    first = next(chunks)
    assert first.startswith(b"w0\tB-X\n.\tO\n\nw1\tB-X\n")
    assert produced < 10_000
    rest = b"".join(chunks)
    assert (first + rest).count(b"\tB-X\n") == 10_000


# --- write -------------------------------------------------------------------------------


def test_writing_uses_the_documents_delimiter_newline_and_tag_column() -> None:
    fmt = DocumentFormat(delimiter=" ", newline="\r\n", columns=4, tag_column=1)
    sentence = Sentence(["EU", "rejects"], ["B-ORG", "O"], [["NNP", "B-NP"], ["VBZ", "B-VP"]])
    data = b"".join(conll.write(fmt, [sentence], "\r\n"))
    assert data == b"EU B-ORG NNP B-NP\r\nrejects O VBZ B-VP\r\n\r\n"


def test_an_edited_tag_is_exported_in_place_with_the_rest_unchanged() -> None:
    data = fixture("conll2003.conll")
    documents = read_documents(data)
    documents[0].sentences[0].tags[1] = "B-ACT"
    exported = write_documents(documents)
    assert exported == data.replace(b"rejects VBZ B-VP O\n", b"rejects VBZ B-VP B-ACT\n")


def test_an_edited_tag_on_an_irregular_line_keeps_that_lines_spacing() -> None:
    data = fixture("multi_space.conll")
    documents = read_documents(data)
    documents[0].sentences[0].tags[0] = "B-GPE"
    assert write_documents(documents) == data.replace(b"B-ORG", b"B-GPE")


def test_a_utf16_document_without_bom_is_written_without_bom() -> None:
    fmt = DocumentFormat(encoding="utf-16", bom=False)
    data = b"".join(conll.write(fmt, [Sentence(["EU"], ["B-ORG"])], ""))
    assert data == "EU\tB-ORG\n".encode("utf-16-le")


# --- property tests ------------------------------------------------------------------------

SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:'\"()/&%$!?-_äöüßéñÉ"
WIDE = SAFE + "€中文😀"
LOWER = "abcdefghijklmnopqrstuvwxyz"

labels = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3).flatmap(
    lambda head: st.text(LOWER + "_-ABC", max_size=6).map(lambda tail: head + tail)
)
tags = st.one_of(
    st.just("O"),
    st.builds(lambda p, label: f"{p}-{label}", st.sampled_from("BIESLU"), labels),
)


def tokens_for(alphabet: str, spaces: bool) -> st.SearchStrategy[str]:
    inner = alphabet + " " if spaces else alphabet
    return st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(alphabet),
        st.text(inner, max_size=8),
    ).filter(lambda t: t.split()[0] != "-DOCSTART-")


def extras_for(alphabet: str) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=1, max_size=5)


comment_words = st.text(LOWER, min_size=1, max_size=6)
comments = st.one_of(
    st.integers(0, 999).map(lambda n: f"# sent_id = {n}"),
    st.lists(comment_words, min_size=1, max_size=4).map(lambda w: "# text = " + " ".join(w)),
    st.just("#"),
)


@dataclass
class Layout:
    tab: bool
    columns: int
    tag_index: int  # 0-based
    tag_option: int | None

    def columns_of(self, token: str, tag: str, extras: list[str]) -> list[str]:
        cols = [token, *extras]
        cols.insert(self.tag_index, tag)
        return cols


@st.composite
def layouts(draw) -> Layout:
    tab = draw(st.booleans())
    columns = draw(st.integers(2, 4))
    tag_index = draw(st.integers(1, columns - 1))
    options = [tag_index + 1, tag_index - columns]
    if tag_index == columns - 1:
        options.append(None)
    return Layout(tab, columns, tag_index, draw(st.sampled_from(options)))


@st.composite
def written_documents(draw):
    """A document as the writer gets it: sentences with their surrounding lines."""
    layout = draw(layouts())
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    wrapped = draw(st.booleans())
    final_newline = draw(st.booleans())
    alphabet = draw(st.sampled_from([SAFE, WIDE]))
    token = tokens_for(alphabet, spaces=layout.tab)
    extra = extras_for(alphabet)
    count = draw(st.integers(1, 5))
    result: list[Sentence] = []
    for i in range(count):
        before = []
        if wrapped:
            if i:
                before.append("</s>" + nl)
            before += [c + nl for c in draw(st.lists(comments, max_size=2))]
            before.append("<s>" + nl)
        else:
            if i:
                before.append(nl * draw(st.integers(1, 3)))
            before += [c + nl for c in draw(st.lists(comments, max_size=2))]
        size = draw(st.integers(1, 6))
        words = draw(st.lists(token, min_size=size, max_size=size))
        labels_ = draw(st.lists(tags, min_size=size, max_size=size))
        extras = None
        if layout.columns > 2:
            extras = [
                draw(st.lists(extra, min_size=layout.columns - 2, max_size=layout.columns - 2))
                for _ in range(size)
            ]
        result.append(Sentence(words, labels_, extras, "".join(before)))
    if wrapped:
        trailer = "</s>" + nl + nl * draw(st.integers(0, 2))
    else:
        trailer = nl * draw(st.integers(0, 2))
    if not final_newline:
        if trailer.strip():
            trailer = trailer.rstrip("\r\n")
        else:
            trailer = ""
            last = result[-1]
            seps = [layout_sep(layout)] * (layout.columns - 1)
            last.formats = [[len(last.tokens) - 1, "", *seps, ""]]
    fmt = DocumentFormat(
        encoding="utf-8",
        bom=draw(st.booleans()),
        newline=nl,
        delimiter=layout_sep(layout),
        columns=layout.columns,
        tag_column=layout.tag_index,
    )
    return layout, fmt, result, trailer


def layout_sep(layout: Layout) -> str:
    return "\t" if layout.tab else " "


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_documents())
def test_whatever_the_writer_writes_the_reader_reads_back_the_same(document) -> None:
    layout, fmt, written, trailer = document
    data = b"".join(conll.write(fmt, written, trailer))
    documents = read_documents(data, "gen.conll", tag_column=layout.tag_option)
    assert len(documents) == 1
    read_back = documents[0].sentences
    assert [s.tokens for s in read_back] == [s.tokens for s in written]
    assert [s.tags for s in read_back] == [s.tags for s in written]
    assert [s.extras for s in read_back] == [s.extras for s in written]
    assert [s.before for s in read_back] == [s.before for s in written]
    assert documents[0].trailer == trailer
    assert write_documents(documents) == data


@dataclass
class Generated:
    data: bytes
    options: dict
    sentences: list[tuple[list[str], list[str], list[list[str]] | None, int]]
    documents: int


ENCODINGS = ["utf-8", "utf-8-bom", "latin-1", "utf-16"]


@st.composite
def conll_files(draw) -> Generated:
    """The bytes of a valid CoNLL file in any supported dialect, and what it holds."""
    layout = draw(layouts())
    encoding = draw(st.sampled_from(ENCODINGS))
    alphabet = SAFE if encoding == "latin-1" else WIDE
    token = tokens_for(alphabet, spaces=layout.tab)
    extra = extras_for(alphabet)
    style = draw(st.sampled_from(["blank", "wrapped", "conllu"]))
    docstarts = draw(st.booleans())
    main_nl = draw(st.sampled_from(["\n", "\r\n"]))
    mixed = draw(st.booleans())
    blank_ws = st.text(" \t", max_size=2)

    lines: list[list[str]] = []  # [text, ending]
    expected: list[tuple[list[str], list[str], list[list[str]] | None, int]] = []
    documents = 1
    first_token_line = True

    def add(text: str) -> None:
        ending = draw(st.sampled_from(["\n", "\r\n"])) if mixed else main_nl
        lines.append([text, ending])

    def separator(first: bool) -> str:
        if layout.tab:
            return "\t"
        if first:
            return draw(st.sampled_from([" ", "  ", "   "]))
        return draw(st.text(" \t", min_size=1, max_size=3))

    for i in range(draw(st.integers(1, 5))):
        if docstarts and draw(st.booleans()):
            if i:
                documents += 1
                add(draw(blank_ws))
            add(draw(st.sampled_from(["-DOCSTART- -X- -X- O", "-DOCSTART-\tO", "-DOCSTART-"])))
            add("")
        elif i:
            for _ in range(draw(st.integers(1, 3))):
                add(draw(blank_ws))
        if style == "conllu" or draw(st.booleans()):
            for comment in draw(st.lists(comments, max_size=2)):
                add(comment)
        if style == "wrapped":
            add("<s>")
        words, labels_, all_extras = [], [], []
        line = len(lines) + 1
        for _ in range(draw(st.integers(1, 5))):
            word, tag = draw(token), draw(tags)
            extras = draw(st.lists(extra, min_size=layout.columns - 2, max_size=layout.columns - 2))
            cols = layout.columns_of(word, tag, extras)
            lead = "" if layout.tab or first_token_line else draw(st.sampled_from(["", " "]))
            text = lead + cols[0]
            for col in cols[1:]:
                text += separator(first_token_line) + col
            trail_alphabet = " " if first_token_line and not layout.tab else " \t"
            text += draw(st.text(trail_alphabet, max_size=2))
            first_token_line = False
            add(text)
            words.append(word)
            labels_.append(tag)
            all_extras.append(extras)
        expected.append((words, labels_, all_extras if layout.columns > 2 else None, line))
        if style == "wrapped":
            add("</s>")
    for _ in range(draw(st.integers(0, 2))):
        add(draw(blank_ws))
    if not draw(st.booleans()):
        lines[-1][1] = ""  # no final newline
    text = "".join(t + e for t, e in lines)
    options: dict = {"tag_column": layout.tag_option}
    if encoding == "utf-8":
        data = text.encode("utf-8")
    elif encoding == "utf-8-bom":
        data = codecs.BOM_UTF8 + text.encode("utf-8")
    elif encoding == "latin-1":
        data = text.encode("latin-1")
        options["encoding"] = "latin-1"
    else:
        data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return Generated(data, options, expected, documents)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conll_files())
def test_any_valid_file_is_read_right_and_exported_byte_identical(generated: Generated) -> None:
    documents = read_documents(generated.data, "gen.conll", **generated.options)
    found = [(s.tokens, s.tags, s.extras, s.line) for s in sentences(documents)]
    assert found == generated.sentences
    assert len(documents) == generated.documents
    assert write_documents(documents) == generated.data


@settings(max_examples=100, deadline=None)
@given(conll_files())
def test_a_stream_delivering_small_reads_gives_the_same_result(generated: Generated) -> None:
    stream = RecordingStream(generated.data, most=7)
    documents: list[Document] = []
    for item in conll.read(stream, "gen.conll", **generated.options):
        if isinstance(item, DocumentStart):
            documents.append(Document(item.name, item.format))
        elif isinstance(item, Sentence):
            documents[-1].sentences.append(item)
        else:
            documents[-1].trailer = item.trailer
    found = [(s.tokens, s.tags, s.extras, s.line) for s in sentences(documents)]
    assert found == generated.sentences
    assert write_documents(documents) == generated.data
