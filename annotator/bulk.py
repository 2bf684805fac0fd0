"""Fast bulk inserts for imports: plain rows straight to the database driver.

`Model.objects.bulk_create` builds a model instance per row and SQL per batch; for a million-token
import that costs more than parsing the file. Here rows are tuples of database-ready values, sent
with PostgreSQL's COPY or SQLite's executemany, inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring

from django.db import connection, models

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dump_json(value) -> str | None:
    return None if value is None else _encode(value)


def dump_strings(values: list[str]) -> str:
    """dump_json of a list of strings (a sentence's tokens or tags), to the same text: the
    encoder's own string escaping (C), without building an encoder for every call."""
    return "[" + ",".join(map(encode_basestring, values)) + "]"


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
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))  # noqa: S608


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
