"""Which model servers a remote model may reach: the administrator's allow-list.

A manager types a remote model's URL; without a list, that URL could point at anything the
worker can reach (Redis, PostgreSQL, the app itself, a cloud metadata address) and the job's
error would tell what answers there. So the site's administrator lists the model servers
(setting REMOTE_MODEL_HOSTS, README "Security"), and every address is checked twice: when the
model is registered and before each request, on the addresses the name resolves to then; the
request goes to the address that was checked (see remote.py), so a name that resolves elsewhere
a moment later is not followed.

Entries, comma-separated in the setting:
- `models.example.org`, `models.example.org:8443`: that host name (any port, or that one);
- `10.0.5.7`, `10.0.5.7:8765`, `[fd00::7]:8765`: that address;
- `10.0.5.0/24`, `10.0.5.0/24:8765`: any address in that network.

A URL with an address is allowed by an address or network entry; a URL with a name by that
name, and the name must not resolve to a loopback, link-local (cloud metadata), multicast,
reserved or unspecified address unless an address entry lists it too, so that allowing a name
never opens the machine's own services by accident. An empty list allows no remote model.
Standard library only, no Django.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_PORTS = {"http": 80, "https": 443}
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_NAME = re.compile(rf"{LABEL}(?:\.{LABEL})*")


class NotAllowed(ValueError):
    """The URL is not one the administrator allows; the message says so without detail of
    what the name resolves to (that would map the internal network for the asker)."""


@dataclass(frozen=True)
class Rule:
    host: str | None  # a host name, lower case; None for an address or network entry
    network: Network | None
    port: int | None  # None: any port

    def allows_port(self, port: int) -> bool:
        return self.port is None or self.port == port


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to call the host (`host`)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def parse_rules(entries: Iterable[str]) -> list[Rule]:
    """The allow-list from the setting's entries; ValueError names a malformed entry."""
    return [_parse_rule(entry.strip()) for entry in entries if entry.strip()]


def _parse_rule(entry: str) -> Rule:
    text, port = _split_port(entry)
    try:
        network = ipaddress.ip_network(text.strip("[]"), strict=True)
    except ValueError:
        network = None
    if network is not None:
        return Rule(None, network, port)
    name = text.lower().rstrip(".")
    if "/" in entry or not HOST_NAME.fullmatch(name):
        raise ValueError(
            f"REMOTE_MODEL_HOSTS: {entry!r} is neither a host name, an address nor a network"
        )
    return Rule(name, None, port)


def _split_port(entry: str) -> tuple[str, int | None]:
    """'host:8765' -> ('host', 8765); a bare IPv6 address keeps its colons."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, _port(rest.removeprefix(":"), entry) if rest else None
    if entry.count(":") == 1 or ("/" in entry and ":" in entry.split("/", 1)[1]):
        host, _, port = entry.rpartition(":")
        return host, _port(port, entry)
    return entry, None


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"REMOTE_MODEL_HOSTS: {entry!r} has no valid port")
    return int(text)


def resolve(host: str, port: int) -> list[str]:
    """Every address a name resolves to (an address resolves to itself)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in found))


def check_url(
    url: str, rules: list[Rule], resolver: Callable[[str, int], list[str]] = resolve
) -> Target:
    """The URL as a Target when the allow-list lets the worker call it, else NotAllowed."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise NotAllowed("a remote model's address must be an http(s) URL with a host")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as error:
        raise NotAllowed("a remote model's address has an invalid port") from error
    host = parts.hostname.lower().rstrip(".")
    refused = NotAllowed(
        f"{host}:{port} is not one of this site's model servers: an administrator allows it in "
        "REMOTE_MODEL_HOSTS (README, Security)"
    )
    networks = [rule.network for rule in rules if rule.network and rule.allows_port(port)]
    literal = _literal(host)
    if literal is not None:  # an address is allowed only by an address or network entry
        if not any(literal in network for network in networks):
            raise refused
        addresses = [literal]
    else:  # a name only by its name; resolved here, not for names that are not listed
        if not any(rule.host == host and rule.allows_port(port) for rule in rules):
            raise refused
        try:
            addresses = [_plain(text) for text in resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as error:
            raise NotAllowed(f"{host} cannot be resolved to an address") from error
        if not addresses:
            raise NotAllowed(f"{host} cannot be resolved to an address")
        for address in addresses:
            if _special(address) and not any(address in network for network in networks):
                raise refused
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, str(addresses[0]))


def _literal(host: str) -> Address | None:
    try:
        return _plain(host)
    except ValueError:
        return None


def _plain(text: str) -> Address:
    """An address, with an IPv4-mapped IPv6 address (::ffff:127.0.0.1) read as IPv4."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _special(address: Address) -> bool:
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
