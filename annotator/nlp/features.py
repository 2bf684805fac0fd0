"""Token features for the CRF tagger: the word, its shape and affixes, its neighbours. Pure.

These are the "token" features: computed from the text alone. The default feature set adds how
common each word is in English at large (the "frequency" features, from
`annotator.nlp.frequency`) and the features learnt from labels (gazetteer hits, a word's usual
label), which come from `annotator.nlp.memory`, leak-free.

Speed: everything but the neighbours' edges depends on one word only, so each word's features,
and its copies as each neighbour ("-2:lower", ...), are built once and cached; a token's dict is
then a merge of cached dicts. The keys come in one fixed order (crfsuite numbers attributes in
the order it first meets them, so the same order trains the same model bit for bit).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from annotator.nlp.frequency import zipf_bin
from annotator.nlp.memory import LabelMemory

_SHAPE = [(re.compile(r"[A-Z]"), "X"), (re.compile(r"[a-z]"), "x"), (re.compile(r"[0-9]"), "d")]
_REPEATS = re.compile(r"(.)\1+")
RARE = 3  # Zipf below which a word is rare: under 1 in a million words ("keras", "zlatan")
# Distinct words kept (least recently used go): 260k tokens of wikiser-small have 27k. A word
# costs about 3 kB with its frequency entry, so at most about 100 MB per process.
WORD_CACHE = 1 << 15
NEIGHBOURS = (-2, -1, 1, 2)
_EDGE = tuple({f"{offset}:edge": True} for offset in NEIGHBOURS)
_NO_NEIGHBOUR: dict[str, object] = {}  # a sentence's first or last token has no zipf neighbour


def shape(word: str) -> str:
    """Xxxx-like shape with repeats squeezed: "PyTorch" -> "XxXx", "GPT-4" -> "X-d"."""
    for pattern, char in _SHAPE:
        word = pattern.sub(char, word)
    return _REPEATS.sub(r"\1", word)


@lru_cache(maxsize=WORD_CACHE)
def _word(word: str) -> tuple[dict, tuple[dict, ...]]:
    """The word's own token features, and its word features as seen from each neighbour
    (NEIGHBOURS order). Shared: callers copy, never change them."""
    lower = word.lower()
    # Booleans only when true: a feature of value 0 adds nothing to a score, yet crfsuite keeps
    # it as an attribute of the token and every training iteration pays for it.
    described: dict[str, object] = {"lower": lower, "shape": shape(word)}
    if word.istitle():
        described["title"] = True
    if word.isupper():
        described["upper"] = True
    own: dict[str, object] = {"bias": 1.0, **described}
    for n in (1, 2, 3):
        own[f"prefix{n}"] = lower[:n]
        own[f"suffix{n}"] = lower[-n:]
    if any(c.isdigit() for c in word):
        own["digit"] = True
    own["length"] = min(len(word), 12)
    seen = tuple({f"{o}:{key}": value for key, value in described.items()} for o in NEIGHBOURS)
    return own, seen


@lru_cache(maxsize=WORD_CACHE)
def _frequency(word: str) -> tuple[dict, dict, dict]:
    """The word's frequency bin (Zipf, 0 = unknown to wordfreq) and rare mark, and its bin as
    seen from the next and from the previous token."""
    found = zipf_bin(word)
    # Strings: crfsuite takes a number as the weight of one feature, a string as a feature each.
    name = str(found)
    own: dict[str, object] = {"zipf": name}
    if found < RARE and any(c.isalpha() for c in word):
        own["rare"] = True
    return own, {"-1:zipf": name}, {"1:zipf": name}


def _shifted(items: list, by: int, edge: object) -> list:
    """items[i + by] at each i, `edge` where that falls outside the sentence."""
    if by < 0:
        return ([edge] * -by + items)[: len(items)]
    return (items + [edge] * by)[by:]


def _columns(tokens: Sequence[str]) -> list[list[dict]]:
    """Per token, the dicts its token features merge: its own, then the "-2:" copy of the word
    two before it (or the edge mark), the "-1:" copy of the word before it, and so on."""
    words = [_word(word) for word in tokens]
    columns = [[own for own, _ in words]]
    for k, offset in enumerate(NEIGHBOURS):
        columns.append(_shifted([seen[k] for _, seen in words], offset, _EDGE[k]))
    return columns


def token_features(tokens: Sequence[str]) -> list[dict]:
    """Per token: itself and its two neighbours on each side, from the text only."""
    return [{**a, **b, **c, **d, **e} for a, b, c, d, e in zip(*_columns(tokens), strict=True)]


def _token_and_frequency_features(tokens: Sequence[str]) -> list[dict]:
    """Token features, then the word's frequency bin and rare mark, the previous word's bin
    and the next word's: the keys in the order crfsuite has always been given them."""
    frequencies = [_frequency(word) for word in tokens]
    columns = _columns(tokens)
    columns.append([found[0] for found in frequencies])
    columns.append(_shifted([found[1] for found in frequencies], -1, _NO_NEIGHBOUR))
    columns.append(_shifted([found[2] for found in frequencies], 1, _NO_NEIGHBOUR))
    return [
        {**a, **b, **c, **d, **e, **z, **p, **n}
        for a, b, c, d, e, z, p, n in zip(*columns, strict=True)
    ]


def sentence_features(
    tokens: Sequence[str], memory: LabelMemory | None = None, *, frequency: bool = True
) -> list[dict]:
    """Token features, plus the words' frequencies (unless `frequency` is false) and what
    `memory` (labels of other sentences) says about the tokens."""
    features = _token_and_frequency_features(tokens) if frequency else token_features(tokens)
    if memory is not None:
        memory.add_features(tokens, features)
    return features
