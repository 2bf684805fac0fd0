"""The likely-errors page: the latest likely-errors job's ranked tags, each opening the review."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from annotator import access
from annotator.access import REVIEWER
from annotator.models import Document, Job, Sentence, SentenceTags
from annotator.nlp import scheme
from annotator.services import jobs
from annotator.services.likely_errors import KIND

CONTEXT = 8  # tokens shown either side of the doubtful one


@login_required
@require_GET
def likely_errors(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, REVIEWER)
    finders = Job.objects.filter(project=who.project, kind=KIND)
    job = finders.filter(state=Job.State.DONE).order_by("-finished_at", "-pk").first()
    pending = [jobs.live(j) for j in finders.exclude(state__in=Job.FINISHED)]
    rows = _rows(who.project, job.result) if job else []
    context = {
        "project": who.project,
        "access": who,
        "job": job,
        "rows": rows,
        "pending": pending,
        "workers_alive": jobs.workers_alive() if pending else True,
    }
    return render(request, "annotator/likely_errors.html", context)


def _rows(project, result: dict) -> list[dict]:
    issues = result.get("issues", [])
    ids = {issue["sentence"] for issue in issues}
    sentences = dict(
        Sentence.objects.filter(pk__in=ids, document__project=project).values_list("pk", "tokens")
    )
    names = dict(Document.objects.filter(project=project).values_list("pk", "name"))
    current = {
        sentence: (tags, doc_scheme)
        for sentence, tags, doc_scheme in SentenceTags.objects.filter(
            sentence_id__in=ids, layer__name=result["layer"], layer__document__project=project
        ).values_list("sentence_id", "tags", "layer__document__scheme")
    }
    document_url = {pk: reverse("annotator-document-detail", args=[pk]) for pk in names}
    rows = []
    for rank, issue in enumerate(issues, start=1):
        tokens = sentences.get(issue["sentence"])
        if tokens is None or issue["token"] >= len(tokens):
            continue  # the document was deleted or re-imported since the job ran
        t = issue["token"]
        page = issue["position"] // settings.SENTENCES_PER_PAGE + 1
        query = urlencode({"layer": result["layer"], "page": page})
        tags, doc_scheme = current.get(issue["sentence"], (None, ""))
        now = scheme.convert(tags, doc_scheme, "iob2")[t] if tags else None
        rows.append(
            {
                **issue,
                "rank": rank,
                "document_name": names.get(issue["document"], ""),
                "before": " ".join(tokens[max(0, t - CONTEXT) : t]),
                "word": tokens[t],
                "after": " ".join(tokens[t + 1 : t + 1 + CONTEXT]),
                "cut_before": t > CONTEXT,
                "cut_after": t + 1 + CONTEXT < len(tokens),
                "changed": now is not None and now != issue["given"],
                "now": now,
                "url": f"{document_url[issue['document']]}?{query}#sentence-{issue['sentence']}",
            }
        )
    return rows
