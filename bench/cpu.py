"""Where the CPU went during a load window: server, database, clients, everything else (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """pid and its descendants (gunicorn's master and workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        path = Path(f"/proc/{current}/task/{current}/children")
        try:
            todo += [int(child) for child in path.read_text().split()]
        except OSError:
            continue
    return found


def process_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the given processes so far (ones that exited count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICK


def machine_seconds() -> float:
    """Busy CPU seconds of the whole machine so far, all cores (everything but idle and iowait)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK


class Meter:
    """CPU seconds of each group between start() and stop()."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups

    def read(self) -> dict[str, float]:
        values = {name: process_seconds(pids) for name, pids in self.groups.items()}
        values["machine"] = machine_seconds()
        return values

    def start(self) -> None:
        self.before = self.read()

    def stop(self) -> dict[str, float]:
        after = self.read()
        used = {name: after[name] - self.before[name] for name in after}
        used["other"] = used["machine"] - sum(v for k, v in used.items() if k != "machine")
        return used
