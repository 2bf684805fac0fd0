"""Read and write CoNLL files exactly: what is read can be written back byte for byte.

Pure Python, no Django. The reader streams: it yields a `DocumentStart`, that document's
`Sentence`s, then a `DocumentEnd`, and so on, holding one sentence in memory at a time.

Exactness comes from three places:
- every line that is not a token line (blank lines, `<s>`, comments, `-DOCSTART-`) is kept as raw
  text, with its line ending, in the `before` of the sentence that follows it or in the
  document's `trailer`;
- token lines that differ from the document's usual shape (other separators, trailing blanks,
  another line ending, no final newline) keep their exact separators in `Sentence.formats`;
- encoding, byte-order mark, delimiter and line ending are kept per document.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from annotator.nlp.scheme import TagError, parse_tag

MAX_PROBLEMS = 50
BLOCK_SIZE = 1 << 20
# Far more than any CoNLL variant has (CoNLL-U: 10); a document stores its count in a small int.
MAX_COLUMNS = 1000
DOCSTART = "-DOCSTART-"
_MARKER = re.compile(r"</?(s|doc)(\s[^>]*)?>")
_BLANKS = re.compile(r"[ \t]+")
_BOUNDARIES = frozenset(["", "<s>", "</s>"])
# What no database text column can hold: NUL, and halves of UTF-16 pairs that some codecs
# (utf-7, unicode_escape, a wide file cut mid-pair) let through without an error.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
# Codecs whose strict decoders never produce a surrogate: their text needs only the NUL check,
# which `in` does many times faster than the regex scans a large block.
_NO_SURROGATES = frozenset(["utf-8", "ascii", "iso8859-1"])
_WIDE_ENCODINGS = {"utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"}
# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_BOM_FOR = {codec: mark for mark, codec in _BOMS}
# A named encoding a byte-order mark may refine, e.g. "utf-16" + FF FE -> "utf-16-le".
_FAMILY = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.message}"


class ConllError(ValueError):
    """The file cannot be imported; `problems` names each file, line and problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        more = " (and more)" if len(problems) >= MAX_PROBLEMS else ""
        super().__init__("\n".join(str(p) for p in problems) + more)


@dataclass(slots=True)
class DocumentFormat:
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    delimiter: str = "\t"
    columns: int = 2
    tag_column: int = 1  # 0-based index of the tag among the columns


@dataclass(slots=True)
class DocumentStart:
    name: str
    format: DocumentFormat


@dataclass(slots=True)
class DocumentEnd:
    trailer: str


@dataclass(slots=True)
class Sentence:
    tokens: list[str]
    tags: list[str]
    extras: list[list[str]] | None = None  # the other columns of each token, in file order
    before: str = ""  # raw non-token lines before this sentence, with their line endings
    formats: list[list] | None = None  # [token index, lead, separators..., trail + line ending]
    line: int = 0  # 1-based line number of the first token


@dataclass(slots=True)
class _State:
    """What the reader has learnt of the file so far."""

    name: str
    format: DocumentFormat
    tag_option: int | None
    first_token_line: int = 0
    problems: list[Problem] = field(default_factory=list)

    def fail(self, line: int, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.name, line, message))


def read(
    stream: BinaryIO,
    name: str,
    *,
    encoding: str | None = None,
    tag_column: int | None = None,
) -> Iterator[DocumentStart | Sentence | DocumentEnd]:
    """Stream the documents of a CoNLL file opened in binary mode.

    `tag_column` is 1-based as in `cut -f`; negative counts from the end; default: the last column.
    Raises ConllError, after reading the whole file so that every problem is listed at once.
    """
    fmt = DocumentFormat()
    state = _State(name, fmt, tag_column)
    blocks = _decoded_blocks(stream, state, encoding)
    yield from _Parser(state).run(blocks)
    if state.problems:
        raise ConllError(state.problems)


# A block: its lines without "\n" (a "\r" kept unless all lines end in "\r\n"), whether the last
# line had a "\n", the line ending shared by every line when there is one, and whether it is plain:
# no line starts with "#", ends in a blank or holds -DOCSTART- (the usual case, checked once per
# block instead of once per line).
Block = tuple[list[str], bool, str | None, bool]


def _decoded_blocks(stream: BinaryIO, state: _State, encoding: str | None) -> Iterator[Block]:
    """Decode the file in large blocks of whole lines; detect BOM, encoding and binary files."""
    head = _read_head(stream)
    fmt = state.format
    codec, bom = _encoding_of(head, encoding, state)
    if codec is None:
        return
    fmt.encoding, fmt.bom = codec, bom > 0
    head = head[bom:]
    if codec in _WIDE_ENCODINGS:
        yield from _wide_blocks(head, stream, codec, state)
        return
    nul = head.find(b"\0")
    if nul >= 0:
        state.fail(
            1,
            f"this is a binary file, not CoNLL text (NUL byte at offset {nul}); if it is "
            "UTF-16 or UTF-32 without a byte-order mark, name it with --encoding",
        )
        return
    yield from _byte_blocks(head, stream, codec, state)


def _read_head(stream: BinaryIO, size: int = 8192) -> bytes:
    """The first `size` bytes, even from a stream that returns short reads."""
    head = b""
    while len(head) < size:
        data = stream.read(size - len(head))
        if not data:
            break
        head += data
    return head


def _encoding_of(head: bytes, encoding: str | None, state: _State) -> tuple[str | None, int]:
    """The codec to decode with (None if unusable) and the length of the byte-order mark."""
    codec = "utf-8"
    if encoding:
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            state.fail(1, f"unknown encoding {encoding!r}")
            return None, 0
        if not getattr(info, "_is_text_encoding", True):
            state.fail(1, f"{encoding!r} is not a text encoding (try utf-8 or latin-1)")
            return None, 0
        codec = info.name
    family = _FAMILY.get(codec)
    for mark, marked in _BOMS:
        if head.startswith(mark) and (encoding is None or marked.startswith(family or "?")):
            return marked, len(mark)
    if family in ("utf-16", "utf-32"):
        return family + "-le", 0  # no mark: little-endian, as Windows tools write it
    return ("utf-8" if family == "utf-8" else codec), 0


def _byte_blocks(head: bytes, stream: BinaryIO, codec: str, state: _State) -> Iterator[Block]:
    # Cutting blocks after b"\n" is safe for UTF-8 and the single-byte codecs: that byte never
    # occurs inside a multi-byte character there.
    number = 0
    rest = head
    while True:
        data = stream.read(BLOCK_SIZE)
        rest += data
        if not rest:
            return
        cut = len(rest) if not data else rest.rfind(b"\n") + 1
        if cut == 0:
            continue
        chunk, rest = rest[:cut], rest[cut:]
        try:
            text = chunk.decode(codec)
        except UnicodeDecodeError:
            _report_undecodable(chunk, number, codec, state)
            text = chunk.decode(codec, errors="replace")
        if _unstorable(text, number, state, codec not in _NO_SURROGATES):
            return
        block = _block(text)
        number += len(block[0])
        yield block
        if not data:
            return


def _unstorable(text: str, number: int, state: _State, surrogates: bool) -> bool:
    """Refuse the file at its first character that cannot be stored, naming the line.
    `surrogates`: whether the text may hold lone surrogates (else only NUL is looked for)."""
    if not surrogates and "\0" not in text:
        return False
    found = _UNSTORABLE.search(text)
    if found is None:
        return False
    line = number + text.count("\n", 0, found.start()) + 1
    if found.group() == "\0":
        problem = "a NUL character (U+0000), which no text column can hold; remove it"
        if state.format.encoding not in _WIDE_ENCODINGS:
            problem += " (is this a binary file, or UTF-16 without a byte-order mark?)"
    else:
        code = f"U+{ord(found.group()):04X}"
        problem = f"a lone UTF-16 surrogate ({code}), which is not a character; check --encoding"
    state.fail(line, problem)
    return True


def _block(text: str) -> Block:
    """A decoded run of whole lines (the last maybe without its newline) as a Block."""
    lines, uniform = _split_lines(text)
    complete = text.endswith("\n")
    if complete:
        lines.pop()
    plain = not (
        text.startswith("#")
        or "\n#" in text
        or DOCSTART in text
        or any(blank + end in text for blank in " \t" for end in "\r\n")
    )
    return lines, complete, uniform, plain


def _split_lines(text: str) -> tuple[list[str], str | None]:
    crlf = text.count("\r\n")
    if crlf == 0 and "\r" not in text:
        return text.split("\n"), "\n"
    if crlf == text.count("\n") and crlf == text.count("\r"):
        return text.split("\r\n"), "\r\n"
    return text.split("\n"), None


def _report_undecodable(chunk: bytes, number: int, codec: str, state: _State) -> None:
    """Name each line of the block that does not decode (slow, but only on bad input)."""
    for offset, raw in enumerate(chunk.split(b"\n"), number + 1):
        try:
            raw.decode(codec)
        except UnicodeDecodeError as error:
            bad = raw[error.start : error.start + 4]
            state.fail(
                offset,
                f"bytes that are not valid {codec} ({bad!r} at byte {error.start + 1}); "
                "if the file uses another encoding, name it with --encoding (e.g. latin-1)",
            )


def _wide_blocks(head: bytes, stream: BinaryIO, codec: str, state: _State) -> Iterator[Block]:
    decoder = codecs.getincrementaldecoder(codec)()
    number = 0
    rest = ""
    data = head
    while True:
        try:
            text = rest + decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            # Count the lines before the bad bytes to name the right one.
            before = (rest + data[: error.start].decode(codec, errors="replace")).count("\n")
            state.fail(
                number + before + 1,
                f"text that is not valid {codec}; name the file's encoding with --encoding",
            )
            return
        cut = len(text) if not data else text.rfind("\n") + 1
        block, rest = text[:cut], text[cut:]
        if _unstorable(block, number, state, surrogates=True):
            return
        if block:
            block = _block(block)
            number += len(block[0])
            yield block
        if not data:
            return
        data = stream.read(BLOCK_SIZE)


class _Parser:
    """Turns lines into documents and sentences; one instance per file."""

    def __init__(self, state: _State):
        self.state = state
        self.pending: list[str] = []  # raw non-token lines waiting for the next sentence
        self.sentence: Sentence | None = None
        self.doc_sentences = 0
        self.documents = 0
        self.total = 0
        self.valid_tags: set[str] = set()

    def run(self, blocks: Iterable[Block]) -> Iterator[DocumentStart | Sentence | DocumentEnd]:
        number = 0
        fmt = self.state.format
        valid = self.valid_tags
        sentence: Sentence | None = None
        # Set from the format when the first sentence starts (the fast path needs a sentence).
        delimiter, columns, index, newline, tabs = "\t", 0, 0, "", True
        add_token = add_tag = add_extras = None
        for lines, complete, uniform, plain in blocks:
            last = None if complete else lines.pop()
            ending, first = uniform, number + 1
            for number, text in enumerate(lines, first):
                if not uniform:
                    if text[-1:] == "\r":
                        text, ending = text[:-1], "\r\n"
                    else:
                        ending = "\n"
                # The usual token line is handled inline: it is most of every file. So is the
                # first of a sentence once the file's shape is known (`_line` would open it the
                # same way).
                if newline and ending == newline:
                    cols = text.split(delimiter)
                    if (
                        len(cols) == columns
                        and cols[index] in valid
                        and (
                            plain
                            or (text[0] != "#" and cols[0] != DOCSTART and text[-1] not in " \t")
                        )
                        and (tabs or ("" not in cols and "\t" not in text))
                    ):
                        if sentence is None:
                            sentence = self._open(number)
                            add_token, add_tag = sentence.tokens.append, sentence.tags.append
                            extras = sentence.extras
                            add_extras = extras.append if extras is not None else None
                        add_token(cols[0])
                        add_tag(cols[index])
                        if add_extras is not None:
                            add_extras(cols[1:index] + cols[index + 1 :])
                        continue
                if text in _BOUNDARIES and number > 1:
                    # Blank and <s>/</s> lines: the other common case, also kept inline.
                    if sentence is not None:
                        yield from self._close_sentence()
                        sentence = None
                    self.pending.append(text + ending)
                    continue
                yield from self._line(number, text, ending)
                sentence = self.sentence
                if sentence is not None:
                    add_token, add_tag = sentence.tokens.append, sentence.tags.append
                    add_extras = sentence.extras.append if sentence.extras is not None else None
                    delimiter, columns, index = fmt.delimiter, fmt.columns, fmt.tag_column
                    newline, tabs = fmt.newline, fmt.delimiter == "\t"
            if last is not None:
                number += 1
                if last[-1:] == "\r":
                    yield from self._line(number, last[:-1], "\r")
                else:
                    yield from self._line(number, last, "")
        yield from self._end(number)

    def _line(self, number: int, text: str, ending: str) -> Iterator[DocumentStart | Sentence]:
        state = self.state
        if number == 1:
            state.format.newline = ending or "\n"
        kind = _line_kind(text, state)
        if kind == "token":
            cols, shape = _split(text, ending, state, number)
            if cols is None:
                self.sentence = None
                return
            if self.sentence is None:
                if self.documents == 0:
                    self.documents = 1
                    yield DocumentStart(state.name, state.format)
                self._open(number)
            self._add(self.sentence, cols, shape, number)
            return
        yield from self._close_sentence()
        if kind == "docstart" and self.doc_sentences:
            yield DocumentEnd("".join(self.pending))
            self.pending = []
            self.documents += 1
            self.doc_sentences = 0
            yield DocumentStart(f"{state.name} #{self.documents}", _copy_format(state.format))
        self.pending.append(text + ending)

    def _open(self, number: int) -> Sentence:
        """A new sentence starting at line `number`, after the lines pending before it."""
        extras = [] if self.state.format.columns > 2 else None
        self.sentence = Sentence([], [], extras, "".join(self.pending), None, number)
        self.pending = []
        return self.sentence

    def _close_sentence(self) -> Iterator[Sentence]:
        if self.sentence is not None:
            if not self.state.problems:
                yield self.sentence
            self.doc_sentences += 1
            self.total += 1
            self.sentence = None

    def _add(self, sentence: Sentence, cols: list[str], shape: list[str] | None, number: int):
        tag = cols[self.state.format.tag_column]
        if tag not in self.valid_tags:
            try:
                parse_tag(tag)
                self.valid_tags.add(tag)
            except TagError as error:
                self.state.fail(number, str(error))
        position = len(sentence.tokens)
        _append(sentence, cols, self.state.format.tag_column)
        if shape is not None:
            if sentence.formats is None:
                sentence.formats = []
            sentence.formats.append([position, *shape])

    def _end(self, number: int) -> Iterator[Sentence | DocumentEnd]:
        yield from self._close_sentence()
        if self.total == 0 and not self.state.problems:
            self.state.fail(max(1, number), "the file has no sentences (no token lines found)")
        if self.documents:
            yield DocumentEnd("".join(self.pending))


def _append(sentence: Sentence, cols: list[str], index: int) -> None:
    sentence.tokens.append(cols[0])
    sentence.tags.append(cols[index])
    if sentence.extras is not None:
        sentence.extras.append(cols[1:index] + cols[index + 1 :])


def _copy_format(fmt: DocumentFormat) -> DocumentFormat:
    # Only the first document of a file carries the byte-order mark.
    return DocumentFormat(
        fmt.encoding, False, fmt.newline, fmt.delimiter, fmt.columns, fmt.tag_column
    )


def _line_kind(text: str, state: _State) -> str:
    stripped = text.strip()
    if not stripped:
        return "blank"
    first = stripped.split(None, 1)[0]
    if first == DOCSTART:
        return "docstart"
    if _MARKER.fullmatch(stripped):
        return "marker"
    if stripped.startswith("#") and not _looks_like_token(text, state):
        return "comment"
    return "token"


def _looks_like_token(text: str, state: _State) -> bool:
    """A `#` line is a token (a hashtag, say) only if it has the file's columns and a valid tag."""
    if not state.first_token_line:
        # Before the first token the columns are unknown: `# text = Big O` is a comment.
        if "\t" not in text:
            return False
        cols = text.split("\t")
    else:
        cols = text.split("\t") if "\t" in text else _BLANKS.split(text.strip())
    if len(cols) < 2 or (state.first_token_line and len(cols) != state.format.columns):
        return False
    try:
        parse_tag(cols[_tag_index(len(cols), state.tag_option)].strip())
    except (TagError, IndexError, ValueError):
        return False
    return True


def _tag_index(columns: int, option: int | None) -> int:
    if option is None or option == -1:
        return columns - 1
    index = option - 1 if option > 0 else columns + option
    if not 0 < index < columns:
        raise ValueError(option)
    return index


def _split(
    text: str, ending: str, state: _State, number: int
) -> tuple[list[str] | None, list[str] | None]:
    """Columns of a token line and, if it is not in the document's usual shape, its separators."""
    fmt = state.format
    if not state.first_token_line:
        state.first_token_line = number
        fmt.delimiter = "\t" if "\t" in text else " "
    body = text.rstrip(" \t") if fmt.delimiter == "\t" else text.strip(" \t")
    if fmt.delimiter == "\t" and "\t" in body:
        cols = body.split("\t")
        lead = ""
        seps = ["\t"] * (len(cols) - 1)
    else:
        cols = _BLANKS.split(body)
        lead = text[: len(text) - len(text.lstrip(" \t"))] if fmt.delimiter == " " else ""
        seps = _BLANKS.findall(body)
    trail = text[len(lead) + len(body) :] + ending
    if state.first_token_line == number:
        if not _set_columns(len(cols), state, number):
            state.first_token_line = 0  # let the next token line set the columns
            return None, None
    elif len(cols) != fmt.columns:
        _column_problem(cols, state, number)
        return None, None
    usual = not lead and trail == fmt.newline and all(s == fmt.delimiter for s in seps)
    return cols, None if usual else [lead, *seps, trail]


def _set_columns(count: int, state: _State, number: int) -> bool:
    fmt = state.format
    if count < 2:
        state.fail(number, "token line without a tag (only one column)")
        return False
    if count > MAX_COLUMNS:
        state.fail(number, f"{count} columns; at most {MAX_COLUMNS} are supported")
        return False
    try:
        fmt.tag_column = _tag_index(count, state.tag_option)
    except ValueError:
        state.fail(
            number, f"--tag-column {state.tag_option} does not fit a line of {count} columns"
        )
        return False
    fmt.columns = count
    return True


def _column_problem(cols: list[str], state: _State, number: int) -> None:
    if len(cols) == 1:
        state.fail(number, f"token line without a tag: {cols[0]!r}")
    else:
        state.fail(
            number,
            f"{len(cols)} columns where line {state.first_token_line} has "
            f"{state.format.columns}; every token line needs the same number of columns",
        )


def write(
    fmt: DocumentFormat, sentences: Iterable[Sentence], trailer: str, *, chunk: int = 500
) -> Iterator[bytes]:
    """Encode one document; yields byte chunks so large documents stream."""
    codec = fmt.encoding
    if codec in ("utf-16", "utf-32"):
        codec += "-le"  # the plain codec would add a byte-order mark of its own
    if fmt.bom and codec in _BOM_FOR:
        yield _BOM_FOR[codec]
    encoder = codecs.getincrementalencoder(codec)()
    parts: list[str] = []
    for count, sentence in enumerate(sentences, 1):
        parts.append(sentence.before)
        _write_tokens(fmt, sentence, parts)
        if count % chunk == 0:
            yield encoder.encode("".join(parts))
            parts = []
    parts.append(trailer)
    yield encoder.encode("".join(parts), final=True)


def _write_tokens(fmt: DocumentFormat, sentence: Sentence, out: list[str]) -> None:
    delimiter, newline, index = fmt.delimiter, fmt.newline, fmt.tag_column
    shapes = {f[0]: f[1:] for f in sentence.formats} if sentence.formats else {}
    extras = sentence.extras
    for i, (token, tag) in enumerate(zip(sentence.tokens, sentence.tags, strict=True)):
        if extras is None:
            cols = [token, tag]
        else:
            cols = [token, *extras[i]]
            cols.insert(index, tag)
        shape = shapes.get(i)
        if shape is None:
            out.append(delimiter.join(cols) + newline)
        else:
            out.append(shape[0] + "".join(c + s for c, s in zip(cols, shape[1:], strict=True)))
