"""Token features for the CRF tagger: word shape, affixes, neighbours, gazetteer hits. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from annotator.nlp.gazetteer import Gazetteer

_SHAPE = [(re.compile(r"[A-Z]"), "X"), (re.compile(r"[a-z]"), "x"), (re.compile(r"[0-9]"), "d")]


def shape(word: str) -> str:
    """Xxxx-like shape with repeats squeezed: "PyTorch" -> "XxXx", "GPT-4" -> "X-d"."""
    for pattern, char in _SHAPE:
        word = pattern.sub(char, word)
    return re.sub(r"(.)\1+", r"\1", word)


def _word(word: str, prefix: str) -> dict[str, object]:
    lower = word.lower()
    return {
        f"{prefix}lower": lower,
        f"{prefix}shape": shape(word),
        f"{prefix}title": word.istitle(),
        f"{prefix}upper": word.isupper(),
    }


def sentence_features(tokens: Sequence[str], gazetteer: Gazetteer | None = None) -> list[dict]:
    hits = [""] * len(tokens)
    if gazetteer is not None:
        for span in gazetteer.match(tokens):
            hits[span.start] = f"B-{span.label}"
            for i in range(span.start + 1, span.end):
                hits[i] = f"I-{span.label}"
    features = []
    for i, word in enumerate(tokens):
        f: dict[str, object] = {"bias": 1.0, **_word(word, "")}
        lower = word.lower()
        for n in (1, 2, 3):
            f[f"prefix{n}"] = lower[:n]
            f[f"suffix{n}"] = lower[-n:]
        f["digit"] = any(c.isdigit() for c in word)
        f["length"] = min(len(word), 12)
        if hits[i]:
            f["gazetteer"] = hits[i]
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < len(tokens):
                f.update(_word(tokens[j], f"{offset}:"))
            else:
                f[f"{offset}:edge"] = True
        features.append(f)
    return features
