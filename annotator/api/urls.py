"""/api/: v1/ gathers each resource module's urlpatterns; schema/ and docs/ describe them.

A new resource is a module with its own `urlpatterns`, added to RESOURCES.
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from annotator.api import documents, jobs, projects, sentences, taggers, tasks

RESOURCES = [projects, documents, sentences, tasks, jobs, taggers]

urlpatterns = [
    path("v1/", include([pattern for module in RESOURCES for pattern in module.urlpatterns])),
    path("schema/", SpectacularAPIView.as_view(), name="annotator-api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="annotator-api-schema"),
        name="annotator-api-docs",
    ),
]
