"""Model instances from the values of a hand-written SELECT, converted as the ORM would.

For the few statements of every request (an edit's row, an API token, the document page's and
every document view's reads) that are written as SQL
once rather than built as a queryset each time: building and compiling a queryset costs more
CPU than the statement itself.
"""

from __future__ import annotations

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

from annotator import prepared


class Loader:
    """A model's columns in a SELECT, and instances back from their values, converted."""

    def __init__(self, model: type[models.Model], alias: str) -> None:
        self.model, self.fields = model, model._meta.concrete_fields
        quote = connection.ops.quote_name
        self.columns = [f"{alias}.{quote(f.column)}" for f in self.fields]
        self.names = [f.attname for f in self.fields]
        self.converting = []  # (position, column, converters) of the fields that have any
        for at, field in enumerate(self.fields):
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self.converting.append((at, column, found))

    def load(self, values: tuple | list, db: BaseDatabaseWrapper) -> models.Model:
        values = _converted(values, self.converting, db)
        return self.model.from_db(db.alias, self.names, values)


def _converted(values: tuple | list, converting: list, db: BaseDatabaseWrapper) -> list:
    """The values with each converted column's converters applied, as the ORM applies them."""
    values = list(values)
    for at, column, converters in converting:
        value = values[at]
        for convert in converters:
            value = convert(value, column, db)
        values[at] = value
    return values


def load_all(loaders: list[Loader], values: tuple) -> tuple[list[models.Model], tuple]:
    """An instance per loader from a row's values, in order, and the values after theirs."""
    db = connections[DEFAULT_DB_ALIAS]  # the default connection itself, not its proxy
    instances, at = [], 0
    for loader in loaders:
        instances.append(loader.load(values[at : at + len(loader.names)], db))
        at += len(loader.names)
    return instances, values[at:]


@cache
def _select(
    model: type[models.Model], where: str, order: str, limit: int | None, vendor: str
) -> tuple[str, Loader]:
    loader = Loader(model, "x")
    sql = f"SELECT {', '.join(loader.columns)} FROM {model._meta.db_table} x WHERE {where}"  # noqa: S608
    sql += f" ORDER BY {order}" if order else ""
    return sql + (f" LIMIT {limit:d}" if limit is not None else ""), loader


def select(
    model: type[models.Model],
    where: str,
    params: list,
    *,
    order: str = "",
    limit: int | None = None,
) -> list[models.Model]:
    """`model.objects.filter(...).order_by(...)` for a page's few fixed reads, with the
    condition and order in SQL over the table's alias `x` (constants only: values are
    `params`); the statement is written once, prepared on PostgreSQL, and the instances
    converted as the ORM would."""
    sql, loader = _select(model, where, order, limit, connection.vendor)
    return [loader.load(values, db) for values, db in _fetched(sql, params)]


def fits_bigint(*numbers: int) -> bool:
    """Whether every id is one a row could have: the driver raises on larger numbers, where
    the ORM finds nothing."""
    return all(-(2**63) <= n < 2**63 for n in numbers)


class Values:
    """Named fields of some tables in a SELECT, and `.values()`-like dicts back, converted as
    the ORM converts them. `fields`: (name, model, field name, table alias)."""

    def __init__(self, fields: list[tuple[str, type[models.Model], str, str]]) -> None:
        quote = connection.ops.quote_name
        self.names = [name for name, *_ in fields]
        self.columns, self.converting = [], []
        for at, (_, model, name, alias) in enumerate(fields):
            field = model._meta.get_field(name)
            self.columns.append(f"{alias}.{quote(field.column)}")
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self.converting.append((at, column, found))

    def load(self, values: tuple | list, db: BaseDatabaseWrapper) -> dict:
        return dict(zip(self.names, _converted(values, self.converting, db), strict=True))


def fetch_values(sql: str, params: list | dict, values: Values) -> list[dict]:
    """The rows of a statement written once (prepared on PostgreSQL) as `values` dicts."""
    return [values.load(row, db) for row, db in _fetched(sql, params)]


def _fetched(sql: str, params: list | dict) -> list[tuple[tuple, BaseDatabaseWrapper]]:
    """Each row of the statement, run prepared on PostgreSQL, with the connection that
    converts its values (the default connection itself, not its proxy)."""
    with prepared.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    db = connections[DEFAULT_DB_ALIAS]
    return [(row, db) for row in found]
