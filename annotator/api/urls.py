"""/api/: v1/ gathers each resource module's urlpatterns; schema/ and docs/ describe them.

A new resource is a module with its own `urlpatterns`, added to RESOURCES.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from annotator.api import agreement, documents, jobs, projects, sentences, taggers, tasks

RESOURCES = [projects, documents, sentences, tasks, jobs, taggers, agreement]


# Swagger UI (vendored by drf-spectacular-sidecar) sets style attributes and data: images, so its
# page allows inline styles; its scripts, including the start-up script (the split view serves
# it as a file), still come only from this site.
SWAGGER_CSP = settings.SECURE_CSP | {
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
}


@csrf_exempt  # a POST to no endpoint is a 404, whatever its cookies; it changes nothing
def not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path("v1/", include([pattern for module in RESOURCES for pattern in module.urlpatterns])),
    path("schema/", SpectacularAPIView.as_view(), name="annotator-api-schema"),
    path(
        "docs/",
        csp_override(SWAGGER_CSP)(
            SpectacularSwaggerSplitView.as_view(url_name="annotator-api-schema")
        ),
        name="annotator-api-docs",
    ),
    # Anything else under /api/ (e.g. /api/v1/tasks/abc/): JSON like every API error, not HTML.
    re_path(r"^.*$", not_found, name="annotator-api-not-found"),
]
