"""What the API reads and answers. Writes are validated here (or by the pages' own forms) and
done by annotator.services; nothing here saves a model."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from annotator.api import strict
from annotator.api.exceptions import Impossible
from annotator.api.schema import SPACE
from annotator.forms import SCHEMES
from annotator.jobs import registry as job_registry
from annotator.jobs.export import EXPORT_SCHEMES
from annotator.models import (
    ADJUDICATION_RULES,
    SCHEME_CHOICES,
    Document,
    Job,
    Membership,
    Project,
    TaggerModel,
    TagLayer,
    Task,
)
from annotator.nlp.formats import registry
from annotator.services.editing import OPERATIONS
from annotator.taggers import registry as tagger_registry

ID = {"min_value": 1, "max_value": 2**63 - 1}
NAME = {"max_length": 200}
MAPPING_PAIR = f"^[^=\\x00]*[^={SPACE}\\x00][^=\\x00]*=[^\\x00]*[^{SPACE}\\x00][^\\x00]*$"

# --- projects and members ----------------------------------------------------------------------


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "name", "labels", "scheme", "blind", "created_at"]

    labels = serializers.ListField(child=serializers.CharField())


class ProjectCreateSerializer(serializers.Serializer):
    """A new project (superusers, and holders of the create_project permission)."""

    name = serializers.CharField(max_length=200)
    scheme = serializers.ChoiceField(choices=[c for c, _ in SCHEME_CHOICES], default="iob2")
    labels = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=list,
        help_text="In key order; none: the first imported file brings its labels.",
    )


class ProjectSettingsSerializer(serializers.Serializer):
    """What a manager may change: the settings page's fields (its form validates them)."""

    labels = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="In palette order; labels in use cannot be removed.",
    )
    blind = serializers.BooleanField(required=False)
    annotators_per_document = serializers.IntegerField(required=False, min_value=1, max_value=100)
    max_open_tasks = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    abandon_after_hours = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    task_size = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    adjudication_rule = serializers.ChoiceField(choices=ADJUDICATION_RULES, required=False)
    agreement_open = serializers.BooleanField(required=False)


class ProjectDetailSerializer(ProjectSerializer):
    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "annotators_per_document",
            "max_open_tasks",
            "abandon_after_hours",
            "task_size",
            "adjudication_rule",
            "agreement_open",
            "roles",
            "documents",
            "sentences",
            "tokens",
        ]

    roles = serializers.SerializerMethodField(help_text="Your roles in the project.")
    documents = serializers.SerializerMethodField(help_text="Documents you may see.")
    sentences = serializers.SerializerMethodField()
    tokens = serializers.SerializerMethodField()

    def get_roles(self, project) -> list[str]:
        return sorted(self.context["access"].roles)

    def get_documents(self, project) -> int:
        return self.context["totals"]["documents"]

    def get_sentences(self, project) -> int:
        return self.context["totals"]["sentences"]

    def get_tokens(self, project) -> int:
        return self.context["totals"]["tokens"]


class ProjectQuerySerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False, allow_blank=True, help_text="Names containing this.", **NAME
    )


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Membership.Role.choices))


class MemberCreateSerializer(serializers.Serializer):
    """Checked by the Members page's form; shown here for the schema."""

    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        required=False,
        write_only=True,
        help_text="Needed for a new account; leave out to add an existing user.",
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Membership.Role.choices), min_length=1
    )

    def validate_username(self, value: str) -> str:
        """As an account stores it (NFKC-normalised), and a name Django's login accepts."""
        User = get_user_model()
        value = User.normalize_username(value)
        try:
            User._meta.get_field(User.USERNAME_FIELD).run_validators(value)
        except DjangoValidationError as error:  # a rule of the user model, not of the schema
            raise Impossible({"username": list(error.messages)}) from error
        return value


# --- documents ---------------------------------------------------------------------------------


class LayerSerializer(serializers.ModelSerializer):
    class Meta:
        model = TagLayer
        fields = [
            "name",
            "kind",
            "owner",
            "editable",
            "writable",
            "read_only_reason",
            "invalid_count",
            "reviewed_count",
        ]

    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    editable = serializers.BooleanField(
        read_only=True, help_text="A kind that is ever edited (gold, annotators' layers)."
    )
    writable = serializers.SerializerMethodField(
        help_text="Whether you may write it now (the layer rule; see read_only_reason)."
    )
    read_only_reason = serializers.SerializerMethodField(
        help_text="Why you may not write it, in words; null when you may."
    )

    def _refusal(self, layer: TagLayer) -> str | None:
        return self.context["who"].write_refusal(layer)

    def get_writable(self, layer: TagLayer) -> bool:
        return self._refusal(layer) is None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_read_only_reason(self, layer: TagLayer) -> str | None:
        return self._refusal(layer)


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = [
            "id",
            "project",
            "position",
            "name",
            "source_name",
            "scheme",
            "encoding",
            "sentence_count",
            "token_count",
            "calibration",
            "created_at",
        ]


class DocumentDetailSerializer(DocumentSerializer):
    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "layers"]

    layers = serializers.SerializerMethodField(help_text="The tag layers you may see.")

    @extend_schema_field(LayerSerializer(many=True))
    def get_layers(self, document) -> list[dict]:
        return LayerSerializer(self.context["layers"], many=True, context=self.context).data


class DocumentQuerySerializer(serializers.Serializer):
    name = serializers.CharField(required=False, help_text="Exactly this name.", **NAME)
    search = serializers.CharField(
        required=False, allow_blank=True, help_text="Names containing this.", **NAME
    )


class UploadSerializer(serializers.Serializer):
    """Checked by the project page's upload form; shown here for the schema."""

    files = serializers.ListField(
        child=serializers.FileField(), help_text="One or more files of one format.", min_length=1
    )
    format = serializers.ChoiceField(
        choices=[name for name, _ in registry.choices()],
        default=registry.AUTO,
        help_text="auto: by each file's extension, then its content.",
    )
    labels = serializers.CharField(
        required=False,
        max_length=2000,
        help_text="hf files with ner_tags ids: the tag names in id order, comma-separated.",
    )
    scheme = serializers.ChoiceField(choices=SCHEMES, default="auto")
    encoding = serializers.CharField(
        required=False, max_length=40, help_text="Default: UTF-8 (with or without a BOM)."
    )
    tag_column = serializers.IntegerField(
        required=False, help_text="1-based; negative counts from the end. Default: the last."
    )
    new_labels = serializers.ChoiceField(
        choices=["add", "refuse"],
        required=False,
        help_text="Labels the project lacks: add them, or refuse the upload (422 with "
        "`unknown_labels`). Default: refuse, unless the project has no labels yet.",
    )
    map = serializers.ListField(
        # The shape parse_mapping needs (a label, "=", a label), so the schema itself forbids a
        # malformed pair: that is a 400, like every value the schema does not allow.
        child=serializers.RegexField(MAPPING_PAIR),
        required=False,
        help_text="FILE_LABEL=PROJECT_LABEL: import a file's label as one of the project's "
        "(=O drops its spans). Repeatable.",
    )


class ProblemSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField()
    message = serializers.CharField()


class ConllErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ProblemSerializer(many=True, help_text="Every problem found (up to 50 per file).")
    unknown_labels = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Labels of the files the project lacks (nothing was imported).",
    )


class ImportedSerializer(serializers.Serializer):
    documents = DocumentSerializer(many=True)
    sentences = serializers.IntegerField()
    tokens = serializers.IntegerField()
    new_labels = serializers.ListField(child=serializers.CharField())
    layers = serializers.ListField(
        child=serializers.CharField(), help_text="One layer per annotator the files named."
    )
    warning_count = serializers.IntegerField()
    warnings = ProblemSerializer(
        many=True,
        help_text="Invalid transitions (kept and flagged) and spans that did not fit the tokens.",
    )


class ExportQuerySerializer(serializers.Serializer):
    layer = serializers.CharField(
        required=False, help_text="Default: gold where it exists, else the imported tags.", **NAME
    )
    scheme = serializers.ChoiceField(choices=EXPORT_SCHEMES, default="keep")


class FormatExportQuerySerializer(ExportQuerySerializer):
    format = serializers.ChoiceField(
        choices=list(registry.FORMATS),
        required=False,
        help_text="Default: a document's own format; CoNLL for a whole project.",
    )


# --- sentences ---------------------------------------------------------------------------------


class SentenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField(help_text="0-based, in the document.")
    line = serializers.IntegerField(help_text="Line of its first token in the imported file.")
    layer = serializers.CharField()
    tokens = serializers.ListField(child=serializers.CharField(allow_blank=True))
    tags = serializers.ListField(child=serializers.CharField())
    invalid = serializers.ListField(
        child=serializers.IntegerField(), help_text="Token positions with invalid transitions."
    )
    version = serializers.IntegerField(help_text="Send it back with an edit (409 if stale).")
    reviewed = serializers.BooleanField()


class SentenceQuerySerializer(serializers.Serializer):
    layer = serializers.CharField(
        required=False,
        help_text="Default: as the document page (an annotator's own layer, else gold, else "
        "the imported tags).",
        **NAME,
    )
    flagged = serializers.BooleanField(required=False, allow_null=True, default=None)
    reviewed = serializers.BooleanField(required=False, allow_null=True, default=None)


class LayerQuerySerializer(serializers.Serializer):
    layer = serializers.CharField(required=False, **NAME)


class EditSerializer(serializers.Serializer):
    layer = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Where the edit goes; empty (or gold/imported): gold, for reviewers. "
        "Annotators name their own layer.",
        **NAME,
    )
    version = serializers.IntegerField(min_value=0, help_text="The version you read.")
    op = serializers.ChoiceField(choices=sorted(OPERATIONS))
    start = serializers.IntegerField(min_value=0, help_text="First token, 0-based.")
    end = serializers.IntegerField(
        min_value=1, required=False, help_text="After the last token (default start + 1)."
    )
    label = serializers.CharField(required=False, help_text="For op=label.", **NAME)


class _BooleanOrDefault(serializers.BooleanField):
    """A form without the field means its default (DRF's BooleanField would read False)."""

    default_empty_html = empty


class ReviewSerializer(serializers.Serializer):
    layer = serializers.CharField(required=False, allow_blank=True, default="", **NAME)
    reviewed = _BooleanOrDefault(default=True)


class StaleSerializer(serializers.Serializer):
    detail = serializers.CharField()
    sentence = SentenceSerializer(help_text="The sentence as it is now.")


# --- tasks -------------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "document",
            "annotator",
            "layer",
            "first_sentence",
            "end_sentence",
            "start_layer",
            "state",
            "due",
            "comment",
            "created_at",
            "updated_at",
            "submitted_at",
        ]

    annotator = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Null: in the pool."
    )
    layer = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)


class TaskQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Task.State.choices, required=False)
    annotator = serializers.CharField(required=False, help_text="A username.", max_length=150)
    document = serializers.IntegerField(required=False, **ID)


class AssignSerializer(serializers.Serializer):
    """Checked by the Assign page's form; shown here for the schema."""

    mode = serializers.ChoiceField(choices=[("auto", "auto"), ("hand", "hand")], default="auto")
    documents = serializers.ListField(child=serializers.IntegerField(**ID), min_length=1)
    annotators = serializers.ListField(
        child=serializers.IntegerField(**ID),
        required=False,
        help_text="User ids (see members). Auto: empty shares among all annotators.",
    )
    start_layer = serializers.CharField(
        default="imported", help_text="imported, empty, or a model layer's name.", **NAME
    )
    due = serializers.DateField(required=False, allow_null=True)


class AssignedSerializer(serializers.Serializer):
    tasks = TaskSerializer(many=True)
    unstaffed = serializers.IntegerField(help_text="Parts that could not get k annotators.")


class TransitionSerializer(serializers.Serializer):
    ACTIONS = ["start", "submit", "approve", "changes", "reassign", "withdraw"]

    action = serializers.ChoiceField(
        choices=ACTIONS,
        help_text="start, submit: the task's annotator; approve, changes: reviewers; "
        "reassign, withdraw: managers.",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required for changes."
    )
    copy_to_gold = serializers.BooleanField(default=False, help_text="For approve.")
    to = serializers.IntegerField(required=False, help_text="For reassign: a user id.", **ID)

    def validate(self, data: dict) -> dict:
        if data["action"] == "changes" and not data["comment"].strip():
            raise Impossible({"comment": ["Say what should change."]})
        if data["action"] == "reassign" and "to" not in data:
            raise Impossible({"to": ["Pick an annotator of this project."]})
        return data


class ApprovalPreviewSerializer(serializers.Serializer):
    """annotator.services.approval.ApprovalPlan.as_dict: what approving into gold would do."""

    task = serializers.IntegerField()
    copies = serializers.IntegerField(help_text="Sentences gold would take from the task.")
    same = serializers.IntegerField(help_text="Sentences gold already reads the same.")
    to_adjudication = serializers.IntegerField(
        help_text="Sentences another finished task reads differently: left out of gold."
    )
    disagree_with = serializers.DictField(
        child=serializers.IntegerField(), help_text="Annotator -> sentences they read otherwise."
    )
    kept = serializers.IntegerField(
        help_text="Sentences where gold keeps a reviewer's edit or decision."
    )
    overwrites_reviewer_work = serializers.IntegerField(help_text="Always 0.")
    summary = serializers.CharField(help_text="The same, in words.")


# --- jobs and models ---------------------------------------------------------------------------


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "project",
            "state",
            "done",
            "total",
            "percent",
            "message",
            "result",
            "error",
            "params",
            "user",
            "cancel_requested",
            "created_at",
            "started_at",
            "finished_at",
            "waiting_for_worker",
            "queue_unreachable",
        ]

    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    percent = serializers.IntegerField(read_only=True)
    result = serializers.DictField(help_text="What the job produced (e.g. the layer's name).")
    params = serializers.DictField()
    waiting_for_worker = serializers.SerializerMethodField(
        help_text="Queued while no worker is running."
    )

    queue_unreachable = serializers.SerializerMethodField(
        help_text="Queued, but the broker could not be reached when it was sent: the job is "
        "saved and a worker sends it once the broker answers again."
    )

    def get_waiting_for_worker(self, job) -> bool:
        return job.state == Job.State.QUEUED and not self.context.get("workers_alive", True)

    def get_queue_unreachable(self, job) -> bool:
        return job.state == Job.State.QUEUED and job.sent_at is None


class JobQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Job.State.choices, required=False)
    kind = serializers.CharField(required=False, max_length=40)


class JobStartSerializer(serializers.Serializer):
    """A job's kind; the rest of the body is its parameters, read by the kind's own form
    (annotator/jobs/): `per_kind` documents them, one schema per kind."""

    kind = serializers.CharField(max_length=40)

    def validate_kind(self, name: str) -> str:
        kind = job_registry.KINDS.get(name)
        if kind is None or kind.params is None:
            known = ", ".join(k.name for k in job_registry.startable())
            raise serializers.ValidationError(f"{name!r} is not a job kind started here ({known}).")
        return name


def named(component: str, form: type, *bases: type | None, **fields) -> type:
    """A kind's form under the schema component name `component` (every kind's form is called
    Params or Settings in its own module)."""
    attributes = {"__module__": __name__, "__doc__": form.__doc__, **fields}
    return type(f"{component}Serializer", (*filter(None, bases), form), attributes)


def per_kind(component: str, forms: dict, base: type | None = None) -> PolymorphicProxySerializer:
    """The schema of a body whose fields depend on its `kind`: each kind's form (with `base`'s
    fields), its `kind` fixed."""
    schemas = {}
    for name, form in forms.items():
        title = "".join(part.capitalize() for part in name.replace("-", "_").split("_"))
        kind = {"kind": serializers.ChoiceField(choices=[name])}
        schemas[name] = named(f"{title}{component}", form, base, **kind)
    return PolymorphicProxySerializer(
        component_name=component, serializers=schemas, resource_type_field_name="kind"
    )


class TaggerModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaggerModel
        fields = [
            "id",
            "name",
            "version",
            "kind",
            "settings",
            "url",
            "pipeline",
            "mapping",
            "trained_on",
            "evaluation",
            "created_by",
            "created_at",
        ]

    kind = serializers.ChoiceField(choices=tagger_registry.CHOICES, read_only=True)
    settings = serializers.DictField(help_text="The kind's settings (see the models POST).")
    # Each kind's settings at the top level too, as the API answered them before `settings`.
    url = serializers.SerializerMethodField(help_text="A remote model's `settings.url`.")
    pipeline = serializers.SerializerMethodField(help_text="A spaCy model's `settings.pipeline`.")
    mapping = serializers.SerializerMethodField(help_text="A spaCy model's `settings.mapping`.")
    trained_on = serializers.DictField()
    evaluation = serializers.DictField()
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    def get_url(self, model) -> str:
        return model.settings.get("url", "")

    def get_pipeline(self, model) -> str:
        return model.settings.get("pipeline", "")

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_mapping(self, model) -> dict:
        return model.settings.get("mapping", {})


class TaggerModelCreateSerializer(serializers.Serializer):
    """A model's kind and name; the rest of the body is its settings, read by the kind's own
    form (annotator/taggers/)."""

    kind = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=100)

    def validate_kind(self, name: str) -> str:
        if name not in {kind.name for kind in tagger_registry.registrable()}:
            known = ", ".join(kind.name for kind in tagger_registry.registrable())
            raise serializers.ValidationError(f"{name!r} is not a kind added here ({known}).")
        return name

    def to_internal_value(self, data) -> dict:
        """Kind and name, and the kind's settings checked by its form (not yet against the
        project: the service does that)."""
        errors, base = {}, {}
        try:
            base = super().to_internal_value(data)
        except serializers.ValidationError as error:
            errors.update(error.detail)
        kind = tagger_registry.KINDS.get(data.get("kind")) if isinstance(data, dict) else None
        settings = {}
        if kind is not None and kind.settings is not None:
            form = kind.settings(data=data)
            if not isinstance(data, QueryDict):
                errors.update(strict.body_errors(form, data))
            if not errors and not form.is_valid():
                errors.update(form.errors)
            settings = dict(form.validated_data) if not errors else {}
        if errors:
            raise serializers.ValidationError(errors)
        return {**base, **settings}
