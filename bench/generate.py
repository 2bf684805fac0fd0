"""Write the benchmark inputs by repeating the sample's sentences, keeping its <s>/</s> format."""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path

from common import (
    BIG,
    DOC_COUNT,
    DOCS,
    EDIT,
    EDIT_SENTENCES,
    PAGE,
    PAGE_SENTENCES,
    ROOT,
    SHORT,
    SHORT_SENTENCES,
    SMALL,
    SMALL_SENTENCES,
    TOKENS,
    VAR,
    emit,
    sample_path,
)


def read_sentences(path: Path) -> list[list[str]]:
    """The sample's sentences, each as its token lines (without the <s> and </s> lines)."""
    sentences, current = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line == "<s>":
            current = []
        elif line == "</s>":
            sentences.append(current)
            current = None
        elif current is not None and line:
            current.append(line)
    if not sentences:
        raise SystemExit(f"bench: no <s>...</s> sentences in {path}")
    return sentences


def write(path: Path, sentences: Iterator[list[str]]) -> tuple[int, int]:
    """Write sentences to path; returns (sentences, tokens) written."""
    count = tokens = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for lines in sentences:
            out.write("<s>\n" + "".join(line + "\n" for line in lines) + "</s>\n")
            count += 1
            tokens += len(lines)
    return count, tokens


def until_tokens(sentences: list[list[str]], target: int) -> Iterator[list[str]]:
    total = 0
    for lines in cycle(sentences):
        yield lines
        total += len(lines)
        if total >= target:
            return


def first(sentences: list[list[str]], count: int) -> Iterator[list[str]]:
    for _, lines in zip(range(count), cycle(sentences), strict=False):
        yield lines


def write_documents(path: Path, sentences: list[list[str]], count: int, width: int = 8) -> int:
    """count documents of one short sentence each (a sample sentence's first `width` tokens),
    each opened by a -DOCSTART- line; returns the tokens written."""
    tokens = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for _, lines in zip(range(count), cycle(sentences), strict=False):
            short = lines[:width]
            out.write("-DOCSTART-\tO\n\n" + "".join(line + "\n" for line in short) + "\n")
            tokens += len(short)
    return tokens


def main() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    source = sample_path()
    sentences = read_sentences(source)
    big = write(BIG, until_tokens(sentences, TOKENS))
    page = write(PAGE, first(sentences, PAGE_SENTENCES))
    small = write(SMALL, first(sentences, SMALL_SENTENCES))
    short = write(SHORT, first(sentences, SHORT_SENTENCES))
    edit = write(EDIT, first(sentences, EDIT_SENTENCES))
    doc_tokens = write_documents(DOCS, sentences, DOC_COUNT)
    emit(
        {
            # Relative to the repository: the recorded numbers must not name this machine's paths.
            "sample": os.path.relpath(source, ROOT),
            "sentences": big[0],
            "tokens": big[1],
            "bytes": BIG.stat().st_size,
            "page_tokens": page[1],
            "small_tokens": small[1],
            "short_tokens": short[1],
            "edit_sentences": edit[0],
            "edit_tokens": edit[1],
            "edit_bytes": EDIT.stat().st_size,
            "doc_count": DOC_COUNT,
            "doc_tokens": doc_tokens,
        }
    )


if __name__ == "__main__":
    main()
