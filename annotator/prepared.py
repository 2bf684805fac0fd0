"""A cursor for the few statements every edit runs: prepared once per connection on PostgreSQL.

Django binds parameters on the client (psycopg's ClientCursor) and never prepares a statement
(so that connection poolers work), so PostgreSQL parses and plans each one anew: planning the
edit's locked SELECT (four joins, five subqueries) took about 0.5 ms, more than running it.
Through this cursor psycopg binds the parameters on the server and prepares the statement on
its first use in a connection; later uses skip the planning. The cursor is wrapped as Django
wraps its own (query logging and counts, execute wrappers, database errors). Every other query
is unchanged. On SQLite it is Django's usual cursor: Python's sqlite3 keeps prepared
statements itself.

A pooler in transaction mode (pgbouncer before 1.21) cannot keep a prepared statement across
transactions: DB_PREPARED_STATEMENTS=0 turns this off.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper


def cursor() -> CursorWrapper:
    """A cursor on the default database whose statements are prepared (PostgreSQL)."""
    if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_class()(connection.connection))


@cache
def _preparing_class() -> type:
    """psycopg's server-binding cursor (Django's, with its callproc), always preparing; made
    on first use, so that nothing imports the PostgreSQL backend on SQLite."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            # Django leaves the connection's prepare_threshold at None, with which psycopg
            # prepares nothing, asked or not. It stays None for every other query: psycopg
            # would otherwise keep the text of each one (a bulk INSERT's megabytes too) to
            # count its uses.
            connection = self.connection
            threshold, connection.prepare_threshold = connection.prepare_threshold, 0
            try:
                return super().execute(query, params, prepare=True, binary=binary)
            finally:
                connection.prepare_threshold = threshold

    return PreparingCursor
