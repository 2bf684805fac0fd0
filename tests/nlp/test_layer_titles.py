"""Layer names for people (issue 11, problem 13): no timestamps to the second, no job ids."""

from __future__ import annotations

import pytest

from annotator.nlp.layer_titles import layer_title

KINDS = {"crf1 v1": "CRF", "news v3": "spaCy"}


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("suggestions: crf1 v1 at 2026-11-27 13:05:11 (job 5)", "CRF crf1 v1, 27 Nov 13:05"),
        ("suggestions: news v3 at 2026-01-02 08:00:59 (job 12)", "spaCy news v3, 2 Jan 08:00"),
        ("suggestions: gazetteer at 2026-11-27 09:41:00 (job 7)", "Gazetteer, 27 Nov 09:41"),
        ("suggestions: gone v2 at 2026-11-27 09:41:00 (job 8)", "Model gone v2, 27 Nov 09:41"),
        ("annotator alice", "alice"),
        ("gold", "Gold"),
        ("imported", "Imported tags"),
        ("suggestions: odd name", "suggestions: odd name"),
        ("my own layer", "my own layer"),
    ],
)
def test_a_layer_reads_as_people_name_it(name, title):
    assert layer_title(name, KINDS) == title
