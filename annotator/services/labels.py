"""A project's labels: what an upload does with labels the project lacks, and the manager's
label changes (add, rename, recolour, reorder, merge, remove).

Kept apart from the importer on purpose: the importer only calls `NewLabels.map_tags` on each
sentence and `NewLabels.settle` at the end, whatever the file's format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from annotator.models import Project
from annotator.nlp import labels as label_edits
from annotator.nlp import palette, scheme

ADD, REFUSE = "add", "refuse"
NEW_LABEL_ACTIONS = (ADD, REFUSE)


class UnknownLabels(Exception):
    """An upload has labels the project lacks, and nobody said what to do with them."""

    def __init__(self, labels: Sequence[str]):
        self.labels = sorted(labels)
        super().__init__(
            f"the file has labels the project does not have: {', '.join(self.labels)}. "
            "Add them, map each to one of the project's labels, or cancel"
        )


class LabelError(ValueError):
    """A label change that cannot be made (a bad name, a clash, an unknown label)."""


@dataclass
class NewLabels:
    """What an import does with labels the project lacks.

    `mapping` first turns a file label into a project label (None: no entity, the spans are
    dropped); `add` names labels to add; every other label the project lacks is added when
    `action` is "add" and refused (UnknownLabels, nothing imported) when it is "refuse".
    `action=None` adds them only to a project that has no labels yet (its first file).
    """

    action: str | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)
    add: set[str] = field(default_factory=set)

    def check(self, known: Sequence[str]) -> None:
        for source, target in self.mapping.items():
            if target is not None and target not in known:
                raise LabelError(f"{source} is mapped to {target}, which is not a project label")

    def map_tags(self, tags: list[str], scheme_name: str) -> list[str]:
        """A sentence's tags as they will be stored: mapped labels replaced."""
        if not self.mapping:
            return tags
        for source, target in self.mapping.items():
            if any(tag.endswith(source) for tag in tags):  # cheap pre-check, exact below
                tags = label_edits.relabel(tags, scheme_name, source, target)
        return tags

    def settle(self, known: Sequence[str], found: set[str]) -> list[str]:
        """The project's labels after the import; UnknownLabels if some are refused."""
        unknown = found - set(known)
        adding = self.action == ADD or (self.action is None and not known)
        refused = sorted(label for label in unknown if label not in self.add and not adding)
        if refused:
            raise UnknownLabels(refused)
        return [*known, *sorted(unknown)]


def parse_mapping(pairs: Sequence[str]) -> dict[str, str | None]:
    """`FILE_LABEL=PROJECT_LABEL` pairs (the CLI's --map); `FILE_LABEL=O` drops the spans."""
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        source, equals, target = pair.partition("=")
        if not equals or not source.strip() or not target.strip():
            raise LabelError(f"{pair!r}: expected FILE_LABEL=PROJECT_LABEL (or =O to drop)")
        target = target.strip()
        mapping[source.strip()] = None if target == "O" else target
    return mapping


def choices_to_policy(labels: Sequence[str], choices: Sequence[str]) -> NewLabels:
    """The upload prompt's answers: per file label "+" (add it), "-" (drop its spans) or
    "=LABEL" (map it to that project label). Labels not answered for get the default."""
    policy = NewLabels()
    for label, choice in zip(labels, choices, strict=False):
        if choice == "+":
            policy.add.add(label)
        elif choice == "-":
            policy.mapping[label] = None
        elif choice.startswith("="):
            policy.mapping[label] = choice[1:]
    return policy


def policy_to_dict(policy: NewLabels) -> dict:
    """For a job's parameters (JSON)."""
    return {"action": policy.action, "mapping": policy.mapping, "add": sorted(policy.add)}


def policy_from_dict(data: dict) -> NewLabels:
    return NewLabels(data.get("action"), dict(data.get("mapping") or {}), set(data.get("add", ())))


def pin_colours(project: Project) -> None:
    """Store every label's colour, so reordering or removing labels never shifts the others'."""
    project.label_colours = palette.assign_colours(project.labels, project.label_colours)


def valid_label(name: str) -> str:
    """A label name as stored, or LabelError saying what is wrong with it."""
    name = name.strip()
    if not name:
        raise LabelError("a label needs a name")
    if any(c.isspace() for c in name):
        raise LabelError(f"{name!r} cannot be a label: no spaces")
    if name == "O":
        raise LabelError("'O' means no entity; it cannot be a label")
    if "-" in name[:2]:
        raise LabelError(f"{name!r} cannot be a label: it reads like a tag (B-, I-...)")
    try:
        scheme.parse_tag(f"B-{name}")
    except scheme.TagError as error:
        raise LabelError(f"{name!r} cannot be a label") from error
    if len(name) > 100:
        raise LabelError("a label has at most 100 characters")
    return name
