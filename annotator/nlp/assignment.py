"""Who gets which piece of work: the auto-assignment plan, as pure Python (no Django).

Each unit (a document, or a range of its sentences) goes to k distinct annotators (every
annotator for a calibration unit), always to those with the least open work, never twice to the
same person, and never beyond a person's cap of open tasks.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Unit:
    document: int
    first: int  # first sentence position
    end: int  # position after the last sentence
    calibration: bool = False


@dataclass
class Plan:
    assignments: list[tuple[Unit, int]]  # (unit, annotator id)
    short: list[tuple[Unit, int]]  # units that got fewer annotators than wanted, and how many fewer


def split(document: int, sentences: int, size: int | None, calibration: bool = False) -> list[Unit]:
    """A document as units of `size` sentences (one unit when size is None or 0)."""
    if not size or sentences <= size:
        return [Unit(document, 0, sentences, calibration)]
    return [
        Unit(document, first, min(first + size, sentences), calibration)
        for first in range(0, sentences, size)
    ]


def plan(
    units: Iterable[Unit],
    annotators: Sequence[int],
    k: int,
    *,
    open_work: dict[int, int] | None = None,
    taken: set[tuple[int, int, int]] | None = None,
    cap: int | None = None,
) -> Plan:
    """Assign units; `open_work` counts each annotator's open tasks, `taken` holds the
    (document, first sentence, annotator) triples that exist already, which also count
    towards a unit's k (so running the plan again adds nothing to staffed units)."""
    load = {a: (open_work or {}).get(a, 0) for a in annotators}
    taken = set(taken or ())
    # (open work, tie-breaker, annotator); the tie-breaker keeps the order stable and fair.
    heap = [(load[a], i, a) for i, a in enumerate(annotators)]
    heapq.heapify(heap)
    staffed: dict[tuple[int, int], int] = {}
    for document, first, _ in taken:
        staffed[document, first] = staffed.get((document, first), 0) + 1
    result = Plan([], [])
    for unit in units:
        wanted = len(annotators) if unit.calibration else min(k, len(annotators))
        wanted -= staffed.get((unit.document, unit.first), 0)
        if wanted <= 0:
            continue
        chosen, skipped = [], []
        while heap and len(chosen) < wanted:
            entry = heapq.heappop(heap)
            _, order, annotator = entry
            full = cap is not None and load[annotator] >= cap
            if full or (unit.document, unit.first, annotator) in taken:
                skipped.append(entry)
            else:
                chosen.append((order, annotator))
        staffed[unit.document, unit.first] = staffed.get((unit.document, unit.first), 0) + len(
            chosen
        )
        for order, annotator in chosen:
            load[annotator] += 1
            taken.add((unit.document, unit.first, annotator))
            result.assignments.append((unit, annotator))
            heapq.heappush(heap, (load[annotator], order, annotator))
        for entry in skipped:
            heapq.heappush(heap, entry)
        if len(chosen) < wanted:
            result.short.append((unit, wanted - len(chosen)))
    return result
