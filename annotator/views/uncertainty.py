"""Review by uncertainty across the project: the unreviewed gold sentences whose live-model
suggestions the model is least sure of, from every document, each linking to its document's
own uncertainty queue."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotator import access, selectors
from annotator.access import REVIEWER
from annotator.models import GOLD
from annotator.services import learning


@login_required
@require_GET
def project_uncertainty(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, REVIEWER)
    sentences = selectors.project_uncertainty_queue(
        who.project, learning.LIVE_LAYER, settings.SENTENCES_PER_PAGE
    )
    context = {
        "project": who.project,
        "access": who,
        "sentences": sentences,
        "live": learning.live_model(who.project),
        "live_layer": learning.LIVE_LAYER,
        "gold": GOLD,
    }
    return render(request, "annotator/uncertainty.html", context)
