"""Every write, as plain functions that views, commands and tasks call."""

from annotator.services.corpus import (
    GOLD,
    IMPORTED,
    ImportSummary,
    default_layer_name,
    export_document,
    export_project,
    import_conll,
    reflag_layer,
)
from annotator.services.editing import (
    EditRejected,
    StaleEdit,
    edit_sentence,
    ensure_working_layer,
    mark_reviewed,
    plan_relabel,
    plan_repair,
    redo,
    relabel,
    repair_document,
    replace_tags,
    undo,
)

__all__ = [
    "GOLD",
    "IMPORTED",
    "EditRejected",
    "ImportSummary",
    "StaleEdit",
    "default_layer_name",
    "edit_sentence",
    "ensure_working_layer",
    "export_document",
    "export_project",
    "import_conll",
    "mark_reviewed",
    "plan_relabel",
    "plan_repair",
    "redo",
    "reflag_layer",
    "relabel",
    "repair_document",
    "replace_tags",
    "undo",
]
