"""Editing services: the gold layer, versions, history, undo/redo and review counts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from annotator.access import WriteRefused
from annotator.models import GOLD, IMPORTED, Membership, SentenceTags, TagChange, TagLayer
from annotator.services.assignment import assign
from annotator.services.editing import (
    EditRejected,
    StaleEdit,
    edit_sentence,
    ensure_working_layer,
    mark_reviewed,
    redo,
    replace_tags,
    undo,
)

pytestmark = pytest.mark.django_db

# small.conll, IOB2: position 0 "Alan Turing worked in New York ." B-PER I-PER O O B-LOC O;
# position 2 "Torch runs on GPUs ." has a flagged I-Device at token 3.
FIRST = ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]
FLAGGED = ["O", "O", "O", "I-Device", "O"]


@pytest.fixture
def colleague(django_user_model, project):
    """A second reviewer: gold is written by reviewers and managers."""
    user = django_user_model.objects.create_user("carl", password="colleague-pass-123")
    Membership.objects.create(project=project, user=user, role=Membership.Role.REVIEWER)
    return user


@pytest.fixture
def gold(document) -> TagLayer:
    return ensure_working_layer(document)


def sentence_id(document, position: int) -> int:
    return document.sentences.get(position=position).pk


def row(layer: TagLayer, sid: int) -> SentenceTags:
    return SentenceTags.objects.get(layer=layer, sentence_id=sid)


def tags_of(layer: TagLayer) -> dict[int, tuple]:
    return {
        r.sentence_id: (r.tags, r.invalid, r.version, r.reviewed)
        for r in SentenceTags.objects.filter(layer=layer)
    }


def layer_named(document, name: str) -> TagLayer:
    return TagLayer.objects.get(document=document, name=name)


def label(user, layer, sid, start, end, name, version=None, op="label"):
    if version is None:
        version = row(layer, sid).version
    return edit_sentence(
        user=user,
        layer=layer,
        sentence_id=sid,
        version=version,
        operation=op,
        start=start,
        end=end,
        label=name,
    )


# --- the gold layer ------------------------------------------------------------------------------


def test_the_first_edit_creates_gold_as_a_copy_of_the_imported_tags(document, member) -> None:
    imported = layer_named(document, IMPORTED)
    before = tags_of(imported)
    assert not TagLayer.objects.filter(document=document, name=GOLD).exists()

    gold = ensure_working_layer(document)
    assert gold.name == GOLD
    assert gold.kind == TagLayer.Kind.GOLD
    assert gold.editable
    copied = tags_of(gold)
    assert copied == {sid: (t, inv, ver, False) for sid, (t, inv, ver, _) in before.items()}
    assert gold.invalid_count == imported.invalid_count == 1
    assert gold.reviewed_count == 0

    sid = sentence_id(document, 0)
    label(member, gold, sid, 2, 3, "PER")
    assert tags_of(imported) == before  # the imported tags stay as they came
    assert row(gold, sid).tags == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "O"]


def test_asking_for_the_working_layer_again_does_not_copy_twice(document, member) -> None:
    gold = ensure_working_layer(document)
    label(member, gold, sentence_id(document, 0), 0, 1, "LOC")
    again = ensure_working_layer(document)
    assert again.pk == gold.pk
    assert SentenceTags.objects.filter(layer=gold).count() == document.sentence_count
    assert row(gold, sentence_id(document, 0)).tags[0] == "B-LOC"


def test_the_imported_layer_cannot_be_edited(document, member) -> None:
    imported = layer_named(document, IMPORTED)
    sid = sentence_id(document, 0)
    never = "The imported tags are kept as they came; they are never edited."
    with pytest.raises(WriteRefused, match=never):
        label(member, imported, sid, 2, 3, "PER")
    with pytest.raises(WriteRefused, match=never):
        replace_tags(
            user=member, layer=imported, sentence_id=sid, version=1, tags=["O"] * 6, action="x"
        )
    with pytest.raises(WriteRefused, match=never):
        mark_reviewed(user=member, layer=imported, sentence_id=sid)
    assert row(imported, sid).tags == FIRST
    assert not TagChange.objects.exists()


# --- edits and versions ------------------------------------------------------------------------


def test_an_edit_records_who_changed_what_and_bumps_the_version(document, gold, member) -> None:
    sid = sentence_id(document, 0)
    before = timezone.now()
    result = label(member, gold, sid, 4, 6, "LOC", version=1)
    new = ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"]
    assert result.tags == new
    assert result.version == 2
    assert row(gold, sid).tags == new
    assert row(gold, sid).version == 2
    change = TagChange.objects.get()
    assert change.user == member
    assert change.layer == gold
    assert change.sentence_id == sid
    assert change.action == "label"
    assert change.old_tags == FIRST
    assert change.new_tags == new
    assert change.version == 2
    assert change.state == TagChange.State.DONE
    assert before <= change.created_at <= timezone.now()


def test_an_edit_that_changes_nothing_records_nothing(document, gold, member) -> None:
    sid = sentence_id(document, 0)
    result = label(member, gold, sid, 0, 2, "PER", version=1)
    assert result.version == 1
    assert not TagChange.objects.exists()


def test_a_stale_version_is_refused_and_changes_nothing(document, gold, member, colleague) -> None:
    sid = sentence_id(document, 0)
    label(member, gold, sid, 2, 3, "PER", version=1)
    state = tags_of(gold)
    changes = TagChange.objects.count()
    with pytest.raises(StaleEdit) as caught:
        label(colleague, gold, sid, 2, 3, "LOC", version=1)
    assert caught.value.row.version == 2
    assert caught.value.row.tags == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "O"]
    assert "mia" in str(caught.value)
    assert tags_of(gold) == state
    assert TagChange.objects.count() == changes


@pytest.mark.parametrize("name", ["ORG", "", None, "B-PER", "per"])
def test_a_label_that_is_not_one_of_the_projects_labels_is_refused(
    document, gold, member, name
) -> None:
    sid = sentence_id(document, 0)
    with pytest.raises(EditRejected):
        label(member, gold, sid, 2, 3, name)
    assert row(gold, sid).tags == FIRST
    assert not TagChange.objects.exists()


@pytest.mark.parametrize(
    ("op", "start", "end"),
    [
        ("label", 0, 99),
        ("label", 3, 3),
        ("split", 2, 3),  # not inside a span
        ("merge", 0, 2),  # only one span
        ("repair-join", 0, 1),  # no span before
        ("rename", 0, 1),  # no such operation
    ],
)
def test_an_edit_that_does_not_fit_the_sentence_is_refused(
    document, gold, member, op, start, end
) -> None:
    sid = sentence_id(document, 0)
    with pytest.raises(EditRejected):
        label(member, gold, sid, start, end, "PER", op=op)
    assert row(gold, sid).tags == FIRST
    assert row(gold, sid).version == 1


def test_an_edit_of_a_sentence_from_another_document_is_refused(
    document, gold, member, project
) -> None:
    from tests.conftest import MARKUP, import_files

    other = import_files("Other corpus", MARKUP).project.documents.get()
    with pytest.raises(EditRejected):
        label(member, gold, other.sentences.get().pk, 0, 1, "PER", version=1)


# --- undo and redo -----------------------------------------------------------------------------


def test_undo_restores_the_previous_tags_and_redo_applies_the_edit_again(
    document, gold, member
) -> None:
    sid = sentence_id(document, 0)
    label(member, gold, sid, 0, 6, "LOC", version=1)
    edited = row(gold, sid).tags
    assert edited == ["B-LOC"] + ["I-LOC"] * 5

    undone = undo(user=member, layer=gold)
    assert undone.sentence_id == sid
    assert row(gold, sid).tags == FIRST
    assert row(gold, sid).version == 3  # undo is a change too: stale pages must reload
    original = TagChange.objects.get(action="label")
    assert original.state == TagChange.State.UNDONE
    entry = TagChange.objects.get(action="undo")
    assert entry.reverts == original
    assert entry.state == TagChange.State.LOG
    assert (entry.old_tags, entry.new_tags) == (edited, FIRST)

    redone = redo(user=member, layer=gold)
    assert redone.sentence_id == sid
    assert row(gold, sid).tags == edited
    assert row(gold, sid).version == 4
    assert TagChange.objects.get(action="label").state == TagChange.State.DONE

    assert redo(user=member, layer=gold) is None  # nothing more to redo
    undo(user=member, layer=gold)
    assert row(gold, sid).tags == FIRST


def test_undo_walks_back_through_several_edits_in_order(document, gold, member) -> None:
    first, second = sentence_id(document, 0), sentence_id(document, 1)
    label(member, gold, first, 2, 3, "PER")
    label(member, gold, second, 0, 1, "LOC")
    label(member, gold, first, 3, 4, "LOC")
    undo(user=member, layer=gold)
    assert row(gold, first).tags == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "O"]
    undo(user=member, layer=gold)
    assert row(gold, second).tags[0] == "O"
    undo(user=member, layer=gold)
    assert row(gold, first).tags == FIRST
    assert undo(user=member, layer=gold) is None
    redo(user=member, layer=gold)
    assert row(gold, first).tags == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "O"]
    assert row(gold, second).tags[0] == "O"


def test_nothing_to_undo_or_redo_gives_none(gold, member) -> None:
    assert undo(user=member, layer=gold) is None
    assert redo(user=member, layer=gold) is None


def test_a_new_edit_after_undo_drops_the_redo(document, gold, member) -> None:
    sid = sentence_id(document, 0)
    label(member, gold, sid, 2, 3, "PER")
    undo(user=member, layer=gold)
    label(member, gold, sid, 3, 4, "LOC")
    assert TagChange.objects.get(action="label", new_tags__2="B-PER").state == (
        TagChange.State.DROPPED
    )
    assert redo(user=member, layer=gold) is None
    assert row(gold, sid).tags == ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "O"]
    undo(user=member, layer=gold)
    assert row(gold, sid).tags == FIRST


def test_undo_refuses_when_someone_else_changed_the_sentence_after_your_edit(
    document, gold, member, colleague
) -> None:
    sid = sentence_id(document, 0)
    label(member, gold, sid, 2, 3, "PER")
    label(colleague, gold, sid, 3, 4, "LOC")
    theirs = row(gold, sid).tags
    with pytest.raises(StaleEdit) as caught:
        undo(user=member, layer=gold)
    assert caught.value.row.tags == theirs
    assert row(gold, sid).tags == theirs
    assert row(gold, sid).version == 3
    assert TagChange.objects.get(user=member).state == TagChange.State.DONE


def test_two_users_have_separate_undo_stacks(document, gold, member, colleague) -> None:
    first, second = sentence_id(document, 0), sentence_id(document, 1)
    label(member, gold, first, 2, 3, "PER")
    label(colleague, gold, second, 0, 1, "LOC")
    theirs = row(gold, second).tags

    undone = undo(user=member, layer=gold)
    assert undone.sentence_id == first
    assert row(gold, first).tags == FIRST
    assert row(gold, second).tags == theirs  # the colleague's edit stays
    assert undo(user=member, layer=gold) is None

    assert redo(user=colleague, layer=gold) is None  # mia's undo is not carl's to redo
    undo(user=colleague, layer=gold)
    assert row(gold, second).tags[0] == "O"
    redo(user=member, layer=gold)
    assert row(gold, first).tags == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "O"]
    assert row(gold, second).tags[0] == "O"


def test_undo_stacks_are_per_layer(document, gold, member) -> None:
    # The manager annotates too: a task of their own gives them a layer they may write.
    task = assign(
        manager=member, project=document.project, documents=[document], annotators=[member]
    )
    other = task[0].layer
    assert other.kind == TagLayer.Kind.ANNOTATOR
    sid = sentence_id(document, 0)
    label(member, gold, sid, 2, 3, "PER")
    assert undo(user=member, layer=other) is None
    assert row(gold, sid).tags[2] == "B-PER"


# --- review and flags --------------------------------------------------------------------------


def test_marking_reviewed_counts_into_the_layer_and_back(document, gold, member) -> None:
    first, second = sentence_id(document, 0), sentence_id(document, 1)
    mark_reviewed(user=member, layer=gold, sentence_id=first)
    mark_reviewed(user=member, layer=gold, sentence_id=second)
    mark_reviewed(user=member, layer=gold, sentence_id=second)  # twice counts once
    gold.refresh_from_db()
    assert gold.reviewed_count == 2
    assert row(gold, first).reviewed

    mark_reviewed(user=member, layer=gold, sentence_id=first, reviewed=False)
    mark_reviewed(user=member, layer=gold, sentence_id=first, reviewed=False)
    gold.refresh_from_db()
    assert gold.reviewed_count == 1
    assert not row(gold, first).reviewed
    assert gold.reviewed_count == SentenceTags.objects.filter(layer=gold, reviewed=True).count()
    actions = list(TagChange.objects.values_list("action", "state"))
    assert actions == [
        ("reviewed", "log"),
        ("reviewed", "log"),
        ("unreviewed", "log"),
    ]
    assert undo(user=member, layer=gold) is None  # reviewing is not an edit to undo


def test_the_flagged_count_follows_repairs_and_their_undo(document, gold, member) -> None:
    sid = sentence_id(document, 2)
    assert row(gold, sid).invalid == [3]
    assert gold.invalid_count == 1

    label(member, gold, sid, 3, 4, "Device", op="repair-start")
    gold.refresh_from_db()
    assert row(gold, sid).tags == ["O", "O", "O", "B-Device", "O"]
    assert row(gold, sid).invalid is None
    assert gold.invalid_count == 0
    assert layer_named(document, IMPORTED).invalid_count == 1

    undo(user=member, layer=gold)
    gold.refresh_from_db()
    assert row(gold, sid).tags == FLAGGED
    assert row(gold, sid).invalid == [3]
    assert gold.invalid_count == 1


def test_repair_join_clears_the_flag_too(document, gold, member) -> None:
    sid = sentence_id(document, 0)
    replace_tags(
        user=member,
        layer=gold,
        sentence_id=sid,
        version=1,
        tags=["B-PER", "I-LOC", "O", "O", "B-LOC", "O"],
        action="bulk",
    )
    gold.refresh_from_db()
    assert gold.invalid_count == 2
    label(member, gold, sid, 1, 2, None, op="repair-join")
    gold.refresh_from_db()
    assert row(gold, sid).tags == ["B-LOC", "I-LOC", "O", "O", "B-LOC", "O"]
    assert gold.invalid_count == 1
    assert gold.invalid_count == sum(
        len(r.invalid or ()) for r in SentenceTags.objects.filter(layer=gold)
    )


# --- replace_tags ------------------------------------------------------------------------------


def test_replace_tags_writes_a_whole_sentence_and_logs_it(document, gold, member) -> None:
    sid = sentence_id(document, 2)
    new = ["B-Device", "O", "O", "B-Device", "O"]
    result = replace_tags(
        user=member, layer=gold, sentence_id=sid, version=1, tags=new, action="repair-all"
    )
    assert result.tags == new
    assert result.version == 2
    assert result.invalid is None
    gold.refresh_from_db()
    assert gold.invalid_count == 0
    change = TagChange.objects.get()
    assert (change.action, change.state, change.old_tags, change.new_tags) == (
        "repair-all",
        TagChange.State.LOG,
        FLAGGED,
        new,
    )


@pytest.mark.parametrize(
    "tags",
    [
        ["O", "O", "O", "O"],  # too short
        ["O", "O", "O", "O", "O", "O"],  # too long
        ["O", "O", "O", "X-Device", "O"],  # malformed
        ["O", "O", "O", "b-Device", "O"],
        ["O", "O", "O", "", "O"],
        ["O", "O", "O", "B-", "O"],
    ],
)
def test_replace_tags_refuses_the_wrong_length_or_malformed_tags(
    document, gold, member, tags
) -> None:
    sid = sentence_id(document, 2)
    with pytest.raises(EditRejected):
        replace_tags(user=member, layer=gold, sentence_id=sid, version=1, tags=tags, action="x")
    assert row(gold, sid).tags == FLAGGED
    assert row(gold, sid).version == 1
    assert not TagChange.objects.exists()


def test_replace_tags_with_a_stale_version_is_refused(document, gold, member) -> None:
    sid = sentence_id(document, 2)
    label(member, gold, sid, 0, 1, "Device")
    with pytest.raises(StaleEdit):
        replace_tags(user=member, layer=gold, sentence_id=sid, version=1, tags=FLAGGED, action="x")
    assert row(gold, sid).tags == ["B-Device", "O", "O", "I-Device", "O"]


# --- concurrency (real transactions, PostgreSQL row locks) -------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_edits_of_one_version_never_lose_an_update(
    document, member, colleague
) -> None:
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the row lock is what this checks")
    gold = ensure_working_layer(document)
    sid = sentence_id(document, 0)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(user, start: int, name: str) -> None:
        try:
            barrier.wait()
            label(user, gold, sid, start, start + 1, name, version=1)
            outcomes[user.username] = "saved"
        except StaleEdit:
            outcomes[user.username] = "stale"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=(member, 2, "PER")),
        threading.Thread(target=attempt, args=(colleague, 3, "LOC")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == ["saved", "stale"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    change = TagChange.objects.get()
    assert change.user.username == winner
    current = row(gold, sid)
    assert current.version == 2
    assert current.tags == change.new_tags


def test_labelling_the_token_before_a_flagged_token_labels_only_that_token(
    document, gold, member
) -> None:
    # "Torch runs on GPUs ." is O O O I-Device O, with I-Device flagged. The reviewer labels
    # "on" alone; "GPUs" must not silently become part of that span (and lose its flag).
    from annotator.nlp.scheme import Span, spans

    sid = sentence_id(document, 2)
    result = label(member, gold, sid, 2, 3, "Device")
    assert Span(2, 3, "Device") in spans(result.tags, "iob2"), result.tags
