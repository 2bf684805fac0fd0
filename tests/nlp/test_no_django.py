"""Every module of annotator/nlp imports without Django: pure code, testable and usable alone."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import ROOT

# Imports each module in a fresh interpreter and names those after which Django is loaded.
CHECK = """
import importlib, pkgutil, sys
import annotator.nlp
names = [m.name for m in pkgutil.walk_packages(annotator.nlp.__path__, "annotator.nlp.")]
leaking = []
for name in names:
    importlib.import_module(name)
    if "django" in sys.modules:
        leaking.append(name)
        break
print(len(names), leaking)
"""


def test_every_nlp_module_imports_without_django() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    count, leaking = result.stdout.split(" ", 1)
    assert int(count) > 20  # the walk found the package's modules
    assert leaking.strip() == "[]"
