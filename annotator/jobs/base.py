"""What a job kind is: its name, its runner and, for a kind started from the jobs page and the
API, its one parameter form (annotator/params.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from annotator.params import Form


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[[Any, Callable], Any]  # (job, progress): writes its output, completes the job
    # None: started by its own page and service (an upload, an export, an agreement report).
    params: type[Form] | None = None
    summary: str = ""  # for the API's description of the jobs endpoint
