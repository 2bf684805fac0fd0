"""Counting documents and sentences of a CoNLL file without parsing it (the job threshold)."""

from __future__ import annotations

import io

import pytest

from annotator.nlp import sizing

TINY_DOCUMENTS = "-DOCSTART- O\n\nAda B-PER\n\n" * 30_000


@pytest.mark.parametrize(
    ("text", "documents", "sentences"),
    [
        ("", 1, 0),
        ("Ada B-PER\n", 1, 1),
        ("Ada B-PER\n\n\n\nwrote O\n", 1, 2),
        ("# a comment\nAda B-PER\n\n# another\n\nwrote O\n\n", 1, 2),
        ("-DOCSTART- O\n\nAda B-PER\n\n-DOCSTART- O\n\nwrote O\n", 2, 2),
        ("Ada B-PER\r\nwrote O\r\n\r\nit O\r\n", 1, 2),
        ("#hashtag O\nis O\n\n", 1, 1),  # a token line, inside a sentence
        ("Ada B-PER\n#hashtag O\n\n", 1, 1),
    ],
)
def test_counts(text, documents, sentences):
    counts = sizing.count(io.BytesIO(text.encode()))
    assert (counts.documents, counts.sentences) == (documents, sentences)


def test_thirty_thousand_tiny_documents_count_as_such():
    """The upload that timed out: 0.9 MB, far under the byte threshold."""
    data = TINY_DOCUMENTS.encode()
    assert len(data) < 900_000
    assert sizing.count(io.BytesIO(data)) == sizing.Counts(30_000, 30_000)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_utf16_and_utf32_files_with_a_bom_count_the_same(encoding):
    text = "-DOCSTART- O\n\nAda B-PER\n\nÉcole B-ORG\nwrote O\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    assert sizing.count(io.BytesIO(data)) == sizing.Counts(1, 2)


def test_a_file_read_in_many_chunks_counts_the_same(monkeypatch):
    monkeypatch.setattr(sizing, "CHUNK", 7)
    data = TINY_DOCUMENTS[: 25 * 150].encode("utf-16")  # 150 documents of one sentence
    expected = sizing.Counts(150, 150)
    assert sizing.count(io.BytesIO(data)) == expected


def test_counting_can_stop_once_a_limit_is_passed(monkeypatch):
    monkeypatch.setattr(sizing, "CHUNK", 1000)
    data = TINY_DOCUMENTS.encode()
    counts = sizing.count(io.BytesIO(data), stop_above=sizing.Counts(100, 10**9))
    assert 100 < counts.documents < 30_000
    counts = sizing.count(io.BytesIO(data), stop_above=sizing.Counts(10**9, 10**9))
    assert counts == sizing.Counts(30_000, 30_000)
