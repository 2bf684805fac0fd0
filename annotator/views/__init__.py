"""Pages and htmx fragments. Thin: access checks via selectors, writes via services."""

from annotator.views.adjudicate import (
    document_adjudicate,
    document_apply_agreed,
    document_decide,
)
from annotator.views.agreement import (
    adjudication_queue,
    agreement_cell,
    agreement_report,
    majority_vote,
)
from annotator.views.compare import document_compare, document_take, document_take_all
from annotator.views.health import health
from annotator.views.jobs import (
    job_cancel,
    job_download,
    job_progress,
    project_jobs,
    register_model,
    start_preannotation,
)
from annotator.views.likely_errors import likely_errors
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
    document_repair,
    sentence_edit,
    sentence_history,
    sentence_redo,
    sentence_review,
    sentence_undo,
    suggestion_accept,
    suggestion_reject,
)
from annotator.views.search import project_relabel, project_search
from annotator.views.tasks import (
    assign,
    dashboard,
    members,
    my_tasks,
    project_settings,
    review_queue,
    start_next,
    task_action,
    task_approval,
)
from annotator.views.tokens import account_token

__all__ = [
    "account_token",
    "document_adjudicate",
    "document_apply_agreed",
    "document_decide",
    "adjudication_queue",
    "agreement_cell",
    "agreement_report",
    "majority_vote",
    "health",
    "likely_errors",
    "job_cancel",
    "job_download",
    "job_progress",
    "project_jobs",
    "register_model",
    "start_preannotation",
    "assign",
    "dashboard",
    "members",
    "my_tasks",
    "project_settings",
    "review_queue",
    "start_next",
    "task_action",
    "task_approval",
    "document_compare",
    "document_take",
    "document_take_all",
    "document_detail",
    "document_export",
    "document_next",
    "document_repair",
    "home",
    "project_detail",
    "project_export",
    "project_list",
    "project_relabel",
    "project_search",
    "project_upload",
    "sentence_edit",
    "sentence_history",
    "sentence_redo",
    "sentence_review",
    "suggestion_accept",
    "suggestion_reject",
    "sentence_undo",
]
