"""Every page of the site, with the user who would open it, over one well-filled project.

The project is tests/services/test_agreement_report.py's corpus (three annotators, a reviewer, a
manager, tasks in every state, gold edits) with its agreement report computed, so that every page
shows its real content: heat maps, chips, tasks, the adjudication queue. Used by the
Content-Security-Policy tests (plain and in Chromium) and the accessibility checks."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.urls import reverse

from annotator.models import AgreementReport, SentenceTags
from tests.services.test_agreement_report import LAYERS, Corpus, build_corpus, run_agreement


@dataclass(frozen=True)
class Page:
    name: str
    user: object  # None: nobody signed in
    url: str
    inline_styles: bool = False  # only Swagger UI's page (annotator/api/urls.py) allows them


def filled_project(name: str = "Every page") -> tuple[Corpus, AgreementReport]:
    corpus = build_corpus(name)
    job = run_agreement(corpus)
    return corpus, AgreementReport.objects.get(job=job)


def site_pages(corpus: Corpus, report: AgreementReport) -> list[Page]:
    project, document = corpus.project.pk, corpus.document.pk
    manager, reviewer = corpus.manager, corpus.reviewer
    annotator = corpus.annotators["ann1"]
    sentence = SentenceTags.objects.filter(layer=corpus.layer("gold")).order_by("pk").first()

    def p(url_name: str, *args) -> str:
        return reverse(url_name, args=args or [project])

    def query(url: str, **params) -> str:
        return f"{url}?{urlencode(params)}"

    doc = p("annotator-document-detail", document)
    admin = get_user_model().objects.filter(is_superuser=True).first() or (
        get_user_model().objects.create_superuser("site-admin", password="pw-admin-1234")
    )
    return [
        Page("login", None, reverse("login")),
        Page("project list", manager, reverse("annotator-project-list")),
        Page("project", manager, p("annotator-project-detail")),
        Page("jobs and models", manager, p("annotator-project-jobs")),
        Page("dashboard", manager, p("annotator-dashboard")),
        Page("assign", manager, p("annotator-assign")),
        Page("members", manager, p("annotator-members")),
        Page("settings", manager, p("annotator-settings")),
        Page("likely errors", manager, p("annotator-likely-errors")),
        Page("review queue", reviewer, p("annotator-queue")),
        Page("review by uncertainty", reviewer, p("annotator-project-uncertainty")),
        Page("agreement", reviewer, p("annotator-agreement")),
        Page(
            "agreement cell",
            reviewer,
            query(
                p("annotator-agreement-cell", project, report.pk),
                a=LAYERS[0],
                b=LAYERS[1],
                cell="any",
            ),
        ),
        Page("adjudication queue", reviewer, p("annotator-adjudication-queue")),
        Page("search", reviewer, query(p("annotator-project-search"), q="network")),
        Page("document (gold)", reviewer, query(doc, layer="gold")),
        Page("document (BIO tags)", reviewer, query(doc, layer="gold", raw=1)),
        Page(
            "compare",
            reviewer,
            query(p("annotator-document-compare", document), left=LAYERS[0], right="gold"),
        ),
        Page("adjudicate", reviewer, p("annotator-document-adjudicate", document)),
        Page("repair", reviewer, p("annotator-document-repair", document)),
        Page(
            "sentence history",
            reviewer,
            query(p("annotator-sentence-history", document, sentence.sentence_id), layer="gold"),
        ),
        Page("my tasks", annotator, p("annotator-my-tasks")),
        Page("document (own layer)", annotator, query(doc, layer="annotator ann1")),
        Page("API token", annotator, reverse("annotator-account-token")),
        Page("password", annotator, reverse("password_change")),
        Page("API docs", manager, reverse("annotator-api-docs"), inline_styles=True),
        Page("admin", admin, reverse("admin:index")),
        Page("admin: projects", admin, reverse("admin:annotator_project_changelist")),
        Page("admin: a project", admin, reverse("admin:annotator_project_change", args=[project])),
    ]
