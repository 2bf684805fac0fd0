#!/usr/bin/env python3
"""Upload a CoNLL file, pre-annotate it, wait for the job, download the result: the API's
"Script it" workflow (README), with nothing but the standard library.

    python scripts/api_workflow.py BASE_URL TOKEN PROJECT_ID FILE.conll OUT.conll

BASE_URL is the server (http://127.0.0.1:8000); TOKEN comes from the "API token" page (or
`manage.py drf_create_token USERNAME`) of a manager of project PROJECT_ID. The pre-annotation is
the gazetteer: the spans confirmed in a layer (--source; default: the imported tags) matched
over the uploaded documents; no trained model needed. OUT gets the suggestions layer as CoNLL.
Exits 0 when done; otherwise 1 with the reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

FINISHED = ("done", "failed", "cancelled")


class Failed(Exception):
    """The workflow cannot go on; the message says why."""


class Api:
    def __init__(self, base_url: str, token: str, timeout: float = 60):
        self.base = base_url.rstrip("/") + "/api/v1/"
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        self.timeout = timeout

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = ""):
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        request = Request(self.base + path, data=body, headers=headers, method=method)  # noqa: S310
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, response.read()
        except HTTPError as error:
            raise Failed(f"{method} {path}: HTTP {error.code}: {_reason(error.read())}") from error
        except URLError as error:
            raise Failed(f"cannot reach {self.base}: {error.reason}") from error

    def json(self, method: str, path: str, data: dict | None = None) -> tuple[int, dict]:
        body = None if data is None else json.dumps(data).encode()
        status, answer = self.call(method, path, body, "application/json" if body else "")
        return status, json.loads(answer)


def _reason(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return body[:300].decode("utf-8", "replace")
    reason = answer.get("detail", "") if isinstance(answer, dict) else str(answer)
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if isinstance(errors, list):  # a broken file: each problem with its file and line
        problems = [f"{e['file']}, line {e['line']}: {e['message']}" for e in errors]
        reason += "".join(f"\n  {p}" for p in problems if p not in reason)
    elif isinstance(errors, dict):
        reason += "".join(f"\n  {field}: {' '.join(m)}" for field, m in errors.items())
    return reason


def multipart(path: Path, new_labels: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="new_labels"\r\n\r\n'
        f"{new_labels}\r\n--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{quote(path.name)}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def upload(api: Api, project: int, path: Path, wait: float, new_labels: str) -> list[int]:
    """The ids of the documents the file became (a large file is imported by a job)."""
    body, content_type = multipart(path, new_labels)
    status, answer = api.call("POST", f"projects/{project}/documents/", body, content_type)
    answer = json.loads(answer)
    if status == 201:
        return [document["id"] for document in answer["documents"]]
    job = wait_for(api, answer, wait)  # 202: an import job
    query = urlencode({"search": path.name, "page_size": 500})
    _, listed = api.json("GET", f"projects/{project}/documents/?{query}")
    return [d["id"] for d in listed["results"]][-job["result"]["documents"] :]


def wait_for(api: Api, job: dict, wait: float) -> dict:
    """Poll the job until it is finished; its final state, or Failed."""
    started = time.monotonic()
    warned = False
    while job["state"] not in FINISHED:
        waited = time.monotonic() - started
        if waited > wait:
            raise Failed(f"job {job['id']} is still {job['state']} after {wait:.0f} s")
        if job.get("waiting_for_worker") and waited > 10 and not warned:
            say(f"job {job['id']} waits for a worker: is one running (make worker)?")
            warned = True
        time.sleep(1)
        _, job = api.json("GET", f"jobs/{job['id']}/")
        say(f"job {job['id']} ({job['kind']}): {job['state']} {job['percent']}%")
    if job["state"] != "done":
        raise Failed(f"job {job['id']} {job['state']}: {job['error'] or job['message']}")
    return job


def run(args: argparse.Namespace) -> None:
    api = Api(args.base_url, args.token)
    documents = upload(api, args.project, args.conll, args.wait, args.new_labels)
    say(f"uploaded {args.conll.name}: documents {documents}")
    _, job = api.json(
        "POST",
        f"projects/{args.project}/jobs/",
        {"kind": "gazetteer", "source": args.source, "documents": documents},
    )
    layer = wait_for(api, job, args.wait)["result"]["layer"]
    say(f"pre-annotated into layer {layer!r}")
    query = urlencode({"layer": layer, "scheme": args.scheme})
    with args.output.open("wb") as out:
        for document in documents:
            out.write(api.call("GET", f"documents/{document}/conll/?{query}")[1])
    print(f"{args.output}: layer {layer!r} of {len(documents)} document(s)")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("token", help="an API token of a manager of the project")
    parser.add_argument("project", type=int, help="the project's id")
    parser.add_argument("conll", type=Path, help="the CoNLL file to upload")
    parser.add_argument("output", type=Path, help="where to write the pre-annotated CoNLL")
    parser.add_argument("--source", default="imported", help="layer the gazetteer learns from")
    parser.add_argument("--scheme", default="keep", help="keep, iob1, iob2, bioes or bilou")
    parser.add_argument(
        "--new-labels",
        choices=["add", "refuse"],
        default="refuse",
        help="labels of the file the project lacks: add them, or refuse the upload (default)",
    )
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for a job")
    args = parser.parse_args(argv)
    if not args.conll.is_file():
        parser.error(f"{args.conll}: no such file")
    try:
        run(args)
    except Failed as error:
        say(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
