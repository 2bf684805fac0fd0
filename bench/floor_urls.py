"""The edit floor: the least a Django view can do for an edit, beside the app's own URLs.

POST /bench/floor/<row>/ with JSON {"layer", "sentence", "user", "version", "old_tags", "tags"}:
one UPDATE of the sentence's row (its tags, version + 1, where the version is the one sent) and
one history INSERT, in one transaction; no authentication, no validation, no rule, nothing
read. What our edit does beyond this (who the user is, the layer rule, the version check, the
answer) is its cost.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from annotator.models import SentenceTags, TagChange
from annotator.urls import urlpatterns as app_urls


@csrf_exempt
def floor_edit(request: HttpRequest, row: int) -> JsonResponse:
    body = json.loads(request.body)
    version = body["version"] + 1
    with transaction.atomic():
        SentenceTags.objects.filter(pk=row, version=body["version"]).update(
            tags=body["tags"], version=F("version") + 1
        )
        TagChange.objects.create(
            layer_id=body["layer"],
            sentence_id=body["sentence"],
            user_id=body["user"],
            action="label",
            old_tags=body["old_tags"],
            new_tags=body["tags"],
            version=version,
        )
    return JsonResponse({"version": version, "tags": body["tags"]})


urlpatterns = [path("bench/floor/<int:row>/", floor_edit), *app_urls]
