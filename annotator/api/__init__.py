"""The HTTP API (/api/v1/): DRF views that ask annotator.access and call the same services as
the pages. One module per resource, each with its own `urlpatterns`; urls.py includes them."""
