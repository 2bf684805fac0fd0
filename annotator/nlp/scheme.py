"""Named-entity tag schemes: parse, detect, decode to spans, encode, validate and repair.

Pure standard-library Python: the importer, the review views and offline scripts share it,
and it must stay usable (and testable) without Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

SCHEMES: tuple[str, ...] = ("iob1", "iob2", "bioes", "bilou")

PREFIXES: dict[str, frozenset[str]] = {
    "iob1": frozenset({"B", "I"}),
    "iob2": frozenset({"B", "I"}),
    "bioes": frozenset({"B", "I", "E", "S"}),
    "bilou": frozenset({"B", "I", "L", "U"}),
}

_KNOWN_PREFIXES = frozenset({"B", "I", "E", "S", "L", "U"})
# Decoding gives each prefix one meaning in every scheme (as conlleval does), so a
# prefix from the wrong scheme is still read sensibly instead of being dropped.
_CONTINUES = frozenset({"I", "E", "L"})
_CLOSES = frozenset({"E", "L", "S", "U"})
_OPEN = frozenset({"B", "I"})
_END = {"bioes": "E", "bilou": "L"}
_SINGLE = {"bioes": "S", "bilou": "U"}
_OUTSIDE: tuple[str, str | None] = ("O", None)


class TagError(ValueError):
    """A tag that is neither "O" nor PREFIX-LABEL (a ValueError, so generic handlers catch it)."""


# Bounded: a corpus has a few dozen distinct tags, but uploaded files are untrusted input.
@lru_cache(maxsize=4096)
def parse_tag(tag: str) -> tuple[str, str | None]:
    """("O", None) for "O", ("B", "PER") for "B-PER"; TagError for anything malformed."""
    if tag == "O":
        return _OUTSIDE
    prefix, hyphen, label = tag.partition("-")  # first hyphen: labels may contain hyphens
    if not tag:
        detail = "tag is empty"
    elif not hyphen:
        detail = "expected 'O' or PREFIX-LABEL such as 'B-PER'"
    elif not prefix:
        detail = f"prefix missing before '-{label}'"
    elif prefix not in _KNOWN_PREFIXES:
        hint = "; prefixes are upper-case" if prefix.upper() in _KNOWN_PREFIXES else ""
        detail = f"unknown prefix '{prefix}' (expected B, I, E, S, L or U{hint})"
    elif not label:
        detail = f"label missing after '{prefix}-'"
    else:
        return (prefix, label)
    raise TagError(f"malformed tag {tag!r}: {detail}")


@dataclass(frozen=True, slots=True, order=True)
class Span:
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    label: str


def _check_scheme(scheme: str) -> None:
    if scheme not in PREFIXES:
        raise ValueError(f"unknown scheme {scheme!r} (expected one of {', '.join(SCHEMES)})")


class SchemeDetector:
    """Guess a corpus's scheme one sentence at a time, so large imports need not keep it all.

    S-/E- mean "bioes" and L-/U- mean "bilou". A corpus mixing both families is reported as
    "bilou": neither family occurs in any other scheme, so there is no better evidence to
    weigh, and one fixed answer lets invalid_positions flag the other family for review.
    Without those, IOB1 is recognised by entities opened with I- while every B- only splits
    two same-type entities; a B- that opens an entity anywhere else means IOB2, whose stray
    I- tags are then annotation errors rather than evidence of IOB1. Malformed tags raise TagError.
    """

    __slots__ = ("_bilou", "_bioes", "_inside_opens", "_begin_opens")

    def __init__(self) -> None:
        self._bilou = False
        self._bioes = False
        self._inside_opens = False
        self._begin_opens = False

    def feed(self, tags: Sequence[str]) -> None:
        prev_prefix, prev_label = _OUTSIDE  # sentences never continue each other's entities
        for tag in tags:
            prefix, label = parse_tag(tag)
            continues = label == prev_label and prev_prefix in _OPEN
            if prefix in ("S", "E"):
                self._bioes = True
            elif prefix in ("L", "U"):
                self._bilou = True
            elif prefix == "I" and not continues:
                self._inside_opens = True
            elif prefix == "B" and not continues:
                self._begin_opens = True
            prev_prefix, prev_label = prefix, label

    @property
    def settled(self) -> bool:
        """True once a B- has opened an entity: from then on only the prefix families (S/E,
        L/U) can change the answer, and `note_tags` with the distinct tags tells those."""
        return self._begin_opens

    def note_tags(self, distinct_tags: Iterable[str]) -> None:
        for tag in distinct_tags:
            prefix = parse_tag(tag)[0]
            self._bioes = self._bioes or prefix in ("S", "E")
            self._bilou = self._bilou or prefix in ("L", "U")

    def result(self) -> str:
        if self._bilou:
            return "bilou"
        if self._bioes:
            return "bioes"
        if self._inside_opens and not self._begin_opens:
            return "iob1"
        return "iob2"  # also the answer for an all-"O" corpus: nothing contradicts it


def detect_scheme(sentences: Iterable[Sequence[str]]) -> str:
    detector = SchemeDetector()
    for sentence in sentences:
        detector.feed(sentence)
    return detector.result()


def spans(tags: Sequence[str], scheme: str) -> list[Span]:
    """Decode leniently, like conlleval: never raises on invalid transitions, only on bad tags."""
    _check_scheme(scheme)
    found: list[Span] = []
    start, open_label = 0, None
    for i, tag in enumerate(tags):
        prefix, label = parse_tag(tag)
        continues = open_label is not None and label == open_label and prefix in _CONTINUES
        if open_label is not None and not continues:
            found.append(Span(start, i, open_label))
            open_label = None
        if label is None:
            continue
        if not continues:
            start, open_label = i, label
        if prefix in _CLOSES:
            found.append(Span(start, i + 1, label))
            open_label = None
    if open_label is not None:
        found.append(Span(start, len(tags), open_label))
    return found


def _span_prefixes(width: int, scheme: str, after_same_label: bool) -> list[str]:
    if scheme == "iob1":
        # IOB1 uses B- only where I- would merge the span into the one before it.
        return ["B" if after_same_label else "I"] + ["I"] * (width - 1)
    if scheme == "iob2":
        return ["B"] + ["I"] * (width - 1)
    if width == 1:
        return [_SINGLE[scheme]]
    return ["B"] + ["I"] * (width - 2) + [_END[scheme]]


def tags_from_spans(spans: Iterable[Span], length: int, scheme: str) -> list[str]:
    """Encode non-overlapping spans as the one valid tag sequence for them in `scheme`."""
    _check_scheme(scheme)
    if length < 0:
        raise ValueError(f"length must not be negative, got {length}")
    out = ["O"] * length
    prev: Span | None = None
    for span in sorted(spans):
        if not 0 <= span.start < span.end <= length:
            raise ValueError(f"{span} is empty or out of range for {length} tokens")
        if not span.label:
            raise ValueError(f"{span} has an empty label")
        if prev is not None and span.start < prev.end:
            raise ValueError(f"{prev} and {span} overlap")
        adjacent = prev is not None and prev.end == span.start and prev.label == span.label
        width = span.end - span.start
        prefixes = _span_prefixes(width, scheme, adjacent)
        out[span.start : span.end] = [f"{p}-{span.label}" for p in prefixes]
        prev = span
    return out


def convert(tags: Sequence[str], source: str, target: str) -> list[str]:
    # No shortcut for source == target: a valid sequence is the only valid encoding of its
    # own spans, so re-encoding already returns an equal copy (the tests check this).
    return tags_from_spans(spans(tags, source), len(tags), target)


def _is_invalid(
    prefix: str,
    label: str | None,
    prev: tuple[str, str | None],
    nxt: tuple[str, str | None],
    scheme: str,
) -> bool:
    if prefix not in PREFIXES[scheme]:
        return True
    continues = prev[1] == label and prev[0] in _OPEN  # an open span of this label reaches here
    if scheme == "iob1":
        return prefix == "B" and not continues
    if scheme == "iob2":
        return prefix == "I" and not continues
    end = _END[scheme]
    if prefix in ("I", end) and not continues:
        return True
    # Flag the last B/I of a span that is never closed, where the reviewer has to add the end.
    return prefix in _OPEN and not (nxt[1] == label and nxt[0] in ("I", end))


def invalid_positions(tags: Sequence[str], scheme: str) -> list[int]:
    _check_scheme(scheme)
    if scheme == "iob2":
        fast = _invalid_iob2(tags)
        if fast is not None:
            return fast
    parsed = [parse_tag(tag) for tag in tags]
    last = len(parsed) - 1
    return [
        i
        for i, (prefix, label) in enumerate(parsed)
        if prefix != "O"
        and _is_invalid(
            prefix,
            label,
            parsed[i - 1] if i > 0 else _OUTSIDE,
            parsed[i + 1] if i < last else _OUTSIDE,
            scheme,
        )
    ]


def _invalid_iob2(tags: Sequence[str]) -> list[int] | None:
    """invalid_positions for IOB2 without parsing each tag (imports call it per sentence).

    None when a tag is not plainly "O" or X-LABEL with a one-letter prefix: then the general
    code decides (and raises on malformed tags).
    """
    invalid = []
    open_label = None  # the label of the span the previous token is in, if it is B- or I-
    for i, tag in enumerate(tags):
        if tag == "O":
            open_label = None
            continue
        if tag[1:2] != "-" or len(tag) < 3:
            return None
        prefix, label = tag[0], tag[2:]
        if prefix == "B":
            open_label = label
        elif prefix == "I":
            if label != open_label:
                invalid.append(i)
            open_label = label
        elif prefix in _KNOWN_PREFIXES:
            invalid.append(i)  # E-, S-, L-, U- have no place in IOB2
            open_label = None
        else:
            return None
    return invalid


def is_valid(tags: Sequence[str], scheme: str) -> bool:
    return not invalid_positions(tags, scheme)


def repair(tags: Sequence[str], scheme: str) -> list[str]:
    """Re-encode the lenient reading of `tags`; valid input comes back unchanged."""
    return convert(tags, scheme, scheme)


def labels(tags: Iterable[str]) -> set[str]:
    return {label for _, label in map(parse_tag, tags) if label is not None}
