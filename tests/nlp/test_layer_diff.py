"""Where two readings of a sentence differ, as the compare page offers them. No database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from annotator.nlp.layer_diff import Region, diff_regions


@pytest.mark.parametrize(
    ("left", "right", "regions"),
    [
        (["O", "O"], ["O", "O"], []),
        # one token tagged on one side only
        (["B-PER", "O", "O"], ["O", "O", "O"], [Region(0, 1)]),
        # a changed label inside a span: the whole span on both sides, to take it as one
        (["B-ORG", "I-ORG", "O"], ["B-ORG", "I-LOC", "O"], [Region(0, 2)]),
        # a boundary moved: the union of both spans
        (["B-LOC", "I-LOC", "O", "O"], ["O", "B-LOC", "I-LOC", "O"], [Region(0, 3)]),
        # two differences apart stay two regions
        (["B-PER", "O", "O", "B-LOC"], ["O", "O", "O", "O"], [Region(0, 1), Region(3, 4)]),
        # differences whose spans touch merge into one
        (["B-PER", "I-PER", "B-LOC"], ["B-PER", "O", "O"], [Region(0, 3)]),
    ],
)
def test_regions_cover_whole_spans_on_both_sides(left, right, regions) -> None:
    assert diff_regions(left, right, "iob2") == regions


def test_readings_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        diff_regions(["O", "O"], ["O"], "iob2")


def test_the_layer_diff_imports_without_django() -> None:
    code = "import sys, annotator.nlp.layer_diff; assert 'django' not in sys.modules"
    subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], check=True
    )
