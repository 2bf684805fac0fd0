"""Issue 11, problem 7: labels could never be removed, and an upload silently added its labels
to the project for good. Through the pages only, so these also run (and fail) on the code
before the fix."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotator.models import Project
from tests.conftest import row_counts

# conftest's `project` (managed by `member`) has Algorithm, Device, LOC, PER.
NEW = b"Ada\tB-PER\nLovelace\tI-PER\nin\tO\nLondon\tB-GPE\nfor\tO\nACME\tB-ORG\n"


def test_an_upload_with_labels_the_project_lacks_asks_and_keeps_the_chosen_file(
    member_client, project
) -> None:
    before, labels = row_counts(), list(project.labels)
    response = member_client.post(
        reverse("annotator-project-upload", args=[project.pk]),
        {"files": [SimpleUploadedFile("new.conll", NEW)], "scheme": "auto"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    # The question goes inside the upload form, which keeps its chosen file.
    assert response["HX-Retarget"] == f"#label-prompt-{project.pk}"
    html = response.content.decode()
    assert "This upload has labels the project does not have" in html
    assert 'aria-label="What to do with GPE"' in html and 'aria-label="What to do with ORG"' in html
    assert '<option value="=LOC">LOC</option>' in html
    assert "Cancel the upload" in html
    assert row_counts() == before
    assert Project.objects.get(pk=project.pk).labels == labels


def test_a_manager_adds_a_label_and_removes_it_again_on_settings(member_client, project) -> None:
    url = f"/projects/{project.pk}/labels/"  # by path: the route is new
    htmx = {"HX-Request": "true"}
    member_client.post(url, {"action": "add", "name": "Misc"}, headers=htmx)
    assert Project.objects.get(pk=project.pk).labels[-1] == "Misc"
    response = member_client.post(url, {"action": "remove", "label": "Misc"}, headers=htmx)
    assert "Removed Misc (no span used it)." in response.content.decode()
    assert "Misc" not in Project.objects.get(pk=project.pk).labels
