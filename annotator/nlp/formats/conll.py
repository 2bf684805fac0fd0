"""CoNLL: `annotator.nlp.conll` as it is (byte for byte round trips), behind the registry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from annotator.nlp import conll as conll_file
from annotator.nlp.formats.base import Event, ExportDocument, Format, ReadOptions, text_comment

SUFFIXES = (".conll", ".txt", ".tsv", ".iob", ".bio", ".conllu", ".conll03")


def read(stream: BinaryIO, name: str, options: ReadOptions) -> Iterator[Event]:
    return conll_file.read(stream, name, encoding=options.encoding, tag_column=options.tag_column)


def write(documents: Iterable[ExportDocument]) -> Iterator[bytes]:
    for document in documents:
        sentences = document.sentences
        if document.native != "conll":
            sentences = _separated(sentences)
        yield from conll_file.write(document.format, sentences, document.trailer)


def _separated(sentences: Iterable[conll_file.Sentence]) -> Iterator[conll_file.Sentence]:
    """Sentences of a JSON or binary format have no lines between them: a blank line each,
    and their text in a CoNLL-U style `# text = ...` comment, so that importing the CoNLL file
    and exporting it in a text format again gives the same text and offsets."""
    for number, sentence in enumerate(sentences):
        before = ("\n" if number else "") + text_comment(sentence)
        yield conll_file.Sentence(sentence.tokens, sentence.tags, before=before)


def sniff(head: bytes) -> bool:
    # Anything textual may be CoNLL; it is what --format auto falls back to.
    return b"\0" not in head[:4096] or head[:2] in (b"\xff\xfe", b"\xfe\xff")


FORMAT = Format(
    name="conll",
    title="CoNLL (token and tag columns)",
    extensions=SUFFIXES,
    media_type="text/plain",
    read=read,
    write=write,
    sniff=sniff,
)
