"""End-to-end smoke test of a running annotator, over HTTP, the way a manager's browser uses it.

Standard library only, so it runs against any deployment from any machine:

    python scripts/smoke.py --url http://127.0.0.1:8000 --username U --password P \
        --project "Smoke test" [--file corpus.conll] [--timeout 180]

(or SMOKE_PASSWORD in the environment). It checks /health/, a static file served by WhiteNoise
with a far-future cache header, logs in through the login form, uploads a CoNLL file through the
project's upload form, runs a gazetteer pre-annotation and a CRF training followed by a model
pre-annotation through the Jobs page's forms (a Celery worker must be running), waits for each
job, and exports the document: the imported layer byte for byte as uploaded, the suggestions
with the same tokens. Each step is printed with its time; any failure exits 1 with the reason.
.ci/smoke starts the production stack on this machine and runs this script against it.
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [
    ROOT.parent / "shared" / "samples" / "rnn-wikipedia.conll",
    ROOT / "annotator" / "demo" / "rnn-wikipedia.conll",  # the same file, shipped with the app
]
ONE_YEAR = 365 * 24 * 3600
TAG = re.compile(r"^(O|[BIESLU]-\S+)$")


class SmokeFailure(Exception):
    pass


@dataclass
class Response:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """Cookies (session, CSRF) kept between requests; redirects followed; errors returned."""

    def __init__(self, base_url: str):
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise SmokeFailure(f"{base_url!r} is not an http(s) address")
        self.base = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str, headers: dict | None = None, **query: str) -> Response:
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        return self._open(urllib.request.Request(url, headers=headers or {}))  # noqa: S310

    def post(self, path: str, fields: dict, files: dict | None = None) -> Response:
        """A form POST with the CSRF token from the cookie, as Django's forms send it."""
        fields = {**fields, "csrfmiddlewaretoken": self.csrf_token()}
        if files:
            body, content_type = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type, "Referer": self.base + path}
        request = urllib.request.Request(self.base + path, body, headers, method="POST")  # noqa: S310
        return self._open(request)

    def csrf_token(self) -> str:
        for cookie in self.cookies:
            if cookie.name == "csrftoken":
                return cookie.value
        raise SmokeFailure("no csrftoken cookie: open a page with a form first")

    def _open(self, request: urllib.request.Request) -> Response:
        try:
            with self.opener.open(request, timeout=60) as answer:
                return Response(answer.status, answer.url, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.url, dict(error.headers), error.read())
        except OSError as error:
            raise SmokeFailure(f"{request.full_url}: {error}") from error


def multipart(fields: dict, files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def expect(response: Response, status: int, what: str) -> Response:
    if response.status != status:
        raise SmokeFailure(
            f"{what}: HTTP {response.status} from {response.url}, expected {status}\n"
            f"{page_text(response.text)[:1500]}"
        )
    return response


def page_text(markup: str) -> str:
    """The visible text of an HTML page, for messages."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def tokens_and_tags(conll: bytes) -> list[tuple[str, str]]:
    """(token, tag) of every token line: tab-separated lines, or runs of spaces."""
    pairs = []
    for line in conll.decode("utf-8-sig", "replace").splitlines():
        if line.strip() in ("", "<s>", "</s>") or line.startswith("-DOCSTART-"):
            continue
        if line.startswith("#") and "\t" not in line:
            continue  # a comment
        fields = line.split("\t") if "\t" in line else line.split()
        if len(fields) >= 2:
            pairs.append((fields[0], fields[-1].strip()))
    return pairs


# --- the steps -----------------------------------------------------------------------------------


def check_health(browser: Browser) -> str:
    response = expect(browser.get("/health/"), 200, "/health/")
    answer = json.loads(response.body)
    if answer.get("status") != "ok":
        raise SmokeFailure(f"/health/ answered {answer}")
    return json.dumps(answer)


def check_static_and_headers(browser: Browser) -> str:
    """The login page's security headers, and its htmx served hashed, compressed, cached."""
    page = expect(browser.get("/accounts/login/"), 200, "the login page")
    wanted = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    for header, value in wanted.items():
        if page.headers.get(header) != value:
            raise SmokeFailure(f"the login page's {header} is {page.headers.get(header)!r}")
    match = re.search(r'src="(/static/[^"]*htmx[^"]*\.js)"', page.text)
    if not match:
        raise SmokeFailure("the login page links no htmx script")
    path = match[1]
    if not re.search(r"\.[0-9a-f]{12}\.js$", path):
        raise SmokeFailure(f"{path} is not a hashed (collected) file name: is DEBUG on?")
    script = expect(browser.get(path, {"Accept-Encoding": "gzip"}), 200, path)
    cache = script.headers.get("Cache-Control", "")
    age = re.search(r"max-age=(\d+)", cache)
    if not age or int(age[1]) < ONE_YEAR:
        raise SmokeFailure(f"{path} has Cache-Control {cache!r}, not a far-future max-age")
    if script.headers.get("Content-Encoding") != "gzip":
        raise SmokeFailure(f"{path} was not served compressed")
    return f"{path}: {cache}, gzip"


def log_in(browser: Browser, username: str, password: str) -> str:
    expect(browser.get("/accounts/login/"), 200, "the login page")
    response = browser.post(
        "/accounts/login/", {"username": username, "password": password, "next": "/projects/"}
    )
    expect(response, 200, "logging in")
    if urllib.parse.urlsplit(response.url).path != "/projects/" or "Log out" not in response.text:
        raise SmokeFailure(f"logging in as {username!r} failed: {page_text(response.text)[:300]}")
    return f"as {username}"


def find_project(browser: Browser, name: str) -> tuple[int, str]:
    page = expect(browser.get("/projects/"), 200, "the project list")
    match = re.search(rf'<a href="/projects/(\d+)/">{re.escape(html.escape(name))}</a>', page.text)
    if not match:
        raise SmokeFailure(f"no project {name!r} in the list: {page_text(page.text)[:300]}")
    return int(match[1]), f"project {match[1]}"


def upload(browser: Browser, project: int, path: Path) -> tuple[int, str]:
    fields = {"scheme": "auto", "encoding": "", "tag_column": ""}
    files = {"files": (path.name, path.read_bytes())}
    response = expect(
        browser.post(f"/projects/{project}/upload/", fields, files), 200, "the upload"
    )
    text = page_text(response.text)
    summary = re.search(r"Imported \d+ documents?, \d+ sentences, \d+ tokens", text)
    if not summary:
        raise SmokeFailure(f"the upload imported nothing: {text[:1500]}")
    link = rf'<a href="/documents/(\d+)/">{re.escape(html.escape(path.name))}</a>'
    documents = [int(pk) for pk in re.findall(link, response.text)]
    if not documents:
        raise SmokeFailure(f"{path.name} is not listed on the project page after the upload")
    return max(documents), f"{summary[0]} (document {max(documents)})"


def start_job(browser: Browser, project: int, fields: dict) -> tuple[int, str]:
    expect(browser.get(f"/projects/{project}/jobs/"), 200, "the jobs page")
    page = expect(browser.post(f"/projects/{project}/preannotate/", fields), 200, "starting a job")
    jobs = [int(pk) for pk in re.findall(r'id="job-(\d+)"', page.text)]
    if not jobs:
        raise SmokeFailure(f"no job on the jobs page after starting one: {fields}")
    return max(jobs), f"job {max(jobs)}"


def wait_for_job(browser: Browser, job: int, timeout: float) -> str:
    """Poll the job's progress fragment until it ends; its message when done."""
    deadline = time.monotonic() + timeout
    while True:
        fragment = expect(browser.get(f"/jobs/{job}/"), 200, f"job {job}'s progress").text
        state = re.search(r'class="state (\w+)"', fragment)
        # The fragment's paragraphs: who started the job and its state, then its message.
        paragraphs = re.findall(r"<p>(.*?)</p>", fragment, re.DOTALL)
        text = page_text(paragraphs[-1] if len(paragraphs) > 1 else fragment)
        error = re.search(r'<pre class="notice error">(.*?)</pre>', fragment, re.DOTALL)
        if error:
            text += " " + page_text(error[1])
        if state and state[1] == "done":
            return text
        if state and state[1] in ("failed", "cancelled"):
            raise SmokeFailure(f"job {job} {state[1]}: {text}")
        if time.monotonic() > deadline:
            raise SmokeFailure(f"job {job} did not finish within {timeout:.0f}s: {text}")
        time.sleep(0.5)


def written_layer(message: str) -> str:
    match = re.search(r"Wrote layer '(.+?)' for \d+ documents?", message)
    if not match:
        raise SmokeFailure(f"the job's message names no layer: {message}")
    return match[1]


def export(browser: Browser, document: int, layer: str) -> bytes:
    response = browser.get(f"/documents/{document}/export/", layer=layer)
    return expect(response, 200, f"exporting layer {layer!r}").body


def check_export(browser: Browser, document: int, layer: str, uploaded: bytes) -> str:
    """The layer exported as CoNLL: the uploaded tokens, in order, each with a well-formed tag."""
    exported = tokens_and_tags(export(browser, document, layer))
    expected_tokens = [token for token, _ in tokens_and_tags(uploaded)]
    if [token for token, _ in exported] != expected_tokens:
        raise SmokeFailure(f"the export of {layer!r} does not have the uploaded tokens")
    bad = [tag for _, tag in exported if not TAG.match(tag)]
    if bad:
        raise SmokeFailure(f"the export of {layer!r} has malformed tags: {bad[:5]}")
    entities = sum(tag[0] in "BSU" for _, tag in exported)
    if not entities:
        raise SmokeFailure(f"the layer {layer!r} suggests no entity at all")
    return f"{len(exported)} tokens, {entities} entities suggested"


def check_exact_export(browser: Browser, document: int, uploaded: bytes) -> str:
    exported = export(browser, document, "imported")
    if exported != uploaded:
        raise SmokeFailure("the imported layer's export differs from the uploaded bytes")
    return f"{len(exported)} bytes, identical to the upload"


def model_id(browser: Browser, project: int) -> int:
    page = expect(browser.get(f"/projects/{project}/jobs/"), 200, "the jobs page")
    models = [int(pk) for pk in re.findall(r'name="model" value="(\d+)"', page.text)]
    if not models:
        raise SmokeFailure("the trained model is not listed on the jobs page")
    return max(models)


# --- running them --------------------------------------------------------------------------------


class Steps:
    def __init__(self):
        self.started = time.monotonic()
        self.count = 0

    def __call__(self, name: str, function, *args):
        self.count += 1
        began = time.monotonic()
        print(f"{self.count:2}. {name} ...", end=" ", flush=True)
        result = function(*args)
        detail = result[1] if isinstance(result, tuple) else result
        print(f"ok ({time.monotonic() - began:.2f}s) {detail}")
        return result[0] if isinstance(result, tuple) else result

    def total(self) -> float:
        return time.monotonic() - self.started


def sample(path: str | None) -> Path:
    candidates = [Path(path)] if path else SAMPLES
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SmokeFailure(f"no CoNLL file to upload among {[str(c) for c in candidates]}")


def run(args: argparse.Namespace) -> None:
    browser = Browser(args.url)
    step = Steps()
    corpus = sample(args.file)
    uploaded = corpus.read_bytes()
    print(f"Smoke test of {args.url} with {corpus}")
    step("health endpoint", check_health, browser)
    step("security headers and static files", check_static_and_headers, browser)
    step("log in through the form", log_in, browser, args.username, args.password)
    project = step("find the project", find_project, browser, args.project)
    document = step("upload through the form", upload, browser, project, corpus)
    step("export the imported layer", check_exact_export, browser, document, uploaded)

    gazetteer = {"kind": "gazetteer", "source": "imported", "documents": str(document)}
    job = step("start a gazetteer pre-annotation", start_job, browser, project, gazetteer)
    message = step(f"wait for job {job}", wait_for_job, browser, job, args.timeout)
    layer = written_layer(message)
    step(f"export {layer!r}", check_export, browser, document, layer, uploaded)

    training = {"kind": "train-crf", "layer": "imported", "name": "smoke-crf"}
    job = step("start training a CRF", start_job, browser, project, training)
    step(f"wait for job {job}", wait_for_job, browser, job, args.timeout)
    model = model_id(browser, project)
    preannotate = {"kind": "preannotate", "model": str(model), "documents": str(document)}
    job = step("start a pre-annotation with it", start_job, browser, project, preannotate)
    layer = written_layer(step(f"wait for job {job}", wait_for_job, browser, job, args.timeout))
    step(f"export {layer!r}", check_export, browser, document, layer, uploaded)
    print(f"Smoke test passed: {step.count} steps in {step.total():.1f}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the site, e.g. http://127.0.0.1:8000")
    parser.add_argument("--username", required=True, help="a manager of the project")
    parser.add_argument("--password", default=os.environ.get("SMOKE_PASSWORD"))
    parser.add_argument("--project", required=True, help="the project's name")
    parser.add_argument("--file", help="the CoNLL file to upload (default: the sample)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds per job")
    args = parser.parse_args()
    if not args.password:
        parser.error("--password or SMOKE_PASSWORD is required")
    try:
        run(args)
    except SmokeFailure as failure:
        print(f"FAILED\nSmoke test failed: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
