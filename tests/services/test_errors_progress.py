"""The likely-errors job's progress: the folds' iterations add up, whichever worker runs them."""

from __future__ import annotations

from annotator.services.likely_errors import _FoldProgress


def test_the_bar_shows_the_iterations_of_every_fold_so_far(isolated_cache):
    shown = []
    record = lambda done, total, message: shown.append((done, total, message))  # noqa: E731
    first = _FoldProgress(1, record, fold=0, folds=3, iterations=10)
    second = _FoldProgress(1, record, fold=1, folds=3, iterations=10)
    first(4, 10)
    second(3, 10)
    first(10, 10)  # the last iteration always reports
    assert [(done, total) for done, total, _ in shown] == [(4, 30), (7, 30), (13, 30)]
    assert shown[-1][2].startswith("Training folds: 1 of 3 done")


def test_folds_of_another_job_do_not_count(isolated_cache):
    shown = []
    _FoldProgress(2, lambda *a: None, fold=0, folds=2, iterations=5)(5, 5)
    _FoldProgress(3, lambda *a: shown.append(a), fold=0, folds=2, iterations=5)(1, 5)
    assert shown[-1][0] == 1
