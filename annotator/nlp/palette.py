"""Label colours: a palette that stays distinguishable for two dozen labels (pure Python).

The colours were picked greedily, each as far as possible (CIEDE2000) from those before it,
among the colours on which the page's dark text keeps a contrast of at least 5.5:1; so the
first labels get the most distinct colours, and any 24 differ by a CIEDE2000 of 15 or more
(tests/nlp/test_palette.py checks both). static/annotator/app.css has one class per colour,
`.l0` to `.l23`, and `.l24` (grey) for a label the project does not have.
"""

from __future__ import annotations

from collections.abc import Sequence

PALETTE: tuple[str, ...] = (
    "#ffbb66",
    "#ff44ff",
    "#00bb00",
    "#6699ff",
    "#ff7777",
    "#33aaaa",
    "#77ffcc",
    "#ddee00",
    "#aa99bb",
    "#aaaa77",
    "#88ddff",
    "#ff7722",
    "#bb9988",
    "#ffbbcc",
    "#ddeebb",
    "#88ff66",
    "#bbccff",
    "#11bb88",
    "#99aaaa",
    "#bb9900",
    "#aa88ff",
    "#ee77aa",
    "#00ffff",
    "#ffaaff",
)
# What the colour picker calls them, in PALETTE's order.
NAMES: tuple[str, ...] = (
    "apricot",
    "magenta",
    "green",
    "blue",
    "salmon",
    "teal",
    "mint",
    "lime",
    "heather",
    "olive",
    "sky",
    "orange",
    "taupe",
    "pink",
    "pale green",
    "light green",
    "periwinkle",
    "jade",
    "slate",
    "mustard",
    "violet",
    "rose",
    "cyan",
    "orchid",
)
UNKNOWN = len(PALETTE)  # the grey class of a label the project lacks


def assign_colours(labels: Sequence[str], chosen: dict[str, int]) -> dict[str, int]:
    """Each label's colour: its chosen one where set, else the first colour no label has yet
    (in label order); past 24 labels, colours repeat."""
    colours = {label: chosen[label] for label in labels if chosen.get(label) in range(UNKNOWN)}
    free = [c for c in range(UNKNOWN) if c not in set(colours.values())]
    for i, label in enumerate(labels):
        if label not in colours:
            colours[label] = free.pop(0) if free else i % UNKNOWN
    return colours
