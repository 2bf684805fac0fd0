"""The label palette: distinguishable for two dozen labels, readable, and what app.css draws."""

from __future__ import annotations

import math
import re
from itertools import combinations
from pathlib import Path

import pytest

from annotator.nlp.palette import PALETTE, UNKNOWN, assign_colours

CSS = Path(__file__).resolve().parents[2] / "static" / "annotator" / "app.css"
TEXT = "#1d2430"  # the page's text colour (--fg)


def rgb(hex_colour: str) -> tuple[int, ...]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    r, g, b = (linear(c) for c in rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def lab(hex_colour: str) -> tuple[float, float, float]:
    r, g, b = (linear(c) for c in rgb(hex_colour))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def ciede2000(one: str, two: str) -> float:
    return ciede2000_lab(lab(one), lab(two))


def ciede2000_lab(one: tuple[float, ...], two: tuple[float, ...]) -> float:
    """Colour difference as people see it (Sharma, Wu and Dalal's formulation)."""
    (l1, a1, b1), (l2, a2, b2) = one, two
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1, h2 = math.degrees(math.atan2(b1, a1)) % 360, math.degrees(math.atan2(b2, a2)) % 360
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    d_big_h = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    l_bar, c_bar = (l1 + l2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        h_bar = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_bar = (h1 + h2) / 2
    else:
        h_bar = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_bar - 30))
        + 0.24 * math.cos(math.radians(2 * h_bar))
        + 0.32 * math.cos(math.radians(3 * h_bar + 6))
        - 0.20 * math.cos(math.radians(4 * h_bar - 63))
    )
    rotation = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_bar**7 / (c_bar**7 + 25**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_bar, 1 + 0.015 * c_bar * t
    r_t = -math.sin(math.radians(2 * rotation)) * r_c
    dl, dc, dhh = (l2 - l1) / s_l, (c2 - c1) / s_c, d_big_h / s_h
    return math.sqrt(dl**2 + dc**2 + dhh**2 + r_t * dc * dhh)


@pytest.mark.parametrize(
    ("one", "two", "expected"),
    [  # pairs 1, 17 and 25 of Sharma, Wu and Dalal's test data (2005)
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ],
)
def test_ciede2000_matches_the_published_test_pairs(one, two, expected) -> None:
    assert ciede2000_lab(one, two) == pytest.approx(expected, abs=1e-4)


def test_twenty_four_labels_get_colours_people_tell_apart() -> None:
    assert len(PALETTE) >= 24
    closest = min(ciede2000(a, b) for a, b in combinations(PALETTE, 2))
    # A CIEDE2000 difference of about 2 is just noticeable; 15 is plainly another colour.
    assert closest >= 15


def test_every_colour_keeps_the_text_on_it_readable() -> None:
    for colour in PALETTE:
        contrast = (luminance(colour) + 0.05) / (luminance(TEXT) + 0.05)
        assert contrast >= 4.5, colour  # WCAG AA for normal text


def test_the_stylesheet_draws_the_palette() -> None:
    drawn = dict(re.findall(r"\.l(\d+) \{ background: (#[0-9a-f]{6}); \}", CSS.read_text()))
    assert [drawn[str(i)] for i in range(len(PALETTE))] == list(PALETTE)
    assert str(UNKNOWN) in drawn


def test_labels_get_distinct_colours_and_a_chosen_colour_is_kept() -> None:
    labels = [f"L{i}" for i in range(24)]
    assert sorted(assign_colours(labels, {}).values()) == list(range(24))
    colours = assign_colours(["A", "B", "C"], {"B": 0})
    assert colours == {"B": 0, "A": 1, "C": 2}
    assert assign_colours(["A"], {"A": 99, "gone": 3}) == {"A": 0}


def test_every_colour_has_its_own_name_for_the_picker() -> None:
    from annotator.nlp.palette import NAMES

    assert len(NAMES) == len(PALETTE) == len(set(NAMES))
