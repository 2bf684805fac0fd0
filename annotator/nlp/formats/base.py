"""What every corpus format shares: the events, the registry entry, problems, tokens and spans.

Every reader yields the CoNLL reader's events (`conll.DocumentStart`, sentences,
`conll.DocumentEnd`), so a CoNLL file's events are already valid here. Formats that carry more
yield `Sentence`, conll's sentence plus `layers` (annotators' tags beside the unattributed ones)
and `source` (what their writer needs to give the record back), and `conll.Problem`s as
warnings (kept spans that did not fit the tokens exactly). Bad input raises
`conll.ConllError` after the whole file is read, naming file, line (or record) and problem.

Pure Python, no Django.
"""

from __future__ import annotations

import codecs
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from annotator.nlp import conll
from annotator.nlp.scheme import Span, TagError, parse_tag, spans, tags_from_spans

Problem = conll.Problem
FormatError = conll.ConllError
Event = conll.DocumentStart | conll.Sentence | conll.DocumentEnd | conll.Problem
BLOCK_SIZE = 1 << 20


@dataclass(slots=True)
class Sentence(conll.Sentence):
    """A sentence (a record of a JSON format) with its annotators' tags and its source.

    `tags` hold the spans no annotator is named for (the `imported` layer); `layers` map an
    annotator's name to their tags. `source` is stored with the sentence: "gaps", the text
    around the tokens (len(tokens) + 1 strings; absent when the text is the tokens joined by
    single spaces), and "fields", the record's other fields, for its writer.
    """

    layers: dict[str, list[str]] | None = None
    source: dict | None = None


@dataclass(slots=True)
class ReadOptions:
    encoding: str | None = None  # CoNLL
    tag_column: int | None = None  # CoNLL, 1-based
    labels: list[str] | None = None  # Hugging Face: tag names in id order, for ner_tags ids


@dataclass(slots=True)
class ExportDocument:
    """One document to write: its sentences carry the tags of the exported layer."""

    name: str
    native: str  # the format it was imported from
    scheme: str  # of the tags
    sentences: Iterable[conll.Sentence]
    format: conll.DocumentFormat = field(default_factory=conll.DocumentFormat)
    trailer: str = ""


Reader = Callable[[BinaryIO, str, ReadOptions], Iterator[Event]]
Writer = Callable[[Iterable[ExportDocument]], Iterator[bytes]]


@dataclass(frozen=True, slots=True)
class Format:
    """A registry entry: the one place the pages, the API and the commands learn a format."""

    name: str
    title: str
    extensions: tuple[str, ...]  # for --format auto and the download's file name (the first)
    media_type: str
    read: Reader
    write: Writer
    sniff: Callable[[bytes], bool]  # does the head of a file look like this format?


class Problems:
    """Collects a file's problems (up to conll.MAX_PROBLEMS) and raises them at the end."""

    def __init__(self, name: str):
        self.name = name
        self.items: list[Problem] = []

    def fail(self, line: int, message: str) -> None:
        if len(self.items) < conll.MAX_PROBLEMS:
            self.items.append(Problem(self.name, line, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_any(self) -> None:
        if self.items:
            raise FormatError(self.items)


# --- reading -------------------------------------------------------------------------------


class Rewound:
    """A stream whose first bytes were read to detect its format, given back on read."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head, self.stream = head, stream

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.stream.read(size)
        if size < 0:
            data, self.head = self.head + self.stream.read(), b""
            return data
        data, self.head = self.head[:size], self.head[size:]
        if len(data) < size:
            data += self.stream.read(size - len(data))
        return data


def text_lines(stream: BinaryIO, problems: Problems) -> Iterator[tuple[int, str]]:
    """Numbered lines of a UTF-8 text stream (a BOM is skipped), read in large blocks."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    number, rest = 0, ""
    while True:
        data = stream.read(BLOCK_SIZE)
        try:
            text = rest + decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            line = number + (rest + data[: error.start].decode("utf-8", "replace")).count("\n")
            problems.fail(line + 1, "bytes that are not valid UTF-8 (JSON files are UTF-8)")
            return
        lines = text.split("\n")
        rest = lines.pop() if data else ""
        for line in lines:
            number += 1
            if "\0" in line:
                problems.fail(number, "this is a binary file, not JSON text (NUL byte)")
                return
            yield number, line
        if not data:
            if rest:
                yield number + 1, rest
            return


def json_records(stream: BinaryIO, problems: Problems) -> Iterator[tuple[int, dict]]:
    """The objects of a JSON Lines file with their line numbers; blank lines are skipped."""
    decode = json.JSONDecoder().decode
    for number, line in text_lines(stream, problems):
        if not line.strip():
            continue
        try:
            value = decode(line)
        except json.JSONDecodeError as error:
            problems.fail(number, f"not JSON: {error.msg} (column {error.colno})")
            continue
        if not isinstance(value, dict):
            problems.fail(number, f"expected a JSON object, found {type(value).__name__}")
            continue
        yield number, value


def json_array_items(stream: BinaryIO, problems: Problems) -> Iterator[tuple[int, object]]:
    """The items of a JSON array file, each with the line it starts on, without loading the
    whole file: blocks are decoded and each item parsed as soon as it is complete."""
    decoder = json.JSONDecoder()
    lines = (line + "\n" for _, line in text_lines(stream, problems))
    buffer, at, line, done = "", 0, 1, False

    def more() -> bool:
        nonlocal buffer, done
        chunk = "".join(_take(lines, 4096))
        if not chunk:
            done = True
        buffer += chunk
        return bool(chunk)

    def skip(chars: str) -> None:
        nonlocal at, line
        while True:
            while at < len(buffer) and buffer[at] in chars:
                line += buffer[at] == "\n"
                at += 1
            if at < len(buffer) or done or not more():
                return

    skip(" \t\r\n")
    if at >= len(buffer) or buffer[at] != "[":
        problems.fail(line, "expected a JSON array of tasks ('[' at the start)")
        return
    at += 1
    first = True
    while True:
        skip(" \t\r\n")
        if at < len(buffer) and buffer[at] == "]":
            return
        if not first:
            if at >= len(buffer) or buffer[at] != ",":
                problems.fail(line, "expected ',' or ']' between the array's items")
                return
            at += 1
            skip(" \t\r\n")
        first = False
        while True:
            try:
                value, end = decoder.raw_decode(buffer, at)
                if end < len(buffer) or done or isinstance(value, dict | list) or not more():
                    break  # (a number at the buffer's end may go on in the next block)
            except json.JSONDecodeError as error:
                if done or not more():
                    problems.fail(line, f"not JSON: {error.msg} (in the item starting here)")
                    return
        yield line, value
        line += buffer.count("\n", at, end)
        at = end
        if at > BLOCK_SIZE:  # drop what was parsed, keeping the buffer small
            buffer, at = buffer[at:], 0


def _take(lines: Iterator[str], count: int) -> list[str]:
    taken = []
    for line in lines:
        taken.append(line)
        if len(taken) == count:
            break
    return taken


# --- tokens and text -----------------------------------------------------------------------

# The tokenizer for formats whose files give text but no tokens: runs of letters and digits
# (with inner hyphens and apostrophes: "state-of-the-art", "don't"), every other visible
# character alone. Tokens are also cut at every span edge, so each span keeps its exact offsets.
TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")
TOKENIZER = "words with inner hyphens and apostrophes, each other character alone"


def one_document(
    name: str,
    problems: Problems,
    results: Iterable[tuple[int, conll.Sentence | None, Iterable[str]]],
    empty: str,
) -> Iterator[Event]:
    """A file read as one document: each (line, sentence or None, warnings) a record gave, the
    warnings as they come, sentences only while the file has no error; `empty` when none."""
    yield conll.DocumentStart(name, conll.DocumentFormat())
    count = 0
    for line, sentence, warnings in results:
        for warning in warnings:
            yield Problem(name, line, warning)
        if sentence is not None and not problems:
            count += 1
            yield sentence
    if count == 0 and not problems:
        problems.fail(1, empty)
    yield conll.DocumentEnd("")
    problems.raise_any()


def tokenize(text: str) -> list[tuple[int, int]]:
    """Token offsets (start, end) in `text`."""
    return [match.span() for match in TOKEN.finditer(text)]


def tokenize_for_spans(text: str, found: list[CharSpan]) -> tuple[list[tuple[int, int]], set[int]]:
    """Token offsets cut at every span edge, and the edges that fell inside a token (where
    the tokenizer alone would have put no token edge)."""
    offsets = tokenize(text)
    cuts = {span.start for span in found} | {span.end for span in found}
    inside: set[int] = set()
    if not cuts:
        return offsets, inside
    starts = [start for start, _ in offsets]
    # Largest first: a split only moves the tokens after it, which smaller cuts never touch.
    for cut in sorted(cuts, reverse=True):
        at = bisect_right(starts, cut) - 1
        if at >= 0 and offsets[at][0] < cut < offsets[at][1]:
            start, end = offsets[at]
            offsets[at : at + 1] = [(start, cut), (cut, end)]
            inside.add(cut)
    return offsets, inside


def gaps_of(
    text: str, offsets: list[tuple[int, int]], tokens: list[str] | None = None
) -> list[str] | None:
    """The text around the tokens, or None when it is the tokens joined by single spaces."""
    if tokens is not None and " ".join(tokens) == text:
        return None  # the usual case, found without a loop
    gaps, position = [], 0
    for start, end in offsets:
        gaps.append(text[position:start])
        position = end
    gaps.append(text[position:])
    if gaps[0] == "" and gaps[-1] == "" and all(g == " " for g in gaps[1:-1]):
        return None
    return gaps


def text_of(tokens: list[str], gaps: list[str] | None) -> tuple[str, list[tuple[int, int]]]:
    """The text and token offsets back from tokens and their gaps."""
    if gaps is None:
        gaps = ["", *[" "] * (len(tokens) - 1), ""] if tokens else [""]
    parts, offsets, position = [gaps[0]], [], len(gaps[0])
    for token, gap in zip(tokens, gaps[1:], strict=True):
        offsets.append((position, position + len(token)))
        parts.append(token)
        parts.append(gap)
        position += len(token) + len(gap)
    return "".join(parts), offsets


# --- spans ---------------------------------------------------------------------------------


@dataclass(slots=True)
class CharSpan:
    start: int
    end: int
    label: str


def check_char_spans(found: list, text: str, where: str) -> tuple[list[CharSpan], list[str]]:
    """Spans as (start, end, label) triples checked against the text; the problems found."""
    good, bad = [], []
    for item in found:
        try:
            start, end, label = item
        except (TypeError, ValueError):
            bad.append(f"{where}: a span must be [start, end, label], found {item!r}")
            continue
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
            bad.append(f"{where}: span offsets must be integers, found {item!r}")
        elif not 0 <= start < end <= len(text):
            bad.append(
                f"{where}: span [{start}, {end}) is empty or outside the text "
                f"({len(text)} characters)"
            )
        elif not isinstance(label, str) or not label.strip() or label == "O":
            bad.append(f"{where}: span [{start}, {end}) has no usable label ({label!r})")
        else:
            good.append(CharSpan(start, end, label.strip()))
    return good, bad


def place_spans(
    found: list[CharSpan],
    offsets: list[tuple[int, int]],
    text: str,
    where: str,
    *,
    cut_inside: set[int] | frozenset[int] = frozenset(),
) -> tuple[list[str], list[str]]:
    """IOB2 tags for character spans over the tokens; a warning for each span kept inexactly.

    An edge in the whitespace between tokens moves to the nearest token edge inside the span;
    an edge inside a token was either cut there already (our own tokens; `cut_inside` holds
    the cuts that split a word, and the warning says so) or moves outwards to the token's
    edge. A span over no token, or overlapping a span kept before it (BIO holds no overlaps),
    is left out, with a warning. Nothing is dropped silently.
    """
    warnings = []
    token_starts = [s for s, _ in offsets]
    token_ends = [e for _, e in offsets]
    placed: list[Span] = []
    for span in sorted(found, key=lambda s: (s.start, -s.end)):
        first = bisect_right(token_ends, span.start)  # the first token ending after the start
        last = max(first, bisect_left(token_starts, span.end))  # after the last one inside
        quoted = f"{span.label} [{span.start}, {span.end}) {text[span.start : span.end]!r}"
        if first == last:
            warnings.append(f"{where}: span {quoted} covers no token; left out")
            continue
        if placed and first < placed[-1].end:
            prev = placed[-1]
            warnings.append(
                f"{where}: span {quoted} overlaps the {prev.label} span before it; left out "
                "(BIO tags hold no overlapping spans)"
            )
            continue
        start, end = offsets[first][0], offsets[last - 1][1]
        if (start, end) != (span.start, span.end):
            warnings.append(
                f"{where}: span {quoted} edges are not token edges; kept as [{start}, {end}) "
                f"{text[start:end]!r}"
            )
        elif span.start in cut_inside or span.end in cut_inside:
            warnings.append(
                f"{where}: span {quoted} starts or ends inside a token; the token was cut there"
            )
        placed.append(Span(first, last, span.label))
    return tags_from_spans(placed, len(offsets), "iob2"), warnings


TEXT_COMMENT = "# text = "


def sentence_gaps(sentence: conll.Sentence) -> list[str] | None:
    """The text around a sentence's tokens: from its source, or from a CoNLL-U style
    `# text = ...` comment before it (as CoNLL exports of text formats write), else None."""
    source = getattr(sentence, "source", None)
    if source and source.get("gaps"):
        return source["gaps"]
    if TEXT_COMMENT in sentence.before:
        for line in reversed(sentence.before.splitlines()):
            if line.startswith(TEXT_COMMENT):
                return gaps_around(line[len(TEXT_COMMENT) :], sentence.tokens)
    return None


def gaps_around(text: str, tokens: list[str]) -> list[str] | None:
    """The gaps of `text` around `tokens` if the tokens are the text's words in order."""
    gaps, position = [], 0
    for token in tokens:
        found = text.find(token, position)
        if found < 0 or (text[position:found] and not text[position:found].isspace()):
            return None
        gaps.append(text[position:found])
        position = found + len(token)
    if text[position:] and not text[position:].isspace():
        return None
    gaps.append(text[position:])
    return gaps


def text_comment(sentence: conll.Sentence) -> str:
    """The `# text = ...` line that lets a CoNLL export keep a sentence's own text, or ""."""
    gaps = sentence_gaps(sentence)
    if gaps is None:
        return ""
    text, _ = text_of(sentence.tokens, gaps)
    if any(c in text for c in "\t\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"):
        return ""  # one line only
    return f"{TEXT_COMMENT}{text}\n"


def char_spans(sentence: conll.Sentence, scheme: str):
    """The text, token offsets and (start, end, label) spans of a sentence, for writers."""
    tags = sentence.tags
    text, offsets = text_of(sentence.tokens, sentence_gaps(sentence))
    found = [(offsets[s.start][0], offsets[s.end - 1][1], s.label) for s in spans(tags, scheme)]
    return text, offsets, found


def check_tags(tags: list, where: str) -> str | None:
    """The first problem of a list of tags, or None."""
    for tag in tags:
        if not isinstance(tag, str):
            return f"{where}: tags must be strings, found {tag!r}"
        try:
            parse_tag(tag)
        except TagError as error:
            return f"{where}: {error}"
    return None


def first_record(head: bytes) -> dict | None:
    """The first JSON object of a JSON Lines head (or of a JSON array), if it is complete."""
    text = head.decode("utf-8-sig", errors="ignore").lstrip()
    if text.startswith("["):
        text = text[1:].lstrip()
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def dump_line(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False) + "\n"


def encoded(lines: Iterable[str], chunk: int = 500) -> Iterator[bytes]:
    """UTF-8 bytes of text lines, a few hundred lines at a time so large exports stream."""
    parts: list[str] = []
    for line in lines:
        parts.append(line)
        if len(parts) >= chunk:
            yield "".join(parts).encode()
            parts = []
    if parts:
        yield "".join(parts).encode()
