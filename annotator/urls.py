from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from annotator import views
from annotator.views import labels, projects

# Errors say why, and under /api/ they are JSON like every API answer (annotator/refusals.py).
handler400 = "annotator.refusals.bad_request"
handler403 = "annotator.refusals.permission_denied"
handler404 = "annotator.refusals.page_not_found"
handler500 = "annotator.refusals.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="annotator-health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url="/"),
        name="password_change",
    ),
    path("accounts/token/", views.account_token, name="annotator-account-token"),
    path("api/", include("annotator.api.urls")),
    path("projects/", views.project_list, name="annotator-project-list"),
    path("projects/new/", projects.project_create, name="annotator-project-create"),
    path("projects/creators/", projects.project_creators, name="annotator-project-creators"),
    path("projects/<int:pk>/", views.project_detail, name="annotator-project-detail"),
    path("projects/<int:pk>/upload/", views.project_upload, name="annotator-project-upload"),
    path("projects/<int:pk>/export/", views.project_export, name="annotator-project-export"),
    path("projects/<int:pk>/search/", views.project_search, name="annotator-project-search"),
    path("projects/<int:pk>/relabel/", views.project_relabel, name="annotator-project-relabel"),
    path("projects/<int:pk>/tasks/", views.my_tasks, name="annotator-my-tasks"),
    path("projects/<int:pk>/tasks/next/", views.start_next, name="annotator-start-next"),
    path("projects/<int:pk>/queue/", views.review_queue, name="annotator-queue"),
    path("projects/<int:pk>/dashboard/", views.dashboard, name="annotator-dashboard"),
    path("projects/<int:pk>/assign/", views.assign, name="annotator-assign"),
    path("projects/<int:pk>/members/", views.members, name="annotator-members"),
    path("projects/<int:pk>/settings/", views.project_settings, name="annotator-settings"),
    path("projects/<int:pk>/labels/", labels.project_labels, name="annotator-labels"),
    path("projects/<int:pk>/jobs/", views.project_jobs, name="annotator-project-jobs"),
    path("projects/<int:pk>/likely-errors/", views.likely_errors, name="annotator-likely-errors"),
    path("projects/<int:pk>/preannotate/", views.start_preannotation, name="annotator-preannotate"),
    path(
        "projects/<int:pk>/models/<slug:kind>/",
        views.register_model,
        name="annotator-model-register",
    ),
    path("projects/<int:pk>/agreement/", views.agreement_report, name="annotator-agreement"),
    path(
        "projects/<int:pk>/agreement/<int:report_id>/cell/",
        views.agreement_cell,
        name="annotator-agreement-cell",
    ),
    path(
        "projects/<int:pk>/adjudicate/",
        views.adjudication_queue,
        name="annotator-adjudication-queue",
    ),
    path("projects/<int:pk>/adjudicate/vote/", views.majority_vote, name="annotator-majority-vote"),
    path("jobs/<int:pk>/", views.job_progress, name="annotator-job-progress"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="annotator-job-cancel"),
    path("jobs/<int:pk>/download/", views.job_download, name="annotator-job-download"),
    path("tasks/<int:pk>/", views.task_action, name="annotator-task-action"),
    path("tasks/<int:pk>/approval/", views.task_approval, name="annotator-task-approval"),
    path("documents/<int:pk>/", views.document_detail, name="annotator-document-detail"),
    path("documents/<int:pk>/export/", views.document_export, name="annotator-document-export"),
    path("documents/<int:pk>/edit/", views.sentence_edit, name="annotator-sentence-edit"),
    path("documents/<int:pk>/undo/", views.sentence_undo, name="annotator-sentence-undo"),
    path("documents/<int:pk>/redo/", views.sentence_redo, name="annotator-sentence-redo"),
    path("documents/<int:pk>/review/", views.sentence_review, name="annotator-sentence-review"),
    path(
        "documents/<int:pk>/suggestions/accept/",
        views.suggestion_accept,
        name="annotator-suggestion-accept",
    ),
    path(
        "documents/<int:pk>/suggestions/reject/",
        views.suggestion_reject,
        name="annotator-suggestion-reject",
    ),
    path("documents/<int:pk>/repair/", views.document_repair, name="annotator-document-repair"),
    path("documents/<int:pk>/compare/", views.document_compare, name="annotator-document-compare"),
    path("documents/<int:pk>/take/", views.document_take, name="annotator-document-take"),
    path(
        "documents/<int:pk>/take-all/", views.document_take_all, name="annotator-document-take-all"
    ),
    path(
        "documents/<int:pk>/adjudicate/",
        views.document_adjudicate,
        name="annotator-document-adjudicate",
    ),
    path(
        "documents/<int:pk>/adjudicate/decide/",
        views.document_decide,
        name="annotator-document-decide",
    ),
    path(
        "documents/<int:pk>/adjudicate/apply/",
        views.document_apply_agreed,
        name="annotator-document-adjudicate-apply",
    ),
    path("documents/<int:pk>/next/", views.document_next, name="annotator-document-next"),
    path(
        "documents/<int:pk>/sentences/<int:sentence_id>/history/",
        views.sentence_history,
        name="annotator-sentence-history",
    ),
    path("admin/", admin.site.urls),
]
