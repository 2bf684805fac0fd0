"""The auto-assignment planner as pure Python: splitting documents and planning who gets what.

No database: `annotator.nlp.assignment` imports nothing of Django.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.nlp.assignment import Plan, Unit, plan, split

# --- split ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [None, 0])
def test_without_a_size_a_document_is_one_unit(size) -> None:
    assert split(7, 12, size) == [Unit(7, 0, 12)]


def test_a_document_no_longer_than_the_size_is_one_unit() -> None:
    assert split(1, 5, 5) == [Unit(1, 0, 5)]
    assert split(1, 3, 5, calibration=True) == [Unit(1, 0, 3, True)]


def test_a_longer_document_is_cut_into_ranges_of_size_sentences_and_a_shorter_last_one() -> None:
    assert split(3, 10, 4) == [Unit(3, 0, 4), Unit(3, 4, 8), Unit(3, 8, 10)]
    assert split(3, 8, 4, calibration=True) == [Unit(3, 0, 4, True), Unit(3, 4, 8, True)]


@given(
    sentences=st.integers(min_value=0, max_value=500),
    size=st.one_of(st.none(), st.integers(min_value=0, max_value=60)),
    calibration=st.booleans(),
)
def test_split_covers_every_sentence_once_in_order(sentences, size, calibration) -> None:
    units = split(9, sentences, size, calibration)
    assert units, "a document is always at least one unit"
    assert units[0].first == 0
    assert units[-1].end == sentences
    for before, after in zip(units, units[1:], strict=False):
        assert before.end == after.first
    for unit in units:
        assert unit.document == 9
        assert unit.calibration is calibration
        if size:
            assert 0 < unit.end - unit.first <= size or sentences == 0
    if size and sentences:
        assert len(units) == -(-sentences // size)
        assert all(u.end - u.first == size for u in units[:-1])


# --- plan: examples ------------------------------------------------------------------------------


def by_unit(result: Plan) -> dict[Unit, list[int]]:
    out: dict[Unit, list[int]] = {}
    for unit, annotator in result.assignments:
        out.setdefault(unit, []).append(annotator)
    return out


def test_each_document_goes_to_k_annotators_balanced() -> None:
    units = [Unit(d, 0, 10) for d in range(1, 7)]
    result = plan(units, [101, 102, 103], 2)
    got = by_unit(result)
    assert all(len(set(got[u])) == 2 for u in units)
    assert Counter(a for _, a in result.assignments) == {101: 4, 102: 4, 103: 4}
    assert result.short == []


def test_calibration_units_go_to_everyone_whatever_k() -> None:
    units = [Unit(1, 0, 5, calibration=True), Unit(2, 0, 5)]
    got = by_unit(plan(units, [1, 2, 3, 4], 1))
    assert sorted(got[units[0]]) == [1, 2, 3, 4]
    assert len(got[units[1]]) == 1


def test_k_larger_than_the_team_gives_everyone_and_is_not_short() -> None:
    result = plan([Unit(1, 0, 5)], [1, 2], 5)
    assert sorted(a for _, a in result.assignments) == [1, 2]
    assert result.short == []


def test_no_annotators_means_every_unit_is_short_by_nothing() -> None:
    # min(k, 0) = 0 wanted: nothing to do, nothing short.
    result = plan([Unit(1, 0, 5)], [], 2)
    assert result.assignments == []
    assert result.short == []


def test_the_least_loaded_annotators_get_the_work_first() -> None:
    result = plan([Unit(1, 0, 5)], [1, 2, 3], 2, open_work={1: 5, 2: 0, 3: 1})
    assert sorted(a for _, a in result.assignments) == [2, 3]


def test_existing_tasks_are_respected_and_not_given_again() -> None:
    unit = Unit(1, 0, 5)
    result = plan([unit], [1, 2, 3], 2, taken={(1, 0, 1)})
    assert 1 not in [a for _, a in result.assignments]
    # Annotator 1 has it already and counts towards k: one more, from the others.
    assert len(result.assignments) == 1
    assert all(a in (2, 3) for _, a in result.assignments)
    result = plan([unit], [1, 2], 2, taken={(1, 0, 1), (1, 0, 2)})
    assert result.assignments == []
    assert result.short == []


def test_a_cap_is_never_exceeded_and_the_shortfall_is_reported() -> None:
    units = [Unit(d, 0, 5) for d in range(1, 5)]
    result = plan(units, [1, 2], 2, cap=2, open_work={1: 1})
    load = Counter(a for _, a in result.assignments)
    assert load[1] == 1 and load[2] == 2
    assert sum(n for _, n in result.short) == 8 - 3


def test_a_unit_in_the_list_twice_is_staffed_once() -> None:
    """Like running the plan again: the second mention adds nobody (k counts what exists)."""
    unit = Unit(1, 0, 5)
    result = plan([unit, unit], [1, 2, 3], 2)
    assert Counter(result.assignments).most_common(1)[0][1] == 1
    assert len(result.assignments) == 2, result.assignments
    assert result.short == []


# --- plan: properties ----------------------------------------------------------------------------


@st.composite
def problems(draw, with_cap: bool = True, with_taken: bool = True, equal_work: bool = False):
    annotators = draw(st.lists(st.integers(1, 10_000), min_size=0, max_size=8, unique=True))
    documents = draw(st.integers(min_value=0, max_value=12))
    units = []
    for document in range(1, documents + 1):
        sentences = draw(st.integers(1, 30))
        size = draw(st.one_of(st.none(), st.integers(1, 12)))
        units += split(document, sentences, size, draw(st.booleans()))
    k = draw(st.integers(1, 6))
    if equal_work:
        base = draw(st.integers(0, 5))
        open_work = dict.fromkeys(annotators, base)
    else:
        open_work = {a: draw(st.integers(0, 6)) for a in annotators}
    cap = draw(st.one_of(st.none(), st.integers(0, 8))) if with_cap else None
    taken: set[tuple[int, int, int]] = set()
    if with_taken and annotators and units:
        for _ in range(draw(st.integers(0, 10))):
            unit = draw(st.sampled_from(units))
            taken.add((unit.document, unit.first, draw(st.sampled_from(annotators))))
    return units, annotators, k, open_work, cap, taken


def wanted(unit: Unit, annotators, k: int) -> int:
    return len(annotators) if unit.calibration else min(k, len(annotators))


@settings(max_examples=300, deadline=None)
@given(problems(with_cap=False, with_taken=False))
def test_without_cap_or_taken_every_unit_gets_exactly_min_k_n_distinct_annotators(case) -> None:
    units, annotators, k, open_work, _, _ = case
    result = plan(units, annotators, k, open_work=open_work)
    got = by_unit(result)
    for unit in units:
        chosen = got.get(unit, [])
        assert len(chosen) == len(set(chosen)), f"{unit} got someone twice: {chosen}"
        assert len(chosen) == wanted(unit, annotators, k)
        assert set(chosen) <= set(annotators)
        if unit.calibration:
            assert sorted(chosen) == sorted(annotators)
    assert result.short == []


@settings(max_examples=300, deadline=None)
@given(problems(with_cap=False, with_taken=False, equal_work=True))
def test_loads_differ_by_at_most_one_from_equal_open_work(case) -> None:
    units, annotators, k, open_work, _, _ = case
    result = plan(units, annotators, k, open_work=open_work)
    load = Counter({a: 0 for a in annotators})
    load.update(a for _, a in result.assignments)
    if annotators:
        assert max(load.values()) - min(load.values()) <= 1, dict(load)


@settings(max_examples=300, deadline=None)
@given(problems(with_cap=False, with_taken=False))
def test_each_unit_goes_to_those_with_the_least_open_work_at_that_moment(case) -> None:
    units, annotators, k, open_work, _, _ = case
    result = plan(units, annotators, k, open_work=open_work)
    got = by_unit(result)
    load = {a: open_work.get(a, 0) for a in annotators}
    for unit in units:
        chosen = set(got.get(unit, []))
        others = set(annotators) - chosen
        if chosen and others:
            assert max(load[a] for a in chosen) <= min(load[a] for a in others), (unit, load)
        for a in chosen:
            load[a] += 1


def already(unit: Unit, taken) -> set[int]:
    return {a for d, f, a in taken if (d, f) == (unit.document, unit.first)}


@settings(max_examples=300, deadline=None)
@given(problems(with_cap=False))
def test_without_a_cap_every_unit_ends_with_k_annotators_counting_existing_ones(case) -> None:
    units, annotators, k, open_work, _, taken = case
    result = plan(units, annotators, k, open_work=open_work, taken=taken)
    got = by_unit(result)
    for unit in units:
        before = already(unit, taken)
        new = got.get(unit, [])
        assert not before & set(new)
        assert len(before | set(new)) == max(wanted(unit, annotators, k), len(before))
    assert result.short == []


@settings(max_examples=500, deadline=None)
@given(problems())
def test_taken_and_cap_are_respected_and_every_shortfall_is_reported(case) -> None:
    units, annotators, k, open_work, cap, taken = case
    result = plan(units, annotators, k, open_work=open_work, taken=taken, cap=cap)
    got = by_unit(result)
    new = Counter(a for _, a in result.assignments)

    # Nobody twice on the same unit (also across a unit's split siblings' own keys).
    keys = [(u.document, u.first, a) for u, a in result.assignments]
    assert len(keys) == len(set(keys))
    # Existing (document, first sentence, annotator) triples are never planned again.
    assert not set(keys) & taken
    # Only the given annotators.
    assert set(new) <= set(annotators)
    # The cap: nobody gets work beyond it (someone over it already gets nothing).
    if cap is not None:
        for a in annotators:
            before = open_work.get(a, 0)
            assert new[a] == 0 if before >= cap else before + new[a] <= cap, (a, before, new[a])

    # Existing tasks count towards k; plan.short names exactly the units that got fewer than
    # still wanted, with the right number.
    short = {}
    for unit, missing in result.short:
        assert unit not in short, f"{unit} reported short twice"
        short[unit] = missing
    for unit in set(units):
        needed = max(0, wanted(unit, annotators, k) - len(already(unit, taken)))
        expected = needed - len(got.get(unit, []))
        assert expected >= 0, f"{unit} got more annotators than wanted"
        assert short.get(unit, 0) == expected, (unit, short.get(unit), expected)

    # A shortfall is real: every annotator left out of a short unit already had it, or was full.
    final = {a: open_work.get(a, 0) + new[a] for a in annotators}
    for unit in short:
        for a in set(annotators) - set(got.get(unit, [])):
            had_it = (unit.document, unit.first, a) in taken
            full = cap is not None and final[a] >= cap
            assert had_it or full, f"{a} could have taken {unit}"
