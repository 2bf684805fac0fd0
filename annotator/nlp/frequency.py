"""How common a word is in English at large, from wordfreq's word lists. Pure, no Django.

Knowledge from outside the corpus: wordfreq (Apache-2.0 code, CC BY-SA data, shipped inside the
pip package, nothing downloaded at run time) gives each word's frequency across Wikipedia,
subtitles, news, books, the web and Twitter. A CRF trained on a few hundred sentences has never
seen most entity words, but it can learn that a rare word (PyTorch, Kishan) is more likely an
entity than a common one (Empire is common, so its being capitalised says less).

The frequency is given as the word's Zipf value, log10 of its occurrences per billion words
(7.7 for "the", 3.8 for "python", 1.7 for "keras", 0 when the list lacks the word), cut to its
integer part: bins a CRF can weigh one by one.
"""

from __future__ import annotations

import math
from functools import cache

LANGUAGE = "en"
WORDLIST = "large"  # 321,180 English words down to Zipf 1.0 (the "small" list stops at 3.0)


@cache
def _frequencies() -> dict[str, float]:
    """The word list, loaded once per process (about 0.9 s and 60 MB)."""
    import wordfreq

    return wordfreq.get_frequency_dict(LANGUAGE, wordlist=WORDLIST)


def zipf_bin(word: str) -> int:
    """The integer part of the lower-cased word's Zipf frequency, 0 if unknown (0..8).

    A hashtag or a mention ("#nyc", "@nasa") counts as the word after its sign."""
    lower = word.lower()
    frequencies = _frequencies()
    found = frequencies.get(lower)
    if found is None and len(lower) > 1 and lower[0] in "#@":
        found = frequencies.get(lower[1:])
    return max(0, int(math.log10(found * 1e9))) if found else 0
