"""The CRF's feature dicts: the fast, cached extraction gives exactly what a plain one gives.

The plain reference below is the extraction as it was written before it was made fast. A model
scores a token by its feature keys and values, so any difference (a key, a value, its type)
would make models tag differently from how they were trained. The order of the keys is checked
too: crfsuite numbers attributes in the order it meets them, and the same order trains the same
model bit for bit. The label-memory features (gazetteer, usual label) are compared as well,
against a plain longest-first gazetteer scan.
"""

from __future__ import annotations

import re
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.nlp import conll, features
from annotator.nlp.frequency import zipf_bin
from annotator.nlp.memory import LabelMemory
from annotator.nlp.scheme import spans
from tests.paths import shared_sample

SHAPES = [(re.compile(r"[A-Z]"), "X"), (re.compile(r"[a-z]"), "x"), (re.compile(r"[0-9]"), "d")]


def plain_shape(word):
    for pattern, char in SHAPES:
        word = pattern.sub(char, word)
    return re.sub(r"(.)\1+", r"\1", word)


def plain_word(word, prefix):
    found = {f"{prefix}lower": word.lower(), f"{prefix}shape": plain_shape(word)}
    if word.istitle():
        found[f"{prefix}title"] = True
    if word.isupper():
        found[f"{prefix}upper"] = True
    return found


def plain_features(tokens, memory=None, frequency=True):
    words = [plain_word(word, "") for word in tokens]
    result = []
    for i, word in enumerate(tokens):
        f = {"bias": 1.0, **words[i]}
        for n in (1, 2, 3):
            f[f"prefix{n}"] = f["lower"][:n]
            f[f"suffix{n}"] = f["lower"][-n:]
        if any(c.isdigit() for c in word):
            f["digit"] = True
        f["length"] = min(len(word), 12)
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < len(tokens):
                f.update({f"{offset}:{key}": value for key, value in words[j].items()})
            else:
                f[f"{offset}:edge"] = True
        result.append(f)
    if frequency:
        for i, (f, word) in enumerate(zip(result, tokens, strict=True)):
            f["zipf"] = str(zipf_bin(word))
            if zipf_bin(word) < features.RARE and any(c.isalpha() for c in word):
                f["rare"] = True
            if i > 0:
                f["-1:zipf"] = str(zipf_bin(tokens[i - 1]))
            if i < len(tokens) - 1:
                f["1:zipf"] = str(zipf_bin(tokens[i + 1]))
    if memory is not None:
        plain_memory_features(tokens, memory, result)
    return result


@cache
def plain_phrases(memory):
    return {tuple(p): label for p, label in memory.to_json()["phrases"]}


def plain_memory_features(tokens, memory, result):
    phrases = plain_phrases(memory)
    words = [t.casefold() for t in tokens]
    longest, i = max(map(len, phrases), default=0), 0
    while i < len(words):
        # The longest phrase that starts here.
        for length in range(min(longest, len(words) - i), 0, -1):
            label = phrases.get(tuple(words[i : i + length]))
            if label:
                result[i]["gazetteer"] = f"B-{label}"
                for j in range(i + 1, i + length):
                    result[j]["gazetteer"] = f"I-{label}"
                i += length
                break
        else:
            i += 1
    for f, word in zip(result, tokens, strict=True):
        if memory.usual.get(word.lower()):
            f["usual"] = memory.usual[word.lower()]


def exactly(rows):
    """Keys in order, with each value's type: True and 1.0 and 1 are equal in Python, not to
    crfsuite (a string is a feature of its own, a number a weight)."""
    return [[(key, type(value), value) for key, value in row.items()] for row in rows]


WORD = st.one_of(
    st.sampled_from(["the", "The", "THE", "Python", "keras", "#London", "@nasa", "2024", "-"]),
    st.text(st.sampled_from("aAbZzé9-.#@ßİ'Σς"), min_size=1, max_size=14),
    st.text(min_size=1, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(tokens=st.lists(WORD, max_size=7), frequency=st.booleans())
def test_fast_features_equal_the_plain_ones_on_any_tokens(tokens, frequency):
    assert exactly(features.sentence_features(tokens, frequency=frequency)) == exactly(
        plain_features(tokens, frequency=frequency)
    )
    assert exactly(features.token_features(tokens)) == exactly(plain_features(tokens, None, False))


def _sentences(relative):
    with shared_sample(relative).open("rb") as stream:
        return [
            (block.tokens, block.tags)
            for block in conll.read(stream, relative)
            if isinstance(block, conll.Sentence) and block.tokens
        ]


@settings(max_examples=100, deadline=None)
@given(tokens=st.lists(st.sampled_from(["New", "York", "new", "york", "City", "in", "Ada"])))
def test_gazetteer_and_usual_label_features_equal_the_plain_ones(tokens):
    train = [
        (["New", "York", "City"], ["B-LOC", "I-LOC", "I-LOC"]),
        (["New", "York", "in", "York"], ["B-ORG", "I-ORG", "O", "B-LOC"]),
        (["Ada", "in", "New", "York"], ["B-PER", "O", "B-LOC", "I-LOC"]),
        (["new", "City"], ["O", "B-LOC"]),
    ]
    memory = LabelMemory().learn(train)
    assert exactly(features.sentence_features(tokens, memory)) == exactly(
        plain_features(tokens, memory)
    )


def test_fast_features_equal_the_plain_ones_on_real_corpora():
    for train, test in [
        ("crossner-ai/train.conll", "crossner-ai/test.conll"),
        ("wnut17/dev.conll", "wnut17/test.conll"),
    ]:
        labelled = _sentences(train)
        assert any(spans(tags, "iob2") for _, tags in labelled)
        memory = LabelMemory().learn(labelled)
        for tokens, _ in _sentences(test):
            assert exactly(features.sentence_features(tokens, memory)) == exactly(
                plain_features(tokens, memory)
            ), tokens
