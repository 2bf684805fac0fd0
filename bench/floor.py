"""The floor: the least work an import can do, in plain Python and sqlite3 (no Django).

Parse the file, group token/tag pairs into sentences, insert one row per sentence (tokens and tags
as JSON text) with executemany in one transaction. Run three times; report the best.
"""

from __future__ import annotations

import json
import sqlite3
import time

from common import BIG, VAR, emit

RUNS = 3
DB = VAR / "floor.sqlite3"


def once() -> tuple[float, int]:
    DB.unlink(missing_ok=True)
    start = time.perf_counter()
    with BIG.open(encoding="utf-8") as f:
        lines = f.read().split("\n")
    rows, tokens, tags, total = [], [], [], 0
    for line in lines:
        if line == "<s>":
            tokens, tags = [], []
        elif line == "</s>":
            rows.append((len(rows), json.dumps(tokens), json.dumps(tags)))
            total += len(tokens)
        elif line:
            token, tag = line.split("\t")
            tokens.append(token)
            tags.append(tag)
    db = sqlite3.connect(DB)
    db.execute("CREATE TABLE sentence (id INTEGER PRIMARY KEY, position INT, tokens, tags)")
    with db:  # one transaction
        db.executemany("INSERT INTO sentence (position, tokens, tags) VALUES (?, ?, ?)", rows)
    db.close()
    return time.perf_counter() - start, total


def main() -> None:
    runs = [once() for _ in range(RUNS)]
    DB.unlink(missing_ok=True)
    emit({"seconds": min(s for s, _ in runs), "runs": [s for s, _ in runs], "tokens": runs[0][1]})


if __name__ == "__main__":
    main()
