"""CRF training reports each iteration as progress (and prints nothing)."""

from __future__ import annotations

from annotator.nlp import crf

SENTENCES = [
    (["Ada", "Lovelace", "wrote", "notes"], ["B-PER", "I-PER", "O", "O"]),
    (["Paris", "is", "big"], ["B-LOC", "O", "O"]),
] * 5


def test_training_reports_every_iteration_up_to_the_total(tmp_path, capsys):
    calls: list[tuple[int, int]] = []
    crf.train(
        SENTENCES, tmp_path / "m.crfsuite", iterations=6, progress=lambda i, n: calls.append((i, n))
    )
    assert calls, "training reported no iteration"
    assert [i for i, _ in calls] == list(range(1, len(calls) + 1))
    assert {n for _, n in calls} == {6}
    assert capsys.readouterr().out == ""
