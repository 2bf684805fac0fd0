"""Property-based API test: schemathesis generates requests from our own OpenAPI schema and sends
them to a live server as a manager of a populated project, with every check schemathesis has
(and its config, schemathesis.toml): no answer may be a 5xx or break the schema (status code,
content type, headers, body); a request the schema forbids must be refused (4xx) and one it
allows accepted (or 422: allowed, but not possible with these values); auth must not be ignored.

Path ids are set to real objects (a random id only finds the 404, which the other tests cover),
so the generated bodies and query strings reach the views' real work. Bounded: a few examples
per operation, no deadline (a live server answers in its own time).
"""

from __future__ import annotations

import json

import pytest
import schemathesis
import schemathesis.specs.openapi.checks  # noqa: F401  (registers the OpenAPI checks)
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTERED
from schemathesis.core.parameters import ParameterLocation

from annotator.models import AgreementReport, Job, SentenceTags
from annotator.nlp.agreement import agreement_report
from annotator.services import editing, tagger_models
from tests.api.conftest import SAMPLE, token_key
from tests.conftest import import_files

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback_model_servers"),
]

CHECKS = REGISTERED.get_all()  # all of them, as `schemathesis run --checks all`


@pytest.fixture
def fuzzed(team, settings, queued) -> dict:
    """The team's project with the sample, gold, a model and a job; the ids paths point at."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100000/minute"},
    }
    import_files(team.project.name, SAMPLE)
    document = team.project.documents.order_by("position").last()
    gold = editing.ensure_working_layer(document)
    row = SentenceTags.objects.filter(layer=gold).order_by("sentence__position").first()
    editing.edit_sentence(
        user=team.manager,
        layer=gold,
        sentence_id=row.sentence_id,
        version=row.version,
        operation="label",
        start=0,
        end=1,
        label="Algorithm",
    )
    tagger_models.register(
        user=team.manager,
        project=team.project,
        kind="remote",
        name="remote",
        settings={"url": "http://127.0.0.1:9/"},
    )
    job = Job.objects.create(kind="gazetteer", project=team.project, user=team.manager)
    report = AgreementReport.objects.create(
        project=team.project,
        params={"layers": ["imported", "gold"]},
        result=agreement_report(
            {"imported": [["B-Algorithm", "O"]], "gold": [["B-Algorithm", "B-Library"]]}
        ),
    )
    return {
        "report": report.pk,
        "headers": {"Authorization": f"Token {token_key(team.manager)}"},
        "project": team.project.pk,
        "document": document.pk,
        "sentence": row.sentence_id,
        "task": team.task.pk,
        "job": job.pk,
    }


def generated_schema() -> dict:
    """The schema /api/schema/ serves, made here at collection time: schemathesis needs it to
    make one test per operation (its fixture-based loader does not run on pytest 9)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))


schema = schemathesis.openapi.from_dict(generated_schema())


def real_ids(path: str, ids: dict) -> dict:
    """The path parameters of `path` pointing at the populated objects."""
    resource = path.removeprefix("/api/v1/").split("/")[0]
    owner = {
        "projects": "project",
        "documents": "document",
        "tasks": "task",
        "jobs": "job",
        "agreement": "report",
    }
    return {"id": ids[owner[resource]], "sentence_id": ids["sentence"]}


def negative_path(case) -> bool:
    """Whether the case's path parameters are the schema-violating part: kept, to be refused."""
    path = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    return path is not None and path.mode.is_negative


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_answer_is_a_server_error_or_breaks_the_schema(case, live_server, fuzzed):
    if case.path_parameters and not negative_path(case):
        ids = real_ids(case.path, fuzzed)
        case.path_parameters = {name: ids[name] for name in case.path_parameters}
    case.call_and_validate(base_url=live_server.url, headers=fuzzed["headers"], checks=CHECKS)
