"""What approving a task into gold does, shown before it is done and then done exactly so.

Approving copies the task's sentences into gold, but never over a reviewer's work and never
as a way to settle a disagreement:
- where gold holds a reviewer's edit or an adjudication decision, gold stays as it is;
- where another finished task (submitted or approved) over the same sentences reads them
  differently, the sentences stay out of gold and go to adjudication, where both readings are
  shown and a reviewer decides.
The task page and the API preview the same `plan_approval` that `copy_into_gold` carries out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from annotator import access
from annotator.models import GOLD, IMPORTED, Decision, SentenceTags, TagChange, TagLayer, Task
from annotator.services.editing import ensure_working_layer, gold_writer, write_many

State = Task.State
APPROVED_ACTION = "approved task"
# Gold history entries that are not a reviewer's own work: approvals' copies, undo bookkeeping
# and review marks (which change no tag).
NOT_REVIEWER_WORK = ("undo", "reviewed", "unreviewed")


@dataclass
class ApprovalPlan:
    """Per sentence of the task (by id): what approving it into gold would do."""

    task: Task
    copies: list[int] = field(default_factory=list)  # gold takes the task's reading
    same: list[int] = field(default_factory=list)  # gold reads them so already
    disputed: dict[str, list[int]] = field(default_factory=dict)  # annotator -> to adjudication
    kept: list[int] = field(default_factory=list)  # a reviewer's edit or decision stays

    @property
    def to_adjudication(self) -> list[int]:
        return sorted({s for ids in self.disputed.values() for s in ids})

    def summary(self, *, done: bool = False) -> str:
        """In words: "copies 43 sentences into gold; 7 disagree with bob's task and go to
        adjudication; 0 overwrite reviewer work" ("copied" once `done`)."""
        verb = "copied" if done else "copies"
        parts = [f"{verb} {_count(len(self.copies), 'sentence')} into gold"]
        if self.same:
            parts.append(f"{len(self.same)} already read the same there")
        for name, ids in sorted(self.disputed.items()):
            parts.append(f"{len(ids)} disagree with {name}'s task and go to adjudication")
        if not self.disputed:
            parts.append("none disagrees with another finished task")
        kept = f" ({len(self.kept)} with a reviewer's edit or decision stay)" if self.kept else ""
        parts.append("0 overwrite reviewer work" + kept)
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {
            "task": self.task.pk,
            "copies": len(self.copies),
            "same": len(self.same),
            "to_adjudication": len(self.to_adjudication),
            "disagree_with": {name: len(ids) for name, ids in sorted(self.disputed.items())},
            "kept": len(self.kept),
            "overwrites_reviewer_work": 0,
            "summary": self.summary(),
        }


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def plan_approval(task: Task) -> ApprovalPlan:
    """What `copy_into_gold` would do with the task now (a few queries, whatever its size)."""
    others = list(
        Task.objects.filter(
            document_id=task.document_id,
            state__in=(State.SUBMITTED, State.APPROVED),
            first_sentence__lt=task.end_sentence,
            end_sentence__gt=task.first_sentence,
        )
        .exclude(pk=task.pk)
        .exclude(layer_id=task.layer_id)
        .exclude(layer__isnull=True)
        .select_related("annotator", "layer")
    )
    gold = TagLayer.objects.filter(document_id=task.document_id, name=GOLD).first()
    base = gold or TagLayer.objects.get(document_id=task.document_id, name=IMPORTED)
    layer_ids = {task.layer_id, base.pk, *(t.layer_id for t in others)}
    rows = SentenceTags.objects.filter(
        layer_id__in=layer_ids,
        sentence__position__gte=task.first_sentence,
        sentence__position__lt=task.end_sentence,
    ).values_list("layer_id", "sentence_id", "sentence__position", "tags")
    tags: dict[int, dict[int, list[str]]] = {}
    positions: dict[int, int] = {}
    for layer_id, sentence_id, position, row_tags in rows:
        tags.setdefault(sentence_id, {})[layer_id] = row_tags
        positions[sentence_id] = position
    settled = reviewer_work(gold, task) if gold else set()
    plan = ApprovalPlan(task)
    for sentence_id in sorted(tags, key=positions.__getitem__):
        readings = tags[sentence_id]
        mine = readings.get(task.layer_id)
        if mine is None:
            continue
        disagree = [
            _name(other)
            for other in others
            if other.covers(positions[sentence_id])
            and readings.get(other.layer_id) not in (None, mine)
        ]
        for name in disagree:
            plan.disputed.setdefault(name, []).append(sentence_id)
        if disagree:
            continue
        if sentence_id in settled:
            plan.kept.append(sentence_id)
        elif readings.get(base.pk) == mine:
            plan.same.append(sentence_id)
        else:
            plan.copies.append(sentence_id)
    return plan


def _name(task: Task) -> str:
    return task.annotator.get_username() if task.annotator else task.layer.name


def reviewer_work(gold: TagLayer, task: Task) -> set[int]:
    """Sentences of the task's range where gold holds a reviewer's work: a decision, or an
    edit still in effect (a hand edit, a take, a relabel, a repair, a vote) that is not an
    approval's copy."""
    in_range = {
        "sentence__position__gte": task.first_sentence,
        "sentence__position__lt": task.end_sentence,
    }
    decided = Decision.objects.filter(layer=gold, **in_range).values_list("sentence_id")
    edited = (
        TagChange.objects.filter(layer=gold, **in_range)
        .exclude(state__in=(TagChange.State.UNDONE, TagChange.State.DROPPED))
        .exclude(action__in=NOT_REVIEWER_WORK)
        .exclude(action__startswith=APPROVED_ACTION)
        .values_list("sentence_id")
    )
    return {pk for (pk,) in decided} | {pk for (pk,) in edited}


def copy_into_gold(
    *, user, task: Task, who: access.Access | None = None
) -> tuple[int, ApprovalPlan]:
    """Carry out `plan_approval` (call it inside the approval's transaction): the sentences it
    copies go into gold, recorded as changes of gold; returns (changed, the plan)."""
    document = task.document
    who = gold_writer(who, user, document.project)
    gold = ensure_working_layer(document, GOLD)
    gold.document = document
    # Gold's rows of the range are locked first, so no edit or decision slips in between the
    # plan and the copy.
    rows = {
        row.sentence_id: row
        for row in SentenceTags.objects.select_for_update(of=("self",)).filter(
            layer=gold,
            sentence__position__gte=task.first_sentence,
            sentence__position__lt=task.end_sentence,
        )
    }
    plan = plan_approval(task)
    theirs = SentenceTags.objects.filter(layer=task.layer, sentence_id__in=plan.copies)
    changes = [(rows[pk], tags) for pk, tags in theirs.values_list("sentence_id", "tags")]
    return write_many(gold, changes, who, f"{APPROVED_ACTION} {task.pk}"), plan
