"""Span voting for adjudication: what the annotators of one sentence agree on, what is left.

Pure Python, never Django. `vote` takes one sentence's tags per annotator who annotated it
(n of them) and settles what a vote can settle:

- A span (start, end, label) is accepted when k annotators have exactly that span: k = n // 2
  + 1 (more than half) under rule "majority", k = n under rule "all". Accepted spans never
  overlap: two overlapping spans with k votes each would need an annotator who has both.
- A token is decided when an accepted span covers it or at least k annotators have O there.
- Annotator spans (accepted or not) that share a token are grouped, transitively, into
  connected components. A component whose non-accepted spans cover only decided tokens is
  settled: those spans are rejected automatically (`rejected`, with who proposed them). Every
  other component is a `Dispute` over [its first start, its last end), with one `Reading` per
  distinct set of spans the annotators have inside that region ("nothing" included).

So a region never cuts through any annotator's span, and every annotator span is accepted,
rejected, or inside exactly one dispute: taking any reading over the whole region keeps
every span it shows. Ties (2 vs 2 of 4, 1/1/1 of 3) are disputes; with n = 2 under
"majority" (k = 2) any difference is one; with n = 1 everything is accepted.

`Vote.tags` writes the accepted spans in the scheme and O everywhere else, disputed tokens
that no accepted span covers included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from annotator.nlp.agreement import token_label
from annotator.nlp.scheme import Span, spans, tags_from_spans

RULES = ("majority", "all")


@dataclass(frozen=True)
class Reading:
    """One way the annotators read a disputed region."""

    spans: tuple[Span, ...]  # empty = "nothing here"
    voters: tuple[str, ...]  # who read it this way, in the given order


@dataclass(frozen=True)
class Dispute:
    start: int  # token region [start, end)
    end: int
    readings: tuple[Reading, ...]  # most voters first, then by first voter's order


@dataclass(frozen=True)
class Vote:
    tags: list[str]
    accepted: tuple[Span, ...]
    rejected: tuple[tuple[Span, tuple[str, ...]], ...]
    disputes: tuple[Dispute, ...]


def _length(readings: Sequence[Sequence[str]]) -> int:
    lengths = {len(tags) for tags in readings}
    if len(lengths) > 1:
        raise ValueError(f"the readings have different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def votes_needed(n: int, rule: str) -> int:
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r} (expected one of {', '.join(RULES)})")
    return n // 2 + 1 if rule == "majority" else n


def _components(found: Sequence[Span]) -> list[list[Span]]:
    """Spans grouped by shared tokens, transitively: sorted by start, a span joins the group
    before it when it starts before that group's last end."""
    groups: list[list[Span]] = []
    reach = 0
    for span in sorted(found):
        if groups and span.start < reach:
            groups[-1].append(span)
            reach = max(reach, span.end)
        else:
            groups.append([span])
            reach = span.end
    return groups


def _undecided(found: dict[str, list[Span]], accepted: list[Span], length: int, k: int):
    """Token positions neither covered by an accepted span nor O for at least k annotators."""
    outside = [len(found)] * length  # annotators with O at each token
    for spans_of_one in found.values():  # one annotator's spans never overlap
        for span in spans_of_one:
            for i in range(span.start, span.end):
                outside[i] -= 1
    covered = {i for span in accepted for i in range(span.start, span.end)}
    return {i for i in range(length) if i not in covered and outside[i] < k}


def _dispute(group: list[Span], found: dict[str, list[Span]]) -> Dispute:
    start, end = group[0].start, max(span.end for span in group)
    voters: dict[tuple[Span, ...], list[str]] = {}
    for name, spans_of_one in found.items():
        inside = tuple(sorted(s for s in spans_of_one if start <= s.start and s.end <= end))
        voters.setdefault(inside, []).append(name)
    readings = [Reading(inside, tuple(names)) for inside, names in voters.items()]
    readings.sort(key=lambda reading: -len(reading.voters))  # stable: first voter's order next
    return Dispute(start, end, tuple(readings))


def vote(readings: dict[str, Sequence[str]], *, scheme: str, rule: str = "majority") -> Vote:
    """Settle one sentence by vote; see the module docstring for the rules."""
    if not readings:
        raise ValueError("a vote needs at least one reading")
    k = votes_needed(len(readings), rule)
    length = _length(list(readings.values()))
    found = {name: spans(tags, scheme) for name, tags in readings.items()}
    proposers: dict[Span, list[str]] = {}
    for name, spans_of_one in found.items():
        for span in spans_of_one:
            proposers.setdefault(span, []).append(name)
    accepted = sorted(span for span, names in proposers.items() if len(names) >= k)
    undecided = _undecided(found, accepted, length, k)
    rejected, disputes = [], []
    for group in _components(proposers):
        settled = set(accepted)
        if any(i in undecided for s in group if s not in settled for i in range(s.start, s.end)):
            disputes.append(_dispute(group, found))
        else:
            rejected += [(s, tuple(proposers[s])) for s in group if s not in settled]
    return Vote(
        tags=tags_from_spans(accepted, length, scheme),
        accepted=tuple(accepted),
        rejected=tuple(rejected),
        disputes=tuple(disputes),
    )


def disagreement(readings: Sequence[Sequence[str]]) -> int:
    """Tokens of one sentence where the given tag lists do not all have the same token label
    (entity type or O); orders a review queue. Fewer than two lists never disagree."""
    _length(readings)
    first = readings[0] if readings else None
    if all(reading == first for reading in readings):
        return 0  # most sentences: checked at C speed, no label parsing
    return sum(
        len(set(column)) > 1 and len({token_label(tag) for tag in column}) > 1
        for column in zip(*readings, strict=True)
    )
