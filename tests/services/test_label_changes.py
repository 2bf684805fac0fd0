"""A manager's label changes on the Settings page: add, rename, recolour, reorder, merge (with a
preview, all or nothing, recorded) and remove (unused at once, used after a preview)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from annotator import selectors
from annotator.models import Decision, Membership, Project, SentenceTags, TagChange
from annotator.services import label_changes
from annotator.services.editing import ensure_working_layer
from annotator.services.labels import LabelError

# conftest's `project` holds small.conll: Algorithm (2 spans), Device (1 stray I-Device on
# "GPUs", flagged), LOC (1), PER (2); `member` manages it.


def tags(project: Project, layer: str = "imported") -> list[list[str]]:
    rows = SentenceTags.objects.filter(layer__document__project=project, layer__name=layer)
    return list(rows.order_by("sentence__position").values_list("tags", flat=True))


def post(client: Client, project: Project, **data):
    url = reverse("annotator-labels", args=[project.pk])
    return client.post(url, data, headers={"HX-Request": "true"})


def notice(response) -> str:
    found = re.search(r'<div class="notice (?:ok|error)" role="\w+">([^<]*)</div>', page(response))
    return html.unescape(found[1]) if found else ""


def page(response) -> str:
    """The answer's HTML with runs of white space as one space, as a reader sees the text."""
    return " ".join(response.content.decode().split())


def test_merging_previews_first_and_changes_nothing_until_confirmed(member_client, project):
    before = tags(project)
    response = post(member_client, project, action="merge", label="Device", into="Algorithm")
    text = page(response)
    assert "Merging Device into Algorithm" in text
    assert "relabels 1 span in 1 sentence (imported 1)" in text
    assert "GPUs <del>I-Device</del> <ins>I-Algorithm</ins>" in text
    assert tags(project) == before
    project.refresh_from_db()
    assert "Device" in project.labels


def test_a_confirmed_merge_relabels_every_layer_and_records_each_sentence(
    member_client, member, project
):
    gold = ensure_working_layer(project.documents.get())
    preview = label_changes.plan_label_change(project=project, label="Device", into="Algorithm")
    old_version = SentenceTags.objects.get(layer=gold, sentence__position=2).version
    response = post(
        member_client,
        project,
        action="merge",
        label="Device",
        into="Algorithm",
        confirm="1",
        preview=preview.token,
    )
    assert notice(response) == "Merged Device into Algorithm: 2 spans relabelled."
    project.refresh_from_db()
    assert "Device" not in project.labels
    for layer in ("imported", "gold"):
        assert tags(project, layer)[2] == ["O", "O", "O", "I-Algorithm", "O"]  # still a stray
    row = SentenceTags.objects.get(layer=gold, sentence__position=2)
    assert row.invalid == [3] and row.version == old_version + 1
    history = TagChange.objects.filter(action="merge label Device into Algorithm")
    assert history.count() == 2 and {c.user for c in history} == {member}


def test_a_merge_whose_label_changed_since_the_preview_writes_nothing(member, project):
    preview = label_changes.plan_label_change(project=project, label="PER", into="LOC")
    gold = ensure_working_layer(project.documents.get())
    row = SentenceTags.objects.get(layer=gold, sentence__position=0)
    row.tags = ["B-PER", "I-PER", "O", "O", "B-PER", "O"]
    row.save()
    before = tags(project, "gold"), tags(project)
    with pytest.raises(label_changes.PreviewOutdated, match="5 spans now, 2 then"):
        label_changes.merge_labels(
            user=member, project=project, label="PER", into="LOC", preview=preview.token
        )
    assert (tags(project, "gold"), tags(project)) == before
    project.refresh_from_db()
    assert "PER" in project.labels


def test_a_used_label_is_removed_after_a_preview_of_its_spans(member_client, project):
    response = post(member_client, project, action="remove", label="PER")
    text = page(response)
    assert "Removing PER</strong>" in text and "removes 2 spans in 2 sentences" in text
    assert "Alan <del>B-PER</del> <ins>O</ins>" in text
    token = re.search(r'name="preview" value="([\w-]+)"', text)[1]
    response = post(
        member_client, project, action="remove", label="PER", confirm="1", preview=token
    )
    assert notice(response) == "Removed PER and its 2 spans."
    assert not any("PER" in tag for row in tags(project) for tag in row)
    project.refresh_from_db()
    assert "PER" not in project.labels


def test_renaming_keeps_the_spans_the_colour_and_the_key(member_client, member, project):
    project.refresh_from_db()
    colour = selectors.label_colours(project)["PER"]
    decision_layer = ensure_working_layer(project.documents.get())
    sentence = decision_layer.rows.order_by("sentence__position").first().sentence
    Decision.objects.create(
        layer=decision_layer,
        sentence=sentence,
        start=0,
        end=2,
        chosen=[[0, 2, "PER"]],
        rejected=[[0, 1, "LOC", ["ann"]]],
        user=member,
    )
    response = post(member_client, project, action="rename", label="PER", new_name="Person")
    assert notice(response) == "Renamed PER to Person (4 spans renamed)."
    project.refresh_from_db()
    assert project.labels == ["Algorithm", "Device", "LOC", "Person"]
    assert selectors.label_colours(project)["Person"] == colour
    assert tags(project)[0][:2] == ["B-Person", "I-Person"]
    assert Decision.objects.get().chosen == [[0, 2, "Person"]]
    assert 'data-label="Person"' in page(response)


def test_a_colour_and_an_order_are_the_managers_choice(member_client, project):
    post(member_client, project, action="colour", label="LOC", colour="21")
    response = post(member_client, project, action="up", label="LOC")
    project.refresh_from_db()
    assert project.labels == ["Algorithm", "LOC", "Device", "PER"]
    assert project.label_colours["LOC"] == 21
    row = page(response).split('data-label="LOC"')[1].split("</tr>")[0]
    assert "<kbd>2</kbd>" in row and 'class="span l21"' in row


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("two words", "no spaces"),
        ("O", "'O' means no entity"),
        ("B-PER", "reads like a tag"),
        ("PER", "PER is already a label"),
        ("", "a label needs a name"),
    ],
)
def test_a_bad_new_label_is_refused_saying_why(member_client, project, name, reason):
    response = post(member_client, project, action="add", name=name)
    assert response.status_code == 400
    assert reason in notice(response) and notice(response).startswith("Not done: ")


def test_renaming_to_an_existing_label_suggests_a_merge(member):
    project = Project.objects.create(name="P", labels=["A", "B"])
    with pytest.raises(LabelError, match="B is already a label: merge A into it instead"):
        label_changes.rename_label(user=member, project=project, label="A", new_name="B")


def test_only_managers_change_labels(client, project, django_user_model):
    annotator = django_user_model.objects.create_user("ann", password="pw-ann-12345")
    Membership.objects.create(project=project, user=annotator, role="annotator")
    outsider = django_user_model.objects.create_user("out", password="pw-out-12345")
    for user, status in ((annotator, 403), (outsider, 404)):
        client.force_login(user)
        assert post(client, project, action="add", name="X").status_code == status
    project.refresh_from_db()
    assert "X" not in project.labels


def test_a_change_without_the_csrf_token_is_refused(member, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert post(client, project, action="add", name="X").status_code == 403


def test_the_settings_page_shows_each_label_with_its_key_and_colour(member_client, project):
    text = page(member_client.get(reverse("annotator-settings", args=[project.pk])))
    for key, label in zip("1234", ["Algorithm", "Device", "LOC", "PER"], strict=True):
        row = text.split(f'data-label="{label}"')[1].split("</tr>")[0]
        assert f"<kbd>{key}</kbd>" in row
    assert 'name="labels_text"' not in text


def test_reordering_labels_through_the_api_keeps_their_colours(member_client, project):
    project.refresh_from_db()
    before = selectors.label_colours(project)
    response = member_client.patch(
        f"/api/v1/projects/{project.pk}/",
        {"labels": ["PER", "LOC", "Device", "Algorithm", "Misc"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    project.refresh_from_db()
    after = selectors.label_colours(project)
    assert {label: after[label] for label in before} == before
    assert after["Misc"] not in before.values()


def test_a_sentence_edited_since_the_preview_stops_the_change_even_with_as_many_spans(
    member, project
):
    gold = ensure_working_layer(project.documents.get())
    preview = label_changes.plan_label_change(project=project, label="PER", into=None)
    row = SentenceTags.objects.get(layer=gold, sentence__position=0)
    row.tags = ["O", "B-PER", "O", "O", "O", "O"]  # still one PER span, another one
    row.version += 1
    row.save()
    with pytest.raises(label_changes.PreviewOutdated, match="4 spans now, 4 then"):
        label_changes.remove_label(user=member, project=project, label="PER", preview=preview.token)
    assert "PER" in Project.objects.get(pk=project.pk).labels
