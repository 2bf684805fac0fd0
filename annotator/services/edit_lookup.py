"""The one statement an edit reads with: the sentence's row of a named layer, locked, with all the
layer rule needs (editing.edit_named_sentence).

Written as SQL once per database vendor (from the models' tables and columns, constants only;
the values are parameters) rather than as a queryset: building and compiling the
equivalent ORM query (four joins, five subqueries) cost about 8 ms of CPU per edit, most of the
edit's own time; the rows are turned into model instances with the fields' own converters, as
the ORM would (annotator/rows.py).
"""

from __future__ import annotations

import json
from functools import cache

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotator import prepared
from annotator.models import (
    Document,
    Membership,
    Project,
    Sentence,
    SentenceTags,
    TagChange,
    TagLayer,
    Task,
)
from annotator.rows import Loader, fits_bigint, load_all

ROLES = tuple(Membership.Role)
# What the layer rule and note_activity read of a task.
TASK_FIELDS = ("id", "document_id", "layer_id", "first_sentence", "end_sentence", "start_layer",
               "state", "touched_at")  # fmt: skip
# The instances the row comes with, in the SELECT's order, by their table's alias.
LOADED = ((SentenceTags, "st"), (Sentence, "s"), (TagLayer, "l"), (Document, "d"), (Project, "p"))


@cache
def _statement(vendor: str) -> tuple[str, list[Loader]]:
    loaders = [Loader(model, alias) for model, alias in LOADED]
    table = {model: model._meta.db_table for model, _ in LOADED}
    membership, task, change = (m._meta.db_table for m in (Membership, Task, TagChange))
    roles = [
        f"EXISTS (SELECT 1 FROM {membership} m WHERE m.project_id = d.project_id "  # noqa: S608
        f"AND m.user_id = %(user)s AND m.role = '{role}')"
        for role in ROLES
    ]
    pairs = ", ".join(f"'{name}', t.{name}" for name in TASK_FIELDS)
    if vendor == "postgresql":
        tasks_json, lock = f"JSON_AGG(JSON_BUILD_OBJECT({pairs}))", " FOR UPDATE OF st"
    else:  # SQLite: the transaction holds the database's write lock already (IMMEDIATE)
        tasks_json, lock = f"JSON_GROUP_ARRAY(JSON_OBJECT({pairs}))", ""
    tasks = (
        f"(SELECT {tasks_json} FROM {task} t WHERE t.document_id = d.id "  # noqa: S608
        f"AND t.annotator_id = %(user)s AND t.state <> '{Task.State.WITHDRAWN}')"
    )
    undone = (
        f"EXISTS (SELECT 1 FROM {change} c WHERE c.layer_id = st.layer_id "  # noqa: S608
        f"AND c.user_id = %(user)s AND c.state = '{TagChange.State.UNDONE}')"
    )
    columns = [column for loader in loaders for column in loader.columns]
    sql = (
        f"SELECT {', '.join(columns)}, {', '.join(roles)}, {tasks}, {undone} "  # noqa: S608
        f"FROM {table[SentenceTags]} st "
        f"JOIN {table[TagLayer]} l ON l.id = st.layer_id "
        f"JOIN {table[Document]} d ON d.id = l.document_id "
        f"JOIN {table[Project]} p ON p.id = d.project_id "
        f"JOIN {table[Sentence]} s ON s.id = st.sentence_id "
        "WHERE l.document_id = %(document)s AND l.name = %(layer)s "
        f"AND st.sentence_id = %(sentence)s{lock}"
    )
    return sql, loaders


def locked_row(
    user: AbstractBaseUser, document_pk: int, layer_name: str, sentence_id: int
) -> tuple[SentenceTags, frozenset[str], list[Task], bool] | None:
    """The layer's row of the sentence, locked (PostgreSQL: only this row; call it in a
    transaction), loaded with its sentence and its layer's document and project; the user's
    roles in the project, their tasks in the document (not withdrawn), and whether they have
    undone edits in the layer. None if there is no such row."""
    if not fits_bigint(document_pk, sentence_id):
        return None
    sql, loaders = _statement(connection.vendor)
    params = {"user": user.pk, "document": document_pk, "layer": layer_name,
              "sentence": sentence_id}  # fmt: skip
    with prepared.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    (row, sentence, layer, document, project), extra = load_all(loaders, found)
    document.project, layer.document = project, document
    row.sentence, row.layer = sentence, layer
    roles = frozenset(role for role, has in zip(ROLES, extra, strict=False) if has)
    return row, roles, _tasks(extra[len(ROLES)]), bool(extra[len(ROLES) + 1])


def _tasks(found: str | list[dict] | None) -> list[Task]:
    """Task instances of the row's JSON (text on SQLite, decoded by psycopg), for reading."""
    if isinstance(found, str):
        found = json.loads(found)
    tasks = []
    for values in found or ():
        touched = values["touched_at"] and parse_datetime(values["touched_at"])
        if touched and timezone.is_naive(touched):  # SQLite keeps UTC without an offset
            touched = timezone.make_aware(touched, timezone.UTC)
        tasks.append(Task(**{**values, "touched_at": touched}))
    return tasks
