"""The remote-model allow-list: entries, and which URLs (by what they resolve to) it lets through.

Names resolve through a table here, so the rules are tested without a network.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys

import pytest

from annotator.nlp.remote_hosts import NotAllowed, Rule, check_url, parse_rules

DNS = {
    "models.example.org": ["10.1.2.3"],
    "twofaced.example.org": ["10.1.2.3", "127.0.0.1"],
    "metadata.example.org": ["169.254.169.254"],
    "mapped.example.org": ["::ffff:127.0.0.1"],
    "internal.example.org": ["10.0.5.9"],
    "localhost": ["127.0.0.1", "::1"],
}


def resolver(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise OSError("Name or service not known")
    return DNS[host]


def allowed(url: str, *entries: str) -> bool:
    try:
        check_url(url, parse_rules(entries), resolver)
    except NotAllowed:
        return False
    return True


@pytest.mark.parametrize(
    ("entry", "rule"),
    [
        ("models.example.org", Rule("models.example.org", None, None)),
        ("Models.Example.org.:8443", Rule("models.example.org", None, 8443)),
        ("10.0.5.7", Rule(None, ipaddress.ip_network("10.0.5.7/32"), None)),
        ("10.0.5.7:8765", Rule(None, ipaddress.ip_network("10.0.5.7/32"), 8765)),
        ("10.0.5.0/24", Rule(None, ipaddress.ip_network("10.0.5.0/24"), None)),
        ("10.0.5.0/24:8765", Rule(None, ipaddress.ip_network("10.0.5.0/24"), 8765)),
        ("[fd00::7]:8765", Rule(None, ipaddress.ip_network("fd00::7/128"), 8765)),
        ("fd00::/8", Rule(None, ipaddress.ip_network("fd00::/8"), None)),
    ],
)
def test_entries_are_names_addresses_or_networks_with_an_optional_port(entry, rule) -> None:
    assert parse_rules([entry]) == [rule]


@pytest.mark.parametrize(
    "entry",
    ["*", "http://models.example.org", "models.example.org:http", "10.0.5.1/24", "a b", "x:0"],
)
def test_a_malformed_entry_is_named(entry) -> None:
    with pytest.raises(ValueError, match="REMOTE_MODEL_HOSTS"):
        parse_rules([entry])


def test_blank_entries_are_ignored_and_an_empty_list_allows_nothing() -> None:
    assert parse_rules(["", "  "]) == []
    for url in ("http://models.example.org/", "http://10.1.2.3/", "http://127.0.0.1:8765/"):
        assert not allowed(url)


@pytest.mark.parametrize(
    ("url", "entries", "expected"),
    [
        # by name, on any port or the listed one
        ("http://models.example.org:8765/tag", ["models.example.org"], True),
        ("https://models.example.org/", ["models.example.org:443"], True),
        ("http://models.example.org:8766/", ["models.example.org:8765"], False),
        ("http://other.example.org/", ["models.example.org"], False),
        ("http://sub.models.example.org/", ["models.example.org"], False),
        # a listed name that resolves to the machine itself or to cloud metadata
        ("http://localhost:6379/", ["localhost"], False),
        ("http://twofaced.example.org/", ["twofaced.example.org"], False),
        ("http://metadata.example.org/", ["metadata.example.org"], False),
        ("http://mapped.example.org/", ["mapped.example.org"], False),
        # ... unless its addresses are listed too, port included
        ("http://localhost:8765/", ["localhost", "127.0.0.1", "::1"], True),
        ("http://localhost:6379/", ["localhost", "127.0.0.1:8765", "[::1]:8765"], False),
        # by address and network
        ("http://10.0.5.7:8765/", ["10.0.5.0/24"], True),
        ("http://10.0.6.7:8765/", ["10.0.5.0/24"], False),
        ("http://127.0.0.1:8765/", ["127.0.0.1:8765"], True),
        ("http://127.0.0.1:6379/", ["127.0.0.1:8765"], False),
        ("http://127.0.0.1:5432/", ["models.example.org"], False),
        ("http://[::ffff:127.0.0.1]:8765/", ["127.0.0.1:8765"], True),
        ("http://[::1]:8765/", ["10.0.0.0/8"], False),
        # a name is allowed by its name only, not by the network it resolves into
        ("http://internal.example.org/", ["10.0.5.0/24"], False),
        # not http(s), or no host
        ("ftp://models.example.org/", ["models.example.org"], False),
        ("file:///etc/passwd", ["models.example.org"], False),
        ("http:///tag", ["models.example.org"], False),
    ],
)
def test_which_urls_the_list_lets_through(url, entries, expected) -> None:
    assert allowed(url, *entries) is expected


def test_the_request_goes_to_the_checked_address_with_the_name_kept_for_the_host() -> None:
    target = check_url(
        "https://models.example.org:8443/v1/tag?x=1", parse_rules(["models.example.org"]), resolver
    )
    assert (target.scheme, target.host, target.port) == ("https", "models.example.org", 8443)
    assert (target.address, target.path) == ("10.1.2.3", "/v1/tag?x=1")


def test_a_refusal_says_what_to_do_and_not_what_the_name_resolves_to() -> None:
    with pytest.raises(NotAllowed) as refused:
        check_url(
            "http://twofaced.example.org:8765/", parse_rules(["twofaced.example.org"]), resolver
        )
    message = str(refused.value)
    assert "twofaced.example.org:8765 is not one of this site's model servers" in message
    assert "REMOTE_MODEL_HOSTS" in message
    assert "127.0.0.1" not in message and "10.1.2.3" not in message


def test_a_listed_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(NotAllowed, match="cannot be resolved"):
        check_url("http://gone.example.org/", parse_rules(["gone.example.org"]), resolver)


def test_the_module_imports_without_django() -> None:
    code = "import sys, annotator.nlp.remote; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
