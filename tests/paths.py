"""Where the tests find files: the repository's own, and the team's shared samples beside it.

No Django here, so the pure tests (tests/nlp) can use it too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]  # the repository
# The sample article the project ships (the demo imports it); the same file as the shared one.
DEMO_SAMPLE = ROOT / "annotator" / "demo" / "rnn-wikipedia.conll"
# The team's shared samples: ../shared relative to the repository. ANNOTATOR_SHARED names
# another folder (a missing one shows that every test needing them skips with a reason).
SHARED = Path(os.environ.get("ANNOTATOR_SHARED") or ROOT.parent / "shared")
SHARED_SAMPLES = SHARED / "samples"


def shared_sample(relative: str) -> Path:
    """A file of the shared samples; skips the test, saying why, when it is absent."""
    path = SHARED_SAMPLES / relative
    if not path.exists():
        pytest.skip(f"{relative} is not in the shared samples ({SHARED_SAMPLES} is absent)")
    return path
