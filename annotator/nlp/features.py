"""Token features for the CRF tagger: the word, its shape and affixes, its neighbours. Pure.

These are the "token" features: computed from the text alone. The default feature set adds how
common each word is in English at large (`frequency_features`, from `annotator.nlp.frequency`)
and the features learnt from labels (gazetteer hits, a word's usual label), which come from
`annotator.nlp.memory`, leak-free.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from annotator.nlp.frequency import zipf_bin
from annotator.nlp.memory import LabelMemory

_SHAPE = [(re.compile(r"[A-Z]"), "X"), (re.compile(r"[a-z]"), "x"), (re.compile(r"[0-9]"), "d")]
_REPEATS = re.compile(r"(.)\1+")
RARE = 3  # Zipf below which a word is rare: under 1 in a million words ("keras", "zlatan")


def shape(word: str) -> str:
    """Xxxx-like shape with repeats squeezed: "PyTorch" -> "XxXx", "GPT-4" -> "X-d"."""
    for pattern, char in _SHAPE:
        word = pattern.sub(char, word)
    return _REPEATS.sub(r"\1", word)


def _word(word: str, prefix: str) -> dict[str, object]:
    # Booleans only when true: a feature of value 0 adds nothing to a score, yet crfsuite keeps
    # it as an attribute of the token and every training iteration pays for it.
    found: dict[str, object] = {f"{prefix}lower": word.lower(), f"{prefix}shape": shape(word)}
    if word.istitle():
        found[f"{prefix}title"] = True
    if word.isupper():
        found[f"{prefix}upper"] = True
    return found


def token_features(tokens: Sequence[str]) -> list[dict]:
    """Per token: itself and its two neighbours on each side, from the text only."""
    words = [_word(word, "") for word in tokens]
    features = []
    for i, word in enumerate(tokens):
        f: dict[str, object] = {"bias": 1.0, **words[i]}
        lower = f["lower"]
        for n in (1, 2, 3):
            f[f"prefix{n}"] = lower[:n]
            f[f"suffix{n}"] = lower[-n:]
        if any(c.isdigit() for c in word):
            f["digit"] = True
        f["length"] = min(len(word), 12)
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < len(tokens):
                f.update({f"{offset}:{key}": value for key, value in words[j].items()})
            else:
                f[f"{offset}:edge"] = True
        features.append(f)
    return features


def frequency_features(tokens: Sequence[str], features: list[dict]) -> None:
    """Add each word's frequency bin (Zipf, 0 = unknown to wordfreq) and its neighbours', and
    a mark on a rare word that has a letter (below Zipf RARE): not from labels, so no leak."""
    bins = [zipf_bin(word) for word in tokens]
    # Strings: crfsuite takes a number as the weight of one feature, a string as a feature each.
    names = [str(found) for found in bins]
    last = len(tokens) - 1
    for i, (f, word) in enumerate(zip(features, tokens, strict=True)):
        f["zipf"] = names[i]
        if bins[i] < RARE and any(c.isalpha() for c in word):
            f["rare"] = True
        if i > 0:
            f["-1:zipf"] = names[i - 1]
        if i < last:
            f["1:zipf"] = names[i + 1]


def sentence_features(
    tokens: Sequence[str], memory: LabelMemory | None = None, *, frequency: bool = True
) -> list[dict]:
    """Token features, plus the words' frequencies (unless `frequency` is false) and what
    `memory` (labels of other sentences) says about the tokens."""
    features = token_features(tokens)
    if frequency:
        frequency_features(tokens, features)
    if memory is not None:
        memory.add_features(tokens, features)
    return features
