"""How many documents and sentences a CoNLL file holds, counted in one pass without parsing it.

The upload form and the API decide from these counts whether a file is imported in the request
or by a job: rows and time grow with documents and sentences, not only with bytes (30,000 tiny
`-DOCSTART-` documents are 0.9 MB). A count, not a check: a broken file is refused by the reader
either way. UTF-16 and UTF-32 files (with their BOM) are decoded; any other encoding keeps
newlines as the byte 0x0A, so it is read as Latin-1, which never fails.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20
# Longest first: the UTF-32-LE BOM begins with the UTF-16-LE one.
BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]


@dataclass(frozen=True)
class Counts:
    documents: int  # -DOCSTART- lines; a file without any is one document
    sentences: int  # runs of token lines between blank lines


class _Counter:
    def __init__(self) -> None:
        self.documents = self.sentences = 0
        self.in_sentence = False

    def line(self, line: str) -> None:
        text = line.strip()
        if not text:
            if self.in_sentence:
                self.sentences += 1
            self.in_sentence = False
        elif text.startswith("-DOCSTART-"):
            self.documents += 1
        elif not (text.startswith("#") and not self.in_sentence):  # a comment line
            self.in_sentence = True

    def counts(self) -> Counts:
        return Counts(max(1, self.documents), self.sentences + self.in_sentence)


def count(stream: BinaryIO, *, stop_above: Counts | None = None) -> Counts:
    """Count from the stream's current position to its end, or (with `stop_above`) until
    either count passes its limit: the caller only needs to know that it did."""
    head = stream.read(4)
    bom, encoding = next(((b, name) for b, name in BOMS if head.startswith(b)), (b"", "latin-1"))
    if head.startswith(codecs.BOM_UTF8):
        bom = codecs.BOM_UTF8
    decode = codecs.getincrementaldecoder(encoding)("replace").decode
    counter, pending, data = _Counter(), "", head[len(bom) :] or stream.read(CHUNK)
    while data:
        pending += decode(data)
        *lines, pending = pending.split("\n")
        for line in lines:
            counter.line(line)
        if stop_above and (
            counter.documents > stop_above.documents or counter.sentences > stop_above.sentences
        ):
            return counter.counts()
        data = stream.read(CHUNK)
    counter.line(pending + decode(b"", final=True))
    return counter.counts()
