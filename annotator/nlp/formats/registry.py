"""The one table of corpus formats: the upload form, the API, the commands and the download
links all read it. Adding a format: a module beside this one with a `FORMAT`, and a line here.
"""

from __future__ import annotations

from pathlib import PurePath

from annotator.nlp.formats import conll, doccano, hf, label_studio, prodigy, spacy_docbin
from annotator.nlp.formats.base import Format

FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        conll.FORMAT,
        doccano.FORMAT,
        label_studio.FORMAT,
        prodigy.FORMAT,
        spacy_docbin.FORMAT,
        hf.FORMAT,
    )
}
AUTO = "auto"
# Content is checked in this order: the most specific shapes first.
SNIFF_ORDER = ("label-studio", "prodigy", "hf", "doccano")
HEAD_SIZE = 1 << 16


def choices() -> list[tuple[str, str]]:
    """(name, title) pairs for forms and help texts, "auto" first."""
    return [(AUTO, "Detect from the file"), *((f.name, f.title) for f in FORMATS.values())]


def get(name: str) -> Format:
    """The format named `name`; KeyError names the known ones."""
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r} (known: {', '.join(FORMATS)})") from None


def detect(file_name: str, head: bytes) -> Format:
    """The format of a file from its name and first bytes (up to HEAD_SIZE).

    A suffix only one format uses decides (.spacy, .conll, .zip...); for the JSON suffixes
    the first record's fields decide; anything else is read as CoNLL, whose reader then says
    precisely what does not fit.
    """
    suffix = PurePath(file_name).suffix.lower()
    owners = [f for f in FORMATS.values() if suffix in f.extensions]
    if len(owners) == 1:
        return owners[0]
    for name in SNIFF_ORDER:
        if FORMATS[name].sniff(head):
            return FORMATS[name]
    return FORMATS["conll"]
