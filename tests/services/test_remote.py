"""Remote models: the HTTP contract, the example CRF server, and pre-annotation through it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from annotator import params
from annotator.examples.crf_server import serve
from annotator.models import Job, Project, SentenceTags, TaggerModel, TagLayer
from annotator.nlp import crf, remote, remote_hosts
from annotator.services import corpus, jobs, tagger_models
from tests.paths import DEMO_SAMPLE

SAMPLE = DEMO_SAMPLE
LOOPBACK = remote_hosts.parse_rules(["127.0.0.1"])  # the test servers listen there
# The administrator allows model servers on loopback, unless a test says otherwise.
pytestmark = pytest.mark.usefixtures("loopback_model_servers")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    from annotator.nlp import conll

    with SAMPLE.open("rb") as stream:
        sentences = [
            (e.tokens, e.tags)
            for e in conll.read(stream, SAMPLE.name)
            if isinstance(e, conll.Sentence)
        ]
    path = tmp_path_factory.mktemp("model") / "sample.crfsuite"
    crf.train(sentences, path, iterations=15)
    return path


def _running(server: ThreadingHTTPServer):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/"


@pytest.fixture
def crf_server(model_file):
    server = serve(model_file, port=0)
    yield _running(server)
    server.shutdown()


def fake_server(answer):
    """A server answering every POST with `answer(sentences)` as JSON."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            sentences = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            data = json.dumps(answer(sentences["sentences"])).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def test_the_example_server_answers_like_the_model_it_serves(crf_server, model_file) -> None:
    tokens = [["Keras", "is", "a", "neural", "network", "library", "."]]
    assert remote.tag_batch(crf_server, tokens, allowed=LOOPBACK) == [
        crf.Tagger(model_file).tag(tokens[0])
    ]


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        (lambda s: {"tags": [["O"] for _ in s]}, "not as many tags"),
        (lambda s: {"labels": []}, "must answer"),
        (lambda s: {"tags": [["X-Foo"] * len(t) for t in s]}, "malformed tag"),
    ],
)
def test_a_server_that_breaks_the_contract_is_named_with_the_problem(answer, complaint) -> None:
    server = fake_server(answer)
    url = _running(server)
    try:
        with pytest.raises(remote.RemoteError, match=complaint):
            remote.tag_batch(url, [["a", "b"]], allowed=LOOPBACK)
    finally:
        server.shutdown()


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(remote.RemoteError, match="could not be reached"):
        remote.tag_batch("http://127.0.0.1:9/", [["a"]], allowed=LOOPBACK, timeout=2)


@pytest.fixture
def sample_project(db) -> Project:
    with SAMPLE.open("rb") as stream:
        return corpus.import_conll(project_name="Remote", files=[(SAMPLE.name, stream)]).project


def register(project: Project, name: str, url: str) -> TaggerModel:
    settings = {"url": url}
    return tagger_models.register(
        user=None, project=project, kind="remote", name=name, settings=settings
    )


def run(project, model) -> Job:
    job = Job.objects.create(kind="preannotate", project=project, params={"model": model.pk})
    jobs.run_job(job.pk)
    job.refresh_from_db()
    return job


def test_preannotation_through_the_example_server_writes_the_models_tags(
    sample_project, crf_server, model_file, db
) -> None:
    model = register(sample_project, "r", crf_server)

    job = run(sample_project, model)

    assert job.state == Job.State.DONE, job.error
    layer = TagLayer.objects.get(name=job.result["layer"])
    row = SentenceTags.objects.filter(layer=layer).order_by("sentence__position").first()
    tokens = row.sentence.tokens
    assert row.tags == crf.Tagger(model_file).tag(tokens)


def test_a_model_answering_labels_the_project_lacks_fails_and_writes_nothing(
    sample_project, db
) -> None:
    server = fake_server(lambda s: {"tags": [["B-Spaceship"] + ["O"] * (len(t) - 1) for t in s]})
    url = _running(server)
    model = register(sample_project, "odd", url)
    layers = TagLayer.objects.count()
    try:
        job = run(sample_project, model)
    finally:
        server.shutdown()
    assert job.state == Job.State.FAILED
    assert "Spaceship" in job.error
    assert TagLayer.objects.count() == layers


# --- the administrator's allow-list, and errors that tell nothing of the far side -------------


class RawServer:
    """A TCP server on loopback that answers every connection with fixed bytes (Redis-like,
    or a bare HTTP answer), and counts the connections it got."""

    def __init__(self, answer: bytes):
        import socket

        self.answer = answer
        self.hits = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with connection:
                self.hits += 1
                connection.recv(65536)
                connection.sendall(self.answer)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_server():
    servers = []

    def start(answer: bytes) -> RawServer:
        servers.append(RawServer(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def http_answer(status: str, body: bytes = b"", *headers: str) -> bytes:
    head = "".join(f"{header}\r\n" for header in headers)
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


def test_with_no_servers_allowed_no_remote_model_can_be_added(sample_project, settings) -> None:
    settings.REMOTE_MODEL_HOSTS = []  # the default
    with pytest.raises(params.BadParams, match="not one of this site's model servers"):
        register(sample_project, "r", "http://127.0.0.1:6379/")
    assert not sample_project.models.exists()


def test_a_manager_is_told_on_the_page_and_in_the_api_why_a_url_is_refused(
    sample_project, settings, django_user_model
) -> None:
    from django.test import Client
    from django.urls import reverse
    from rest_framework.authtoken.models import Token

    from annotator.models import Membership

    settings.REMOTE_MODEL_HOSTS = ["models.example.org"]
    manager = django_user_model.objects.create_user("manny", password="pw-manny-123")
    Membership.objects.create(project=sample_project, user=manager, role="manager")
    client = Client()
    client.force_login(manager)

    page = client.post(
        reverse("annotator-model-register", args=[sample_project.pk, "remote"]),
        {"name": "probe", "url": "http://127.0.0.1:5432/"},
        follow=True,
    )
    assert "127.0.0.1:5432 is not one of this site&#x27;s model servers" in page.content.decode()

    api = Client(headers={"Authorization": f"Token {Token.objects.create(user=manager).key}"})
    answer = api.post(
        reverse("annotator-api-model-list", args=[sample_project.pk]),
        {"kind": "remote", "name": "probe", "url": "http://localhost:8000/"},
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert "not one of this site's model servers" in answer.json()["errors"]["url"][0]
    assert not sample_project.models.exists()


def test_a_name_allowed_by_the_administrator_may_not_lead_to_this_machine(
    sample_project, settings
) -> None:
    settings.REMOTE_MODEL_HOSTS = ["localhost"]  # resolves to loopback: Redis, the app...
    with pytest.raises(params.BadParams):
        register(sample_project, "r", "http://localhost:6379/")


def test_a_server_taken_off_the_list_is_not_called_by_a_later_job(
    sample_project, settings, raw_server
) -> None:
    server = raw_server(http_answer("200 OK", b'{"tags": []}'))
    model = register(sample_project, "r", server.url)
    settings.REMOTE_MODEL_HOSTS = []

    job = run(sample_project, model)

    assert job.state == Job.State.FAILED
    assert "not one of this site's model servers" in job.error
    assert server.hits == 0


def test_a_redirect_is_not_followed(sample_project, raw_server) -> None:
    elsewhere = raw_server(http_answer("200 OK", b'{"tags": []}'))
    server = raw_server(http_answer("302 Found", b"", f"Location: {elsewhere.url}"))
    model = register(sample_project, "r", server.url)

    job = run(sample_project, model)

    assert job.state == Job.State.FAILED
    assert job.error == "the model server did not answer as expected (HTTP 302)"
    assert elsewhere.hits == 0


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        # Redis answering an HTTP request
        (b"-ERR unknown command 'POST', with args beginning with: \r\n", "could not be reached"),
        # PostgreSQL closing the connection
        (b"", "could not be reached"),
        # an internal web app answering with its own error page
        (
            http_answer("500 Internal Server Error", b"<h1>admin console v2.3 on db-7</h1>"),
            "did not answer as expected (HTTP 500)",
        ),
        (http_answer("200 OK", b"<h1>admin console v2.3 on db-7</h1>"), "not JSON"),
        (
            http_answer("200 OK", b'{"tags": [["admin console v2.3 on db-7"]]}'),
            "did not answer as expected",
        ),
    ],
)
def test_a_failed_job_says_what_went_wrong_without_echoing_the_far_side(
    sample_project, raw_server, caplog, answer, error
) -> None:
    server = raw_server(answer)
    model = register(sample_project, "r", server.url)

    job = run(sample_project, model)

    assert job.state == Job.State.FAILED
    assert error in job.error
    for leak in ("ERR", "unknown command", "admin console", "db-7", "Connection", "Errno"):
        assert leak not in job.error
    assert str(server.port) not in job.error
    assert any(server.url in record.getMessage() for record in caplog.records)  # for the admin
