from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from annotator.views import (
    adjudicate,
    agreement,
    compare,
    health,
    jobs,
    labels,
    likely_errors,
    pages,
    projects,
    review,
    search,
    tasks,
    tokens,
    uncertainty,
)

# Errors say why, and under /api/ they are JSON like every API answer (annotator/refusals.py).
handler400 = "annotator.refusals.bad_request"
handler403 = "annotator.refusals.permission_denied"
handler404 = "annotator.refusals.page_not_found"
handler500 = "annotator.refusals.server_error"

urlpatterns = [
    path("", pages.home, name="home"),
    path("health/", health.health, name="annotator-health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url="/"),
        name="password_change",
    ),
    path("accounts/token/", tokens.account_token, name="annotator-account-token"),
    path("api/", include("annotator.api.urls")),
    path("projects/", pages.project_list, name="annotator-project-list"),
    path("projects/new/", projects.project_create, name="annotator-project-create"),
    path("projects/creators/", projects.project_creators, name="annotator-project-creators"),
    path("projects/<int:pk>/", pages.project_detail, name="annotator-project-detail"),
    path("projects/<int:pk>/upload/", pages.project_upload, name="annotator-project-upload"),
    path("projects/<int:pk>/export/", pages.project_export, name="annotator-project-export"),
    path("projects/<int:pk>/search/", search.project_search, name="annotator-project-search"),
    path("projects/<int:pk>/relabel/", search.project_relabel, name="annotator-project-relabel"),
    path("projects/<int:pk>/tasks/", tasks.my_tasks, name="annotator-my-tasks"),
    path("projects/<int:pk>/tasks/next/", tasks.start_next, name="annotator-start-next"),
    path("projects/<int:pk>/queue/", tasks.review_queue, name="annotator-queue"),
    path(
        "projects/<int:pk>/uncertain/",
        uncertainty.project_uncertainty,
        name="annotator-project-uncertainty",
    ),
    path("projects/<int:pk>/dashboard/", tasks.dashboard, name="annotator-dashboard"),
    path("projects/<int:pk>/assign/", tasks.assign, name="annotator-assign"),
    path("projects/<int:pk>/members/", tasks.members, name="annotator-members"),
    path("projects/<int:pk>/settings/", tasks.project_settings, name="annotator-settings"),
    path("projects/<int:pk>/labels/", labels.project_labels, name="annotator-labels"),
    path("projects/<int:pk>/jobs/", jobs.project_jobs, name="annotator-project-jobs"),
    path(
        "projects/<int:pk>/likely-errors/",
        likely_errors.likely_errors,
        name="annotator-likely-errors",
    ),
    path("projects/<int:pk>/preannotate/", jobs.start_preannotation, name="annotator-preannotate"),
    path(
        "projects/<int:pk>/models/<slug:kind>/",
        jobs.register_model,
        name="annotator-model-register",
    ),
    path("projects/<int:pk>/agreement/", agreement.agreement_report, name="annotator-agreement"),
    path(
        "projects/<int:pk>/agreement/<int:report_id>/cell/",
        agreement.agreement_cell,
        name="annotator-agreement-cell",
    ),
    path(
        "projects/<int:pk>/adjudicate/",
        agreement.adjudication_queue,
        name="annotator-adjudication-queue",
    ),
    path(
        "projects/<int:pk>/adjudicate/vote/",
        agreement.majority_vote,
        name="annotator-majority-vote",
    ),
    path("jobs/<int:pk>/", jobs.job_progress, name="annotator-job-progress"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel, name="annotator-job-cancel"),
    path("jobs/<int:pk>/download/", jobs.job_download, name="annotator-job-download"),
    path("tasks/<int:pk>/", tasks.task_action, name="annotator-task-action"),
    path("tasks/<int:pk>/approval/", tasks.task_approval, name="annotator-task-approval"),
    path("documents/<int:pk>/", pages.document_detail, name="annotator-document-detail"),
    path("documents/<int:pk>/export/", pages.document_export, name="annotator-document-export"),
    path("documents/<int:pk>/edit/", review.sentence_edit, name="annotator-sentence-edit"),
    path("documents/<int:pk>/undo/", review.sentence_undo, name="annotator-sentence-undo"),
    path("documents/<int:pk>/redo/", review.sentence_redo, name="annotator-sentence-redo"),
    path("documents/<int:pk>/review/", review.sentence_review, name="annotator-sentence-review"),
    path(
        "documents/<int:pk>/suggestions/accept/",
        review.suggestion_accept,
        name="annotator-suggestion-accept",
    ),
    path(
        "documents/<int:pk>/suggestions/reject/",
        review.suggestion_reject,
        name="annotator-suggestion-reject",
    ),
    path("documents/<int:pk>/repair/", review.document_repair, name="annotator-document-repair"),
    path(
        "documents/<int:pk>/compare/", compare.document_compare, name="annotator-document-compare"
    ),
    path("documents/<int:pk>/take/", compare.document_take, name="annotator-document-take"),
    path(
        "documents/<int:pk>/take-all/",
        compare.document_take_all,
        name="annotator-document-take-all",
    ),
    path(
        "documents/<int:pk>/adjudicate/",
        adjudicate.document_adjudicate,
        name="annotator-document-adjudicate",
    ),
    path(
        "documents/<int:pk>/adjudicate/decide/",
        adjudicate.document_decide,
        name="annotator-document-decide",
    ),
    path(
        "documents/<int:pk>/adjudicate/apply/",
        adjudicate.document_apply_agreed,
        name="annotator-document-adjudicate-apply",
    ),
    path("documents/<int:pk>/next/", review.document_next, name="annotator-document-next"),
    path(
        "documents/<int:pk>/sentences/<int:sentence_id>/history/",
        review.sentence_history,
        name="annotator-sentence-history",
    ),
    path("admin/", admin.site.urls),
]
