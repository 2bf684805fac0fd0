"""Fast bulk inserts for imports: plain rows straight to the database driver.

`Model.objects.bulk_create` builds a model instance per row and SQL per batch; for a million-token
import that costs more than parsing the file. Here rows are tuples of database-ready values, sent
with PostgreSQL's COPY or SQLite's multi-row INSERTs, inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from json.encoder import encode_basestring

from django.db import connection, models

# SQLite: rows per INSERT statement; Django's bulk_create writes several per statement too.
ROWS_PER_INSERT = 100
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dump_json(value) -> str | None:
    return None if value is None else _encode(value)


def dump_strings(values: list[str]) -> str:
    """dump_json of a list of strings (a sentence's tokens or tags), to the same text."""
    body = '","'.join(values)
    # Most sentences have nothing to escape (no quote, backslash or control character): then
    # one join is the JSON, where escaping string by string costs a call per token.
    if (
        values
        and body.count('"') == 2 * len(values) - 2
        and "\\" not in body
        and body.isprintable()
    ):
        return f'["{body}"]'
    return "[" + ",".join(map(encode_basestring, values)) + "]"


@contextmanager
def unchecked() -> Iterator[None]:
    """On SQLite, skip the CHECK constraints while writing rows this module's callers build
    themselves: JSON from dump_json / dump_strings and positions from counters, valid by
    construction. Checking them again (JSON_VALID parses every tokens and tags value) is about a
    fifth of SQLite's work in an import. Restored on the way out, also on an error; other
    databases check as always."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            yield
        finally:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for `count` new rows, so that related rows can be written in the same batch."""
    if count == 0:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT nextval(pg_get_serial_sequence('{model._meta.db_table}', 'id')) "  # noqa: S608
                "FROM generate_series(1, %s)",
                [count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the import's transaction holds the write lock, so no one else takes these ids.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        top = cursor.fetchone()[0]
        return list(range(top + 1, top + 1 + count))


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> None:
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's COPY bypasses Django's cursor: translate its errors (IntegrityError...).
            sql = f"COPY {table} ({names}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            insert = f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608
            _insert_sqlite(cursor, insert, len(columns), rows)


def _insert_sqlite(cursor, insert: str, width: int, rows: Iterable[tuple]) -> None:
    """Many rows per INSERT: SQLite's cost per statement run (binding, reset, the AUTOINCREMENT
    counter's update) is then paid once per ROWS_PER_INSERT rows, not once per row."""
    rows = rows if isinstance(rows, list) else list(rows)
    per = max(1, min(ROWS_PER_INSERT, connection.features.max_query_params // width))
    one = "(" + ", ".join(["%s"] * width) + ")"
    whole = len(rows) - len(rows) % per
    if whole:
        flat = list(chain.from_iterable(rows[:whole]))
        step = per * width
        groups = [flat[start : start + step] for start in range(0, len(flat), step)]
        cursor.executemany(insert + ", ".join([one] * per), groups)
    if whole < len(rows):
        cursor.executemany(insert + one, rows[whole:])


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple], batch: int = 1000
) -> None:
    """Set `fields` of existing rows: each row is (pk, *values) with database-ready values (JSON
    as text). PostgreSQL: one UPDATE ... FROM (VALUES ...) per batch, much cheaper than
    bulk_update's CASE per field; SQLite: executemany of a plain UPDATE."""
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [meta.get_field(name) for name in fields]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sets = ", ".join(f"{quote(c.column)} = %s" for c in columns)
            sql = f"UPDATE {table} SET {sets} WHERE id = %s"  # noqa: S608
            cursor.executemany(sql, [(*row[1:], row[0]) for row in rows])
            return
        casts = ["bigint", *(c.db_type(connection) for c in columns)]
        sets = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
        names = ", ".join(["id", *(quote(c.column) for c in columns)])
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            first = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
            rest = "(" + ", ".join(["%s"] * len(casts)) + ")"
            values = ", ".join([first] + [rest] * (len(chunk) - 1))
            sql = (
                f"UPDATE {table} AS t SET {sets} FROM (VALUES {values}) AS v({names}) "  # noqa: S608
                "WHERE t.id = v.id"
            )
            cursor.execute(sql, [value for row in chunk for value in row])
