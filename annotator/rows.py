"""Model instances from the values of a hand-written SELECT, converted as the ORM would.

For the few statements of every request (an edit's row, an API token) that are written as SQL
once rather than built as a queryset each time: building and compiling a queryset costs more
CPU than the statement itself.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper


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
        values = list(values)
        for at, column, converters in self.converting:
            value = values[at]
            for convert in converters:
                value = convert(value, column, db)
            values[at] = value
        return self.model.from_db(db.alias, self.names, values)


def load_all(loaders: list[Loader], values: tuple) -> tuple[list[models.Model], tuple]:
    """An instance per loader from a row's values, in order, and the values after theirs."""
    db = connections[DEFAULT_DB_ALIAS]  # the default connection itself, not its proxy
    instances, at = [], 0
    for loader in loaders:
        instances.append(loader.load(values[at : at + len(loader.names)], db))
        at += len(loader.names)
    return instances, values[at:]
