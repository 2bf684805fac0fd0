"""The corpus (projects, documents, sentences), its tag layers and their history.

Storage is per sentence, not per token: a sentence row holds its tokens as a JSON array, and each
tag layer holds one row per sentence with the tags as a JSON array. A 1,000,000-token corpus is
about 45,000 sentence rows instead of a million token rows, which is what makes bulk import and
export fast. Token search goes through `TokenIndex` (one row per distinct token text per document).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

# Layer names with a meaning: the tags as imported (read-only) and the reviewed gold tags.
IMPORTED = "imported"
GOLD = "gold"

ADJUDICATION_RULES = [("majority", "Majority agrees"), ("all", "All agree")]
SCHEME_CHOICES = [
    ("iob1", "IOB1"),
    ("iob2", "IOB2 / BIO"),
    ("bioes", "BIOES / IOBES"),
    ("bilou", "BILOU"),
]


class Project(models.Model):
    name = models.CharField(max_length=200, unique=True)
    labels = models.JSONField(default=list, blank=True, help_text="Entity labels, in order.")
    label_colours = models.JSONField(
        default=dict, blank=True, help_text="Label -> palette index (annotator/nlp/palette.py)."
    )
    scheme = models.CharField(max_length=8, choices=SCHEME_CHOICES, default="iob2")
    # Workload rules, together on the project's settings page.
    blind = models.BooleanField(
        default=True,
        help_text="Annotators see only their own tasks' documents and layers, no agreement.",
    )
    annotators_per_document = models.PositiveSmallIntegerField(
        default=1, help_text="k: how many annotators auto-assignment gives each document."
    )
    max_open_tasks = models.PositiveIntegerField(
        null=True, blank=True, help_text="Cap of open tasks per annotator (empty: no cap)."
    )
    abandon_after_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="An untouched task returns to the pool after this many hours (empty: never).",
    )
    task_size = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Split documents into tasks of this many sentences (empty: whole documents).",
    )
    adjudication_rule = models.CharField(
        max_length=10,
        choices=ADJUDICATION_RULES,
        default="majority",
        help_text="When adjudicating, spans this many annotators agree on go into gold unasked.",
    )
    agreement_open = models.BooleanField(
        default=False, help_text="Annotators may read the agreement report too."
    )
    retrain_every = models.PositiveIntegerField(
        default=200,
        help_text="Retrain the suggestion model after this many newly reviewed sentences.",
    )
    # Retrain-as-you-go bookkeeping (services/learning.py): the reviewed count at the last
    # request, and whether a request came while a retrain job was queued or running.
    learned_reviewed = models.PositiveIntegerField(default=0)
    retrain_wanted = models.BooleanField(default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        # A site-wide right, granted by a superuser (Members page or `grant_create_projects`).
        permissions = [("create_project", "Can create projects")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager"
        ANNOTATOR = "annotator"
        REVIEWER = "reviewer"

    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user", "role"], name="unique_member_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in {self.project}"


class Document(models.Model):
    """One document of a project; keeps what is needed to write its file back byte for byte."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=300)
    source_name = models.CharField(max_length=300, help_text="The file it was imported from.")
    scheme = models.CharField(max_length=8, choices=SCHEME_CHOICES, default="iob2")
    encoding = models.CharField(max_length=40, default="utf-8")
    bom = models.BooleanField(default=False)
    newline = models.CharField(max_length=2, default="\n")
    delimiter = models.CharField(max_length=1, default="\t")
    columns = models.PositiveSmallIntegerField(default=2)
    tag_column = models.PositiveSmallIntegerField(default=1)
    format = models.CharField(
        max_length=20, default="conll", help_text="The file format it was imported from."
    )
    trailer = models.TextField(blank=True, help_text="Raw lines after the last sentence.")
    sentence_count = models.PositiveIntegerField(default=0)
    token_count = models.PositiveIntegerField(default=0)
    calibration = models.BooleanField(
        default=False, help_text="Every annotator gets this document (for agreement)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "position"]
        constraints = [
            models.UniqueConstraint(fields=["project", "position"], name="unique_document_position")
        ]

    def __str__(self) -> str:
        return self.name


class Sentence(models.Model):
    # No index of its own: the unique (document, position) index serves it, one less to write.
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="sentences", db_index=False
    )
    position = models.PositiveIntegerField()
    tokens = models.JSONField()
    extras = models.JSONField(null=True, blank=True, help_text="Other CoNLL columns per token.")
    before = models.TextField(blank=True, help_text="Raw non-token lines before the sentence.")
    formats = models.JSONField(null=True, blank=True, help_text="Token lines of unusual shape.")
    line = models.PositiveIntegerField(default=0, help_text="Line of the first token in its file.")
    source = models.JSONField(
        null=True,
        blank=True,
        help_text="What a non-CoNLL format needs to write the record back (text, other fields).",
    )

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "position"], name="unique_sentence_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document} #{self.position}"


class TagLayer(models.Model):
    """One complete version of a document's tags: imported, an annotator's, a model's, gold."""

    class Kind(models.TextChoices):
        IMPORTED = "imported"
        ANNOTATOR = "annotator"
        MODEL = "model"
        GOLD = "gold"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    invalid_count = models.PositiveIntegerField(default=0)
    reviewed_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "name"], name="unique_layer_name")
        ]

    def __str__(self) -> str:
        return f"{self.document} / {self.name}"

    @property
    def editable(self) -> bool:
        """A kind that is ever edited (gold, annotators' layers); who may is access.py's rule."""
        return self.kind in (self.Kind.GOLD, self.Kind.ANNOTATOR)


class SentenceTags(models.Model):
    """The tags of one sentence in one layer; `version` rises with each edit (stale edits: 409)."""

    # Served by the unique (layer, sentence) index.
    layer = models.ForeignKey(
        TagLayer, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    sentence = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="tag_rows")
    tags = models.JSONField()
    invalid = models.JSONField(
        null=True, blank=True, help_text="Token indexes with invalid transitions."
    )
    version = models.PositiveIntegerField(default=1)
    reviewed = models.BooleanField(default=False)
    # A model layer's scores, where its model gives them (the CRF): the sequence probability of
    # its tags (the uncertainty queue's order) and each span's confidence as [start, end, conf].
    probability = models.FloatField(null=True, blank=True)
    confidence = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["layer", "sentence"], name="unique_layer_sentence")
        ]

    def __str__(self) -> str:
        return f"{self.layer} #{self.sentence_id}"


class TagChange(models.Model):
    """Audit trail and undo: the tags of a sentence in a layer before and after one edit.

    `state` places the change in its author's undo stack for the layer: `done` (undoable),
    `undone` (redoable), `dropped` (undone, then replaced by a new edit), or `log` (recorded only:
    the undo/redo/review entries themselves and bulk changes).
    """

    class State(models.TextChoices):
        DONE = "done"
        UNDONE = "undone"
        DROPPED = "dropped"
        LOG = "log"

    layer = models.ForeignKey(TagLayer, on_delete=models.CASCADE, related_name="changes")
    sentence = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=255)  # may name a layer ("take suggestions: ...")
    old_tags = models.JSONField()
    new_tags = models.JSONField()
    version = models.PositiveIntegerField(help_text="The row's version after this change.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.DONE)
    reverts = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For an undo entry: the change it undid.",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["layer", "sentence", "created_at"]),
            models.Index(fields=["layer", "user", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.sentence_id} by {self.user_id}"


class TokenIndex(models.Model):
    """Where a token text occurs: the sentence positions of one document, for corpus search."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, db_index=False
    )  # (project, text)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(
        max_length=200,
        help_text="The token, case-folded (a long one: its start and a hash, see index_key).",
    )
    sentences = models.JSONField(help_text="Sentence positions in the document, ascending.")

    class Meta:
        indexes = [models.Index(fields=["project", "text"])]

    def __str__(self) -> str:
        return self.text


class Task(models.Model):
    """One annotator's work on one document, or on a range of its sentences."""

    class State(models.TextChoices):
        ASSIGNED = "assigned"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved"
        WITHDRAWN = "withdrawn"

    OPEN_STATES = (State.ASSIGNED, State.IN_PROGRESS, State.CHANGES_REQUESTED)

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="tasks")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # the work stays, the task returns to the pool
        related_name="tasks",
    )
    layer = models.ForeignKey(TagLayer, null=True, on_delete=models.PROTECT, related_name="tasks")
    first_sentence = models.PositiveIntegerField(default=0)
    end_sentence = models.PositiveIntegerField(help_text="Position after the last sentence.")
    start_layer = models.CharField(max_length=200, default=IMPORTED)
    state = models.CharField(max_length=20, choices=State.choices, default=State.ASSIGNED)
    due = models.DateField(null=True, blank=True)
    comment = models.TextField(blank=True, help_text="The reviewer's last request.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    touched_at = models.DateTimeField(
        null=True, blank=True, help_text="Last edit by its annotator."
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["project", "state"])]
        constraints = [
            # Never the same sentences twice to the same person.
            models.UniqueConstraint(
                fields=["document", "annotator", "first_sentence"],
                condition=~models.Q(state="withdrawn"),
                name="unique_open_task_per_annotator",
            )
        ]

    def __str__(self) -> str:
        return f"{self.document} [{self.first_sentence}-{self.end_sentence}) for {self.annotator}"

    @property
    def sentence_count(self) -> int:
        return self.end_sentence - self.first_sentence

    def covers(self, position: int) -> bool:
        return self.first_sentence <= position < self.end_sentence


class TaskEvent(models.Model):
    """A recorded state change of a task: who, when, from, to, why."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.from_state} -> {self.to_state}"


class Job(models.Model):
    """Long work done by a Celery worker; the UI and API read its progress and outcome here."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINISHED = (State.DONE, State.FAILED, State.CANCELLED)

    kind = models.CharField(max_length=40)
    project = models.ForeignKey(Project, null=True, on_delete=models.CASCADE, related_name="jobs")
    params = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True, help_text="The worker of the last run.")
    sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its id last reached the broker; empty while the broker could not be "
        "reached (a worker's sweep sends it when the broker is back).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["project", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def percent(self) -> int:
        return min(100, 100 * self.done // self.total) if self.total else 0


class WorkerHeartbeat(models.Model):
    """Written by each running worker every few seconds, so pages can tell if one is alive."""

    hostname = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()
    # A worker that runs but cannot reach the broker takes no job: pages and /health/ count
    # only workers that reached it at their last beat.
    reaches_broker = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at}"


class TaggerModel(models.Model):
    """A pre-annotation model, versioned per name within a project; of a kind in
    annotator/taggers/registry.py, with that kind's settings."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="models")
    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, default="crf", help_text="A tagger kind's name.")
    path = models.CharField(
        max_length=500, blank=True, help_text="A trained model's file, relative to MODEL_ROOT."
    )
    trained_on = models.JSONField(default=dict, help_text="Layer, documents, sentences, tokens.")
    evaluation = models.JSONField(default=dict, help_text="Held-out exact-span P/R/F1 per label.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    # Last: as a class attribute it hides django.conf.settings from the lines below it.
    settings = models.JSONField(
        default=dict, blank=True, help_text="The kind's settings, as its form validated them."
    )

    class Meta:
        ordering = ["project", "name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name", "version"], name="unique_model_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class AgreementReport(models.Model):
    """Agreement measures over chosen layers and documents, as computed by a job."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    job = models.ForeignKey("Job", null=True, on_delete=models.SET_NULL, related_name="+")
    params = models.JSONField(default=dict, help_text="Layers, gold, documents, finished only.")
    # The measures (nlp.agreement's report), disagreement cells for drill-down, the queue order.
    result = models.JSONField(default=dict)
    cells = models.JSONField(default=dict)
    queue = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"agreement of {self.project} at {self.created_at:%Y-%m-%d %H:%M}"


class Decision(models.Model):
    """A reviewer's settlement of one disputed region of a sentence, kept even when it says O."""

    layer = models.ForeignKey(TagLayer, on_delete=models.CASCADE, related_name="decisions")
    sentence = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="decisions")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    chosen = models.JSONField(help_text="The spans kept, as [start, end, label]; [] = nothing.")
    rejected = models.JSONField(help_text="Spans turned down, as [start, end, label, [voters]].")
    voters = models.JSONField(default=list, help_text="Whose reading was taken, if anyone's.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sentence", "start", "-created_at"]
        indexes = [models.Index(fields=["layer", "sentence"])]

    def __str__(self) -> str:
        return f"decision on {self.sentence} [{self.start}-{self.end})"


class SuggestionFeedback(models.Model):
    """A reviewer's accept or reject of one suggested span: what the next training learns from."""

    layer = models.ForeignKey(TagLayer, on_delete=models.CASCADE, related_name="feedback")
    sentence = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="feedback")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    label = models.CharField(max_length=200)
    confidence = models.FloatField(null=True, blank=True)
    accepted = models.BooleanField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["layer", "sentence"])]

    def __str__(self) -> str:
        verdict = "accepted" if self.accepted else "rejected"
        return f"{self.label} [{self.start}-{self.end}) {verdict} on {self.sentence_id}"
