"""Pages and htmx fragments. Thin: access checks via selectors, writes via services."""

from annotator.views.pages import (
    document_detail,
    document_export,
    home,
    project_detail,
    project_export,
    project_list,
    project_upload,
)
from annotator.views.review import (
    document_next,
    sentence_edit,
    sentence_history,
    sentence_redo,
    sentence_review,
    sentence_undo,
)

__all__ = [
    "document_detail",
    "document_export",
    "document_next",
    "home",
    "project_detail",
    "project_export",
    "project_list",
    "project_upload",
    "sentence_edit",
    "sentence_history",
    "sentence_redo",
    "sentence_review",
    "sentence_undo",
]
