"""spaCy's binary corpus format, `DocBin` (.spacy files, as `spacy convert` and training use).

Each `Doc` is one sentence (a record), with its own tokens and their whitespace, so the text
comes back exactly; its entities (`doc.ents`) are the `imported` tags. Tokens whose entity
annotation is missing (spaCy's "" IOB value) read as O. Needs spaCy, an optional extra
(`pip install -e '.[spacy]'`); reading a file without it says so. The file is read whole: a
DocBin is one compressed block.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from annotator.nlp import conll
from annotator.nlp.formats.base import (
    Event,
    ExportDocument,
    Format,
    Problems,
    ReadOptions,
    Sentence,
    sentence_gaps,
)
from annotator.nlp.scheme import convert

NAME = "spacy"
MISSING = "reading or writing .spacy files needs spaCy: pip install -e '.[spacy]'"


def _spacy():
    try:
        import spacy  # noqa: PLC0415 (an optional extra: imported only when a .spacy file is used)
        from spacy.tokens import DocBin  # noqa: PLC0415
    except ImportError:
        return None, None
    return spacy, DocBin


def read(stream: BinaryIO, name: str, options: ReadOptions) -> Iterator[Event]:
    problems = Problems(name)
    spacy, DocBin = _spacy()
    if spacy is None:
        problems.fail(1, MISSING)
        problems.raise_any()
    data = stream.read()
    try:
        docs = list(DocBin().from_bytes(data).get_docs(spacy.vocab.Vocab()))
    except Exception as error:  # noqa: BLE001 (msgpack, zlib and spaCy raise many kinds)
        problems.fail(1, f"not a spaCy DocBin (.spacy) file ({type(error).__name__})")
        problems.raise_any()
    yield conll.DocumentStart(name, conll.DocumentFormat())
    count = 0
    for number, doc in enumerate(docs, 1):
        tokens, tags, gaps = _folded(doc)
        if not tokens:
            continue
        count += 1
        default = ["", *[" "] * (len(tokens) - 1), ""]
        source = None if gaps == default else {"gaps": gaps}
        yield Sentence(tokens, tags, line=number, source=source)
    if count == 0:
        problems.fail(1, "the DocBin holds no documents with tokens")
    yield conll.DocumentEnd("")
    problems.raise_any()


def _folded(doc) -> tuple[list[str], list[str], list[str]]:
    """Tokens, IOB2 tags and gaps; spaCy's whitespace tokens ("\n", runs of spaces) go into
    the gaps, so that every token is a word, as in the other formats."""
    tokens, tags, gaps = [], [], [""]
    for token in doc:
        if token.text.isspace():  # (is_space needs a language's lexeme attributes)
            gaps[-1] += token.text_with_ws
            continue
        tokens.append(token.text)
        tags.append(f"{token.ent_iob_}-{token.ent_type_}" if token.ent_iob_ in ("B", "I") else "O")
        gaps.append(token.whitespace_)
    if tags and tags[0].startswith("I-"):
        tags[0] = "B-" + tags[0][2:]
    return tokens, tags, gaps


def write(documents: Iterable[ExportDocument]) -> Iterator[bytes]:
    spacy, DocBin = _spacy()
    if spacy is None:
        raise RuntimeError(MISSING)
    from spacy.tokens import Doc  # noqa: PLC0415

    vocab = spacy.vocab.Vocab()
    docbin = DocBin(attrs=["ENT_IOB", "ENT_TYPE"], store_user_data=False)
    for document in documents:
        for sentence in document.sentences:
            count = len(sentence.tokens)
            gaps = sentence_gaps(sentence) or ["", *[" "] * (count - 1), ""]
            if gaps[0] or any(g not in ("", " ") for g in gaps[1:]):
                # spaCy keeps at most one space after a token: other text becomes space tokens.
                words, spaces = _with_space_tokens(sentence.tokens, gaps)
                ents = _space_tags(sentence.tags, gaps, document.scheme)
            else:
                words, spaces = list(sentence.tokens), [bool(g) for g in gaps[1:]]
                ents = convert(sentence.tags, document.scheme, "iob2")
            docbin.add(Doc(vocab, words=words, spaces=spaces, ents=ents))
    yield docbin.to_bytes()


def _with_space_tokens(tokens: list[str], gaps: list[str]) -> tuple[list[str], list[bool]]:
    words, spaces = [], []
    if gaps[0]:
        words.append(gaps[0])
        spaces.append(False)
    for token, gap in zip(tokens, gaps[1:], strict=True):
        words.append(token)
        spaces.append(gap[:1] == " ")
        rest = gap[1:] if gap[:1] == " " else gap
        if rest:
            words.append(rest)
            spaces.append(False)
    return words, spaces


def _space_tags(tags: list[str], gaps: list[str], scheme: str) -> list[str]:
    iob2 = convert(tags, scheme, "iob2")
    out = ["O"] if gaps[0] else []
    for i, (tag, gap) in enumerate(zip(iob2, gaps[1:], strict=True)):
        out.append(tag)
        rest = gap[1:] if gap[:1] == " " else gap
        if rest:
            inside = i + 1 < len(iob2) and iob2[i + 1].startswith("I-")
            out.append("I-" + iob2[i + 1][2:] if inside else "O")
    return out


def sniff(head: bytes) -> bool:
    return False  # binary: told apart by its extension


FORMAT = Format(
    name=NAME,
    title="spaCy DocBin (.spacy)",
    extensions=(".spacy",),
    media_type="application/octet-stream",
    read=read,
    write=write,
    sniff=sniff,
)
