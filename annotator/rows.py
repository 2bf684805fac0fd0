"""Model instances from the values of a hand-written SELECT, converted as the ORM would.

For the few statements of every request (an edit's row, an API token) that are written as SQL
once rather than built as a queryset each time: building and compiling a queryset costs more
CPU than the statement itself.
"""

from __future__ import annotations

from django.db import connection, models


class Loader:
    """A model's columns in a SELECT, and instances back from their values, converted."""

    def __init__(self, model: type[models.Model], alias: str) -> None:
        self.model, self.fields = model, model._meta.concrete_fields
        quote = connection.ops.quote_name
        self.columns = [f"{alias}.{quote(f.column)}" for f in self.fields]
        self.names = [f.attname for f in self.fields]
        self.converters = []
        for field in self.fields:
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            self.converters.append((column, found))

    def load(self, values: tuple) -> models.Model:
        converted = []
        for value, (column, converters) in zip(values, self.converters, strict=True):
            for convert in converters:
                value = convert(value, column, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.names, converted)


def load_all(loaders: list[Loader], values: tuple) -> tuple[list[models.Model], tuple]:
    """An instance per loader from a row's values, in order, and the values after theirs."""
    instances, at = [], 0
    for loader in loaders:
        instances.append(loader.load(values[at : at + len(loader.names)]))
        at += len(loader.names)
    return instances, values[at:]
