"""Durations read in the unit that fits: seconds under a minute, never "0 minutes"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from annotator.templatetags.durations import describe_seconds, took


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "under 1 s"),
        (0.4, "under 1 s"),
        (1, "1 s"),
        (12.7, "12 s"),
        (59.9, "59 s"),
        (60, "1 min"),
        (95, "1 min 35 s"),
        (3599, "59 min 59 s"),
        (3600, "1 h"),
        (7260, "2 h 1 min"),
    ],
)
def test_a_duration_reads_in_the_unit_that_fits(seconds, words):
    assert describe_seconds(seconds) == words


def test_a_job_of_twelve_seconds_took_twelve_seconds_not_zero_minutes():
    start = datetime(2026, 11, 27, 13, 5, 0)
    assert took(start, start + timedelta(seconds=12)) == "12 s"
    assert took(start, None) == ""
