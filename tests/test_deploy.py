"""What a deployer relies on: the compose file, .env.example, the image, and production settings.

Docker does not run here, so the compose file is checked against the compose specification
(check-jsonschema's bundled compose-spec schema) and for the promises the README makes; the
production settings are checked in subprocesses started with DEBUG=0, as gunicorn would be.
.ci/smoke runs the same stack for real, without Docker.
"""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path, PurePosixPath

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
SETTINGS = ROOT / "annotator" / "settings.py"
APP_SERVICES = ("migrate", "web", "worker")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    """The variables .env.example sets, and those it lists commented out (value None)."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            found.setdefault(match[2], None if match[1] else match[3])
    return found


def check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
    return subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=120)


# --- the compose file ----------------------------------------------------------------------------


def test_the_compose_file_follows_the_compose_specification() -> None:
    result = check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_misspelt_key(tmp_path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("healthcheck:", "healtcheck:", 1))
    assert check_jsonschema(broken).returncode != 0


def test_the_stack_has_the_database_the_broker_the_web_app_and_workers(compose) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy(compose) -> None:
    for name, service in compose["services"].items():
        if name == "migrate":
            assert service["restart"] == "no"  # a one-shot, waited for instead (below)
            continue
        assert service["healthcheck"]["test"], name
        assert not service["healthcheck"].get("disable"), name
        assert service["restart"] in ("always", "unless-stopped"), name


def test_web_and_workers_wait_for_the_migration_and_healthy_backends(compose) -> None:
    services = compose["services"]
    assert services["migrate"]["command"][-3:] == ["manage.py", "migrate", "--noinput"]
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def test_the_web_healthcheck_calls_the_health_endpoint(compose) -> None:
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[-1] == "scripts/healthcheck.py"
    assert '/health/"' in (ROOT / "scripts" / "healthcheck.py").read_text()


def test_web_runs_the_images_production_command(compose) -> None:
    cmd = re.search(r"^CMD (.+)$", DOCKERFILE.read_text(), re.MULTILINE)[1]
    assert (
        compose["services"]["web"]["command"] == json.loads(cmd) == ["gunicorn", "annotator.wsgi"]
    )


def test_workers_can_be_scaled(compose) -> None:
    worker = compose["services"]["worker"]
    assert worker["command"][:4] == ["celery", "-A", "annotator.celery", "worker"]
    # --scale worker=N needs no fixed name and no published port.
    assert "container_name" not in worker and "ports" not in worker
    assert "container_name" not in compose["services"]["web"]


def test_app_settings_come_from_the_env_file(compose) -> None:
    for name in APP_SERVICES:
        assert compose["services"][name]["env_file"] == ".env"


def mounts(service: dict) -> dict[str, str]:
    """Named volume -> path in the container."""
    return dict(volume.split(":")[:2] for volume in service.get("volumes", []))


def test_the_database_and_the_files_live_in_named_volumes(compose) -> None:
    volumes = set(compose["volumes"])
    assert mounts(compose["services"]["postgres"]) == {"pgdata": "/var/lib/postgresql/data"}
    assert set(mounts(compose["services"]["redis"])) <= volumes
    for name in APP_SERVICES:
        assert set(mounts(compose["services"][name])) <= volumes


def test_web_and_workers_share_uploads_and_models(compose, env_example) -> None:
    web, worker = (mounts(compose["services"][name]) for name in ("web", "worker"))
    shared = {volume: path for volume, path in web.items() if worker.get(volume) == path}
    assert shared, "web and worker mount no volume at the same path"
    for setting in ("MEDIA_ROOT", "MODEL_ROOT"):
        value = PurePosixPath(env_example[setting])
        assert any(value.is_relative_to(path) for path in shared.values()), setting
        # The image's defaults point there too, should .env leave them out.
        assert f"{setting}=/data/" in DOCKERFILE.read_text()


# --- .env.example --------------------------------------------------------------------------------


def settings_env_reads() -> set[str]:
    """Every environment variable annotator/settings.py reads: os.environ.get("X"),
    os.environ["X"], os.getenv("X") and the env helpers (envbool("X"), envint("X"), ...)."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        target, key = None, None
        if isinstance(node, ast.Call) and node.args:
            target, key = ast.unparse(node.func), node.args[0]
        elif isinstance(node, ast.Subscript):
            target, key = ast.unparse(node.value), node.slice
        if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
            continue
        if target in ("os.environ.get", "os.getenv", "os.environ") or (
            target and re.fullmatch(r"env[a-z_]*", target)
        ):
            names.add(key.value)
    return names


def test_the_settings_parser_finds_the_known_reads() -> None:
    assert {
        "SECRET_KEY",
        "DEBUG",
        "DATABASE_URL",
        "REDIS_URL",
        "MODEL_ROOT",
    } <= settings_env_reads()


def test_env_example_lists_every_variable_the_settings_read(env_example) -> None:
    missing = settings_env_reads() - set(env_example)
    assert not missing, f"add to .env.example (with a comment): {sorted(missing)}"


def test_env_example_is_production_and_its_database_password_matches(env_example) -> None:
    assert env_example["DEBUG"] == "0"
    password = env_example["POSTGRES_PASSWORD"]
    assert f"annotator:{password}@postgres:5432/annotator" in env_example["DATABASE_URL"]
    assert env_example["REDIS_URL"].startswith("redis://redis:6379/")


def test_the_secrets_stay_out_of_git_and_out_of_the_image() -> None:
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


# --- the image -----------------------------------------------------------------------------------


def test_the_image_runs_as_a_user_with_static_files_collected_at_build() -> None:
    text = DOCKERFILE.read_text()
    assert text.startswith("#") and "\nFROM python:3.13-slim\n" in text
    assert "manage.py collectstatic --noinput" in text
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "[dev]" not in text  # the test tools stay out of the image


def test_the_image_installs_every_app_and_middleware_django_loads() -> None:
    """The image installs pyproject's dependencies only (no dev extra): a Django app that the
    development venv has by chance would stop the container at its first start."""
    from django.conf import settings
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    requirements = [Requirement(line) for line in wanted]
    installed = {canonicalize_name(r.name) for r in requirements}
    for requirement in requirements:  # and what their extras bring, e.g. celery[redis]
        for line in metadata.requires(requirement.name) or []:
            pulled = Requirement(line)
            if pulled.marker and any(
                pulled.marker.evaluate({"extra": extra}) for extra in requirement.extras
            ):
                installed.add(canonicalize_name(pulled.name))
    providers = metadata.packages_distributions()
    modules = {name.split(".")[0] for name in [*settings.INSTALLED_APPS, *settings.MIDDLEWARE]}
    missing = {
        module: providers.get(module)
        for module in modules - {"annotator"}
        if not {canonicalize_name(d) for d in providers.get(module, [])} & installed
    }
    assert not missing, f"add to [project] dependencies in pyproject.toml: {missing}"


# --- production settings (subprocesses with DEBUG=0) ---------------------------------------------


def production_env(**extra: str) -> dict[str, str]:
    """A clean environment, as a container gets from .env: nothing leaks in from the test run
    (pytest-playwright, for one, sets DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rejects)."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="annotator.example.com",
        DJANGO_SETTINGS_MODULE="annotator.settings",
    )
    env.update(extra)
    return env


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def test_check_deploy_finds_nothing_in_a_production_environment() -> None:
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_without_a_secret_key_production_refuses_to_start_and_says_why() -> None:
    env = production_env()
    del env["SECRET_KEY"]
    result = run_python(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


# Runs inside the DEBUG=0 subprocess: requests through Django's test client, answers as JSON.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="annotator.example.com")
def seen(response):
    cookie = response.cookies.get("csrftoken")
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "csrf_cookie_secure": bool(cookie and cookie["secure"]),
        "body": response.content.decode()[:20000],
    }
print(json.dumps({
    "storage": settings.STORAGES["staticfiles"]["BACKEND"],
    "login_http": seen(client.get("/accounts/login/")),
    "login_https": seen(client.get("/accounts/login/", secure=True)),
    "login_proxied": seen(client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")),
    "health_http": seen(client.get("/health/")),
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    """Static files collected as the image does, then the probe, under DEBUG=0."""
    static_root = tmp_path_factory.mktemp("static")
    env = production_env(STATIC_ROOT=str(static_root), SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    collected = run_python(["manage.py", "collectstatic", "--noinput"], env)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    result = run_python(["-c", PROBE], env)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_pages_carry_the_security_headers(production) -> None:
    page = production["login_https"]
    assert page["status"] == 200, page["body"][:2000]
    headers = page["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert page["csrf_cookie_secure"]


def test_production_redirects_plain_http_but_not_the_health_check(production) -> None:
    login = production["login_http"]
    assert login["status"] == 301
    assert login["headers"]["Location"] == "https://annotator.example.com/accounts/login/"
    assert production["health_http"]["status"] in (200, 503)  # answered, not redirected


def test_production_trusts_the_proxys_https_header(production) -> None:
    assert production["login_proxied"]["status"] == 200


def test_production_links_hashed_static_files_for_far_future_caching(production) -> None:
    assert production["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    body = production["login_https"]["body"]
    assert re.search(r'src="/static/annotator/vendor/htmx-[\d.]+\.min\.[0-9a-f]{12}\.js"', body)
