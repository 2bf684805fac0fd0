"""Remote models: the HTTP contract, the example CRF server, and pre-annotation through it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from annotator import services
from annotator.examples.crf_server import serve
from annotator.models import Job, Project, SentenceTags, TagLayer
from annotator.nlp import crf, remote
from annotator.services import jobs

SAMPLE = Path(__file__).resolve().parent.parent / "annotator" / "demo" / "rnn-wikipedia.conll"


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
    assert remote.tag_batch(crf_server, tokens) == [crf.Tagger(model_file).tag(tokens[0])]


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
            remote.tag_batch(url, [["a", "b"]])
    finally:
        server.shutdown()


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(remote.RemoteError, match="could not be reached"):
        remote.tag_batch("http://127.0.0.1:9/", [["a"]], timeout=2)


@pytest.fixture
def sample_project(db) -> Project:
    with SAMPLE.open("rb") as stream:
        return services.import_conll(project_name="Remote", files=[(SAMPLE.name, stream)]).project


def run(project, model) -> Job:
    job = Job.objects.create(kind="preannotate", project=project, params={"model": model.pk})
    jobs.run_job(job.pk)
    job.refresh_from_db()
    return job


def test_preannotation_through_the_example_server_writes_the_models_tags(
    sample_project, crf_server, model_file, db
) -> None:
    model = services.register_remote(user=None, project=sample_project, name="r", url=crf_server)

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
    model = services.register_remote(user=None, project=sample_project, name="odd", url=url)
    layers = TagLayer.objects.count()
    try:
        job = run(sample_project, model)
    finally:
        server.shutdown()
    assert job.state == Job.State.FAILED
    assert "Spaceship" in job.error
    assert TagLayer.objects.count() == layers
