"""The one parameter form of a kind (a job's parameters, a model's settings), read alike by the
page, the API and the commands.

A form is a DRF serializer: its fields hold the shape, defaults and limits; its `fit` checks
what only the project can say (ids of its documents, its labels, the site's model servers).
The API answers a refused shape with a 400 and a misfit with a 422; a page shows either as a
message, a command as its error. Pages read their forms leniently (`Clamped` fields are kept in
range and a value that is not a number takes the default), as their inputs carry the limits.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from annotator.models import Project

ID = {"min_value": 1, "max_value": 2**63 - 1}


class NotInProject(Exception):
    """Parameters of the right shape that the project cannot satisfy: {field: [messages]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class BadParams(Exception):
    """The errors per field; `shape` when the form refused them, otherwise a misfit."""

    def __init__(self, errors: dict, *, shape: bool):
        super().__init__(errors)
        self.errors, self.shape = errors, shape

    def __str__(self) -> str:
        return "; ".join(
            f"{field}: {' '.join(str(m) for m in messages)}"
            for field, messages in self.errors.items()
        )


class Form(serializers.Serializer):
    """Base of a kind's form; `fit` checks `documents` (when the form has it)."""

    def fit(self, project: Project, params: dict) -> dict:
        """The parameters, once they fit the project; NotInProject otherwise."""
        documents = params.get("documents")
        if documents:
            params = {**params, "documents": _document_ids(project, documents)}
        return params


def _document_ids(project: Project, chosen: list) -> list[int]:
    """The ids of the chosen documents, a file's name ("file:NAME") standing for every
    document imported from it; NotInProject names what the project lacks."""
    ids = [c for c in chosen if isinstance(c, int)]
    files = [c.removeprefix(FILE) for c in chosen if isinstance(c, str)]
    found = set(project.documents.filter(pk__in=ids).values_list("pk", flat=True))
    unknown = sorted(set(ids) - found)
    if unknown:
        raise NotInProject({"documents": [f"Not documents of this project: {unknown}."]})
    if files:
        parts = list(
            project.documents.filter(source_name__in=files)
            .order_by("position")
            .values_list("pk", "source_name")
        )
        missing = sorted(set(files) - {name for _, name in parts})
        if missing:
            raise NotInProject({"documents": [f"No file of this project named {missing}."]})
        ids += [pk for pk, _ in parts]
    return list(dict.fromkeys(ids))  # once each, in the order chosen


class Clamped(serializers.IntegerField):
    """A whole number within [min_value, max_value], with a default; read leniently by pages."""

    def to_internal_value(self, data):
        if not self.context.get("lenient"):
            return super().to_internal_value(data)
        try:
            number = int(data)
        except (TypeError, ValueError):
            return self.default
        return min(self.max_value, max(self.min_value, number))


class Checkbox(serializers.BooleanField):
    """A yes/no with a default for a JSON body; a page's form sends it only when ticked, so
    there absent means no (DRF would take the default)."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name not in dictionary:
            return False
        return super().get_value(dictionary)


FILE = "file:"  # a document choice naming an imported file: every document imported from it
NAME_LENGTH = 300  # Document.source_name's


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": ID["min_value"], "maximum": ID["max_value"]},
            # NUL-free, as api/schema.py says of every string the API takes
            {"type": "string", "pattern": "^file:[^\\x00]+$", "maxLength": len(FILE) + NAME_LENGTH},
        ]
    }
)
class DocumentChoice(serializers.Field):
    """A document's id, or "file:NAME" for all the documents imported from the file NAME (a
    CoNLL file with -DOCSTART- lines is one document per part)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.startswith(FILE):
            # As a CharField checks text: a file's name is never empty, NUL (which PostgreSQL
            # refuses) or a lone surrogate, and no longer than Document.source_name.
            name = serializers.CharField(max_length=NAME_LENGTH, trim_whitespace=False)
            return FILE + name.run_validation(data[len(FILE) :])
        return serializers.IntegerField(**ID).run_validation(data)

    def to_representation(self, value):
        return value


def documents_field() -> serializers.ListField:
    return serializers.ListField(
        child=DocumentChoice(),
        default=list,
        help_text='Document ids, or "file:NAME" for all those of an imported file; none: all.',
    )


def parse(form_class: type[Form], data, *, project: Project, lenient: bool = False) -> dict:
    """Validated parameters from a page's POST, an API body or a command's options."""
    form = form_class(data=data, context={"lenient": lenient, "project": project})
    if not form.is_valid():
        raise BadParams(dict(form.errors), shape=True)
    try:
        return form.fit(project, dict(form.validated_data))
    except NotInProject as error:
        raise BadParams(error.errors, shape=False) from error
