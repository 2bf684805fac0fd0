"""Who the API lets in: tokens, sessions with CSRF, the token page, rate limits, error shapes."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotator import settings as project_settings
from annotator.api.throttling import TokenRateThrottle
from tests.api.conftest import session_client, token_client

pytestmark = pytest.mark.django_db
PROJECTS = "/api/v1/projects/"


# --- tokens and sessions -----------------------------------------------------------------------


def test_an_anonymous_request_is_401_with_how_to_authenticate(team):
    response = APIClient().get(PROJECTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_a_token_acts_as_its_user(team):
    response = token_client(team.reviewer).get(f"{PROJECTS}{team.project.pk}/")
    assert response.json()["roles"] == ["reviewer"]


def test_a_revoked_or_made_up_token_is_401(team):
    client = token_client(team.manager)
    Token.objects.filter(user=team.manager).delete()
    assert client.get(PROJECTS).status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get(PROJECTS).json() == {"detail": "Invalid token."}


def test_the_token_of_a_deactivated_user_is_401(team):
    client = token_client(team.manager)
    team.manager.is_active = False
    team.manager.save(update_fields=["is_active"])
    response = client.get(PROJECTS)
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_a_token_header_without_a_key_or_with_spaces_is_401(team):
    client = APIClient()
    for header in ("Token", "Token two parts"):
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get(PROJECTS)
        assert response.status_code == 401
        assert response.json()["detail"].startswith("Invalid token header.")


def test_a_browser_session_reads_without_csrf_and_writes_only_with_it(team):
    client = session_client(team.manager)
    assert client.get(PROJECTS).status_code == 200
    response = client.post(
        f"{PROJECTS}{team.project.pk}/members/", {"username": "olaf", "roles": ["reviewer"]}
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")


# --- the token page ----------------------------------------------------------------------------


def page_client(user, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def test_the_user_menu_links_to_the_token_page(team):
    page = page_client(team.annotator).get("/projects/").content.decode()
    assert 'href="/accounts/token/"' in page


def test_creating_a_token_shows_its_key_once_and_it_works(team):
    client = page_client(team.annotator)
    assert "You have no token." in client.get("/accounts/token/").content.decode()
    page = client.post("/accounts/token/", {"action": "create"})
    assert page["Cache-Control"].startswith("max-age=0")
    key = re.search(r'<code id="token-key">(\w+)</code>', page.content.decode()).group(1)
    assert Token.objects.get(user=team.annotator).key == key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(PROJECTS).status_code == 200
    again = client.get("/accounts/token/").content.decode()
    assert key not in again and "You have a token" in again


def test_a_new_token_replaces_the_old_one(team):
    client = page_client(team.annotator)
    client.post("/accounts/token/", {"action": "create"})
    old = Token.objects.get(user=team.annotator).key
    client.post("/accounts/token/", {"action": "create"})
    assert Token.objects.get(user=team.annotator).key != old


def test_revoking_the_token_locks_scripts_out(team):
    client = page_client(team.annotator)
    client.post("/accounts/token/", {"action": "create"})
    api = token_client(team.annotator)
    response = client.post("/accounts/token/", {"action": "revoke"}, follow=True)
    assert "Token revoked" in response.content.decode()
    assert not Token.objects.filter(user=team.annotator).exists()
    assert api.get(PROJECTS).status_code == 401


def test_the_token_page_needs_the_csrf_token_and_a_login(team):
    response = page_client(team.annotator, csrf=True).post("/accounts/token/", {"action": "create"})
    assert response.status_code == 403
    assert not Token.objects.filter(user=team.annotator).exists()
    response = Client().get("/accounts/token/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# --- rate limits -------------------------------------------------------------------------------


@pytest.fixture
def tiny_rate(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/minute"},
    }


def test_a_token_client_above_the_rate_gets_429_with_retry_after(team, tiny_rate):
    client = token_client(team.manager)
    assert [client.get(PROJECTS).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(PROJECTS)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"].startswith("Request was throttled.")


def test_the_rate_is_per_user(team, tiny_rate):
    for _ in range(3):
        token_client(team.manager).get(PROJECTS)
    assert token_client(team.manager).get(PROJECTS).status_code == 429
    assert token_client(team.reviewer).get(PROJECTS).status_code == 200


def test_browser_sessions_are_not_rate_limited(team, tiny_rate):
    client = session_client(team.manager)
    assert {client.get(PROJECTS).status_code for _ in range(6)} == {200}


@pytest.fixture
def clock(monkeypatch):
    """The rate limit's clock, in seconds; starts at the beginning of a minute."""
    now = [60.0 * 29_000_000]
    monkeypatch.setattr(TokenRateThrottle, "timer", lambda self: now[0])
    return now


def test_the_rate_holds_across_the_turn_of_a_minute(team, tiny_rate, clock):
    """3/minute is about 3 in any 60 seconds, not 3 at 0:59 and 3 more at 1:00."""
    client = token_client(team.manager)
    clock[0] += 59
    assert [client.get(PROJECTS).status_code for _ in range(3)] == [200, 200, 200]
    clock[0] += 2
    assert client.get(PROJECTS).status_code == 429
    clock[0] += 55  # 57 seconds after the three: two of them have left the last minute
    assert [client.get(PROJECTS).status_code for _ in range(3)] == [200, 200, 429]


def test_a_client_that_waits_the_retry_after_is_served_again(team, tiny_rate, clock):
    client = token_client(team.manager)
    clock[0] += 20
    assert [client.get(PROJECTS).status_code for _ in range(4)] == [200, 200, 200, 429]
    clock[0] += 30
    refused = client.get(PROJECTS)
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 0 < wait <= 60
    clock[0] += wait - 1
    assert client.get(PROJECTS).status_code == 429  # not a second sooner...
    clock[0] += 1
    assert client.get(PROJECTS).status_code == 200  # ...and then it is


def test_the_rate_is_counted_in_redis_across_clients(team, tiny_rate, settings):
    url = project_settings.REDIS_URL
    if not url:
        pytest.skip("no REDIS_URL: the Redis cache is not in use")
    settings.CACHES = {"default": {**project_settings.redis_cache(url),
                                   "KEY_PREFIX": f"test-rate-{uuid.uuid4().hex}"}}  # fmt: skip
    statuses = [token_client(team.manager).get(PROJECTS).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert token_client(team.reviewer).get(PROJECTS).status_code == 200


# --- one error shape ---------------------------------------------------------------------------


def test_malformed_json_is_400_with_a_detail(api, team):
    response = api("manager").post(
        f"{PROJECTS}{team.project.pk}/members/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["detail"]


def test_a_body_that_is_not_an_object_is_400_with_errors(api, team):
    response = api("manager").post(f"{PROJECTS}{team.project.pk}/members/", [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid input."
    assert list(response.json()["errors"]) == ["non_field_errors"]


def test_a_method_not_allowed_is_405_with_a_detail(api, team):
    response = api("manager").delete(f"{PROJECTS}{team.project.pk}/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}
