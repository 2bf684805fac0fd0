"""Layer names as people read them, for buttons and headings (pure Python, no Django).

Stored names are exact and unique ("suggestions: crf1 v1 at 2026-11-27 13:05:11 (job 5)");
people want "CRF crf1 v1, 27 Nov 13:05". The stored name stays the value every form sends.
"""

from __future__ import annotations

import re
from datetime import datetime

SUGGESTIONS = re.compile(
    r"^suggestions: (?P<source>.+?)"
    r" at (?P<when>\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?)"
    r"(?: \(job \d+\))?$"
)
FIXED = {"gold": "Gold", "imported": "Imported tags"}


def _when(text: str) -> str:
    moment = datetime.fromisoformat(text)
    return f"{moment.day} {moment:%b %H:%M}"


def layer_title(name: str, model_kinds: dict[str, str] | None = None) -> str:
    """`model_kinds`: a model's "NAME vN" -> its kind in words ("CRF", "spaCy", "Remote")."""
    if name in FIXED:
        return FIXED[name]
    if name.startswith("annotator "):
        return name.removeprefix("annotator ")
    found = SUGGESTIONS.match(name)
    if found is None:
        return name
    source, when = found["source"], _when(found["when"])
    if source == "gazetteer":
        return f"Gazetteer, {when}"
    kind = (model_kinds or {}).get(source, "Model")
    return f"{kind} {source}, {when}"
