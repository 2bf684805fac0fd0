"""The agreement report (heat maps, drill-down, recompute as a job) and the disagreement queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotator import access, compare, selectors
from annotator.access import REVIEWER
from annotator.jobs import agreement as agreement_job
from annotator.jobs import majority_vote as majority_vote_job
from annotator.models import AgreementReport, SentenceTags
from annotator.services import adjudication, agreement, jobs
from annotator.views.jobs import start_from_page

TEMPLATE = "annotator/agreement.html"
MEASURES = {
    "kappa": ("Cohen's kappa, all tokens", ("token", "all", "kappa")),
    "kappa_tagged": ("Cohen's kappa, tagged tokens", ("token", "tagged", "kappa")),
    "f1": ("Exact-span F1 (micro)", ("span", "exact", "micro", "f1")),
    "f1_overlap": ("Overlap-span F1 (micro)", ("span", "overlap", "micro", "f1")),
}


@login_required
@require_http_methods(["GET", "POST"])
def agreement_report(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.report_reader(user=request.user, project_pk=pk)
    project = who.project
    if request.method == "POST":
        who.require(REVIEWER)
        return _start(request, project)
    # The running job before the report: a job that ends in between then shows as a job row
    # that polls, finishes and brings the report in. The other order lost both: no report yet,
    # and the job already done, so nothing on the page waited for it (until a reload).
    running = [jobs.live(j) for j in project.jobs.filter(kind=agreement.KIND)[:1]]
    reports = project.reports.only("pk", "created_at")
    report = _chosen_report(project, request.GET.get("report"))
    choices = agreement.layer_choices(project)
    context = {
        "project": project,
        "access": who,
        "report": report,
        "reports": reports[:20],
        "choices": choices,
        "gold_choices": [c["name"] for c in choices if c["kind"] in ("gold", "imported", "model")],
        "document_choices": selectors.document_choices(project),
        "jobs": running,
        "workers_alive": jobs.workers_alive(),
    }
    if report:
        context.update(_report_context(report, request.GET))
    return render(request, TEMPLATE, context)


def _chosen_report(project, wanted: str | None) -> AgreementReport | None:
    if wanted and wanted.isdigit():
        return project.reports.filter(pk=int(wanted)).first()
    return project.reports.first()


def _start(request: HttpRequest, project) -> HttpResponse:
    if start_from_page(request, project, agreement_job.KIND):
        messages.success(
            request, "Agreement is being computed; the report appears when it is done."
        )
    return redirect("annotator-agreement", project.pk)


def _value(entry: dict, path: tuple[str, ...]):
    for key in path:
        entry = entry.get(key) if isinstance(entry, dict) else None
    return entry


def heat(value: float | None, low: float = 0.0) -> str:
    """A class for a background from red (low) through yellow to green (1.0), in 11 steps.

    Classes, not style attributes: the Content-Security-Policy allows no inline styles.
    """
    if value is None:
        return "heat-none"
    share = max(0.0, min(1.0, (value - low) / (1.0 - low)))
    return f"heat-{round(share * 10)}"


def _report_context(report: AgreementReport, query) -> dict:
    result = report.result
    names = result["annotators"]
    measure = query.get("measure") if query.get("measure") in MEASURES else "kappa"
    pairs = {(p["a"], p["b"]): p for p in result["pairs"]}
    matrix = []
    for a in names:
        row = []
        for b in names:
            pair = pairs.get((a, b)) or pairs.get((b, a))
            value = _value(pair, MEASURES[measure][1]) if pair else None
            row.append({"b": b, "pair": pair, "value": value, "style": heat(value)})
        matrix.append({"a": a, "cells": row})
    index = _pair_index(result["pairs"], query.get("pair"))
    pair = result["pairs"][index] if result["pairs"] else None
    return {
        "result": result,
        "measure": measure,
        "measures": {k: v[0] for k, v in MEASURES.items()},
        "measure_title": MEASURES[measure][0],
        "matrix": matrix,
        "pair": pair,
        "pair_index": index,
        "label_bars": _label_bars(pair, result["labels"]) if pair else [],
        "confusion": _confusion(pair) if pair else None,
        "against_gold": _in_order(result.get("against_gold", {}), names),
        "queue_size": report.queue.get("sentence_count", 0),
    }


def _in_order(by_name: dict, names: list[str]) -> dict:
    """PostgreSQL's jsonb keeps keys in its own order; show them in the report's."""
    return {name: by_name[name] for name in names if name in by_name}


def _pair_index(pairs: list, wanted: str | None) -> int:
    if wanted and wanted.isdigit() and int(wanted) < len(pairs):
        return int(wanted)
    return 0


def _label_bars(pair: dict, labels: list[str]) -> list[dict]:
    exact = pair["span"]["exact"]["per_label"]
    overlap = pair["span"]["overlap"]["per_label"]
    bars = []
    for label in labels:
        row = exact.get(label, {})
        f1 = row.get("f1")
        loose = overlap.get(label, {}).get("f1")
        bars.append(
            {
                "label": label,
                "f1": f1,
                "overlap": loose,
                "width": round((f1 or 0) * 100),
                "overlap_width": round((loose or 0) * 100),
                "a": row.get("a", 0),
                "b": row.get("b", 0),
            }
        )
    return bars


def _confusion(pair: dict) -> dict:
    labels = pair["confusion"]["labels"]
    rows = []
    for la, counts in zip(labels, pair["confusion"]["matrix"], strict=True):
        total = sum(counts) or 1
        cells = []
        for lb, count in zip(labels, counts, strict=True):
            share = count / total
            diagonal = la == lb
            # Blue for agreement, red for confusion (a third of a row is already deep red).
            style = (
                f"agree-{round(share * 10)}"
                if diagonal
                else f"confuse-{round(min(1.0, share * 3) * 10)}"
            )
            cells.append({"lb": lb, "count": count, "style": style, "link": count and not diagonal})
        rows.append({"la": la, "cells": cells, "total": sum(counts)})
    return {"labels": labels, "rows": rows}


@login_required
@require_GET
def agreement_cell(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    """The sentences behind one cell: where a and b disagree (on a label, or A for B)."""
    who = access.report_reader(user=request.user, project_pk=pk)
    if not who.sees_everything:
        raise PermissionDenied("In a blind project the sentences behind the figures are hidden.")
    report = get_object_or_404(AgreementReport, pk=report_id, project=who.project)
    a, b, cell = request.GET.get("a", ""), request.GET.get("b", ""), request.GET.get("cell", "any")
    pair = report.cells.get(f"{a}|{b}")
    if pair is None:
        a, b = b, a
        pair = report.cells.get(f"{a}|{b}")
        cell = "|".join(reversed(cell.split("|"))) if "|" in cell else cell
    if pair is None:
        raise Http404("No such pair in this report.")
    found = pair.get(cell, {"count": 0, "sentences": []})
    context = {
        "project": who.project,
        "access": who,
        "report": report,
        "a": a,
        "b": b,
        "cell": cell,
        "title": _cell_title(a, b, cell),
        **_titles(who.project, a, b),
        "count": found["count"],
        "sentences": _drill_sentences(who, found["sentences"], a, b),
    }
    return render(request, "annotator/agreement_cell.html", context)


def _titles(project, a: str, b: str) -> dict[str, str]:
    titles = selectors.layer_titles(project, {a, b})
    return {"a_title": titles[a], "b_title": titles[b]}


def _cell_title(a: str, b: str, cell: str) -> str:
    if cell.startswith("label:"):
        return f"Where {a} and {b} disagree on {cell.removeprefix('label:')}"
    if "|" in cell:
        la, lb = cell.split("|", 1)
        return f"Where {a} says {la} and {b} says {lb}"
    return f"Where {a} and {b} disagree"


def _drill_sentences(who: access.Access, refs: list, a: str, b: str) -> list[dict]:
    """Tokens with both layers' tags, for sentences the user may see, in the report's order."""
    visible = set(who.documents().filter(pk__in={d for d, _ in refs}).values_list("pk", flat=True))
    wanted = {(d, p) for d, p in refs if d in visible}
    rows = SentenceTags.objects.filter(
        layer__document_id__in=visible,
        layer__name__in=[a, b],
        sentence__position__in={p for _, p in wanted},
    ).values_list(
        "layer__document_id",
        "layer__document__name",
        "layer__document__scheme",
        "layer__name",
        "sentence__position",
        "sentence__tokens",
        "tags",
    )
    found: dict[tuple[int, int], dict] = {}
    for document, name, doc_scheme, layer, position, tokens, tags in rows:
        if (document, position) not in wanted:
            continue
        entry = found.setdefault(
            (document, position),
            {"document": document, "name": name, "position": position, "tokens": tokens},
        )
        entry["scheme"] = doc_scheme
        entry["a" if layer == a else "b"] = tags
    items = []
    colours = selectors.label_colours(who.project)
    for ref in refs:
        entry = found.get(tuple(ref))
        if entry and "a" in entry and "b" in entry:
            entry["a_html"], entry["b_html"] = compare.readings(
                entry["tokens"], entry["a"], entry["b"], entry["scheme"], colours
            )
            entry["cells"] = [
                {"text": t, "a": x, "b": y, "differs": x != y}
                for t, x, y in zip(entry["tokens"], entry["a"], entry["b"], strict=True)
            ]
            items.append(entry)
    return items


@login_required
@require_GET
def adjudication_queue(request: HttpRequest, pk: int) -> HttpResponse:
    """Documents and sentences where the compared layers disagree most, first."""
    who = access.project_access(request.user, pk, REVIEWER)
    report = who.project.reports.first()
    queue = report.queue if report else {}
    documents = agreement.documents_by_id(
        [d for d, *_ in queue.get("documents", [])] + [d for d, *_ in queue.get("sentences", [])]
    )
    context = {
        "project": who.project,
        "access": who,
        "report": report,
        "documents": [
            {"document": documents[d], "score": score, "sentences": n}
            for d, score, n in queue.get("documents", [])
            if d in documents
        ],
        "sentences": [
            {"document": documents[d], "position": p, "score": score}
            for d, p, score in queue.get("sentences", [])[:200]
            if d in documents
        ],
        "layers": report.params.get("layers", []) if report else [],
        "votes": who.project.jobs.filter(kind=adjudication.KIND)[:5],
        "workers_alive": jobs.workers_alive(),
    }
    return render(request, "annotator/adjudication_queue.html", context)


@login_required
@require_POST
def majority_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Build gold by majority vote as a job, for chosen documents or the whole project."""
    who = access.project_access(request.user, pk, REVIEWER)
    project = who.project
    job = start_from_page(request, project, majority_vote_job.KIND)
    if job is not None:
        messages.success(
            request, f"Building gold by vote (job {job.pk}); ties will be listed here."
        )
    return redirect(reverse("annotator-adjudication-queue", args=[project.pk]))
