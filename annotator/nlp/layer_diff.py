"""Where two readings of one sentence differ: runs of differing tokens, grown to whole spans on
both sides so that either side can be taken as a unit. Pure Python, no Django."""

from __future__ import annotations

from dataclasses import dataclass

from annotator.nlp import scheme


@dataclass
class Region:
    start: int
    end: int


def diff_regions(left: list[str], right: list[str], doc_scheme: str) -> list[Region]:
    """Runs of differing tokens, grown to whole spans on both sides so either side can be taken."""
    spans = scheme.spans(left, doc_scheme) + scheme.spans(right, doc_scheme)
    regions: list[Region] = []
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        if a == b:
            continue
        start, end = i, i + 1
        for span in spans:
            if span.start < end and start < span.end:
                start, end = min(start, span.start), max(end, span.end)
        if regions and start <= regions[-1].end:
            regions[-1].end = max(regions[-1].end, end)
            regions[-1].start = min(regions[-1].start, start)
        else:
            regions.append(Region(start, end))
    return regions
