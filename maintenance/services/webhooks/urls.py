"""Where a webhook may point: an https URL whose host resolves only to public addresses.

Checked when the URL is saved and again before every delivery, because a name's addresses can
change in between (DNS rebinding); the delivery then connects to the very address it checked.
The operator may allow plain http and private addresses (WEBHOOK_ALLOW_HTTP,
WEBHOOK_ALLOW_PRIVATE), for a receiver on the same network or in tests.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

MAX_URL_LENGTH = 2000
DEFAULT_PORTS = {"https": 443, "http": 80}


class WebhookUrlError(ValueError):
    """A URL no webhook may be sent to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the resolved address) and what to ask for there."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback, link-local...)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    # is_global is False for private, loopback, link-local, shared (100.64/10), reserved and
    # unspecified addresses; some multicast ranges count as global, so they are refused apart.
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise WebhookUrlError(f"the host name {host!r} does not resolve") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _allowed(setting: str) -> bool:
    return bool(current_app.config.get(setting))


def _parse(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path of a URL a webhook may use, before any name is resolved."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if not url.isprintable() or " " in url:
        raise WebhookUrlError("the URL contains spaces or control characters")
    parts = urlsplit(url)
    schemes = ("https", "http") if _allowed("WEBHOOK_ALLOW_HTTP") else ("https",)
    if parts.scheme not in schemes:
        raise WebhookUrlError("the URL must start with https://")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlError("the URL must not contain a user name or password")
    host = parts.hostname
    if not host:
        raise WebhookUrlError("the URL has no host name")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise WebhookUrlError("the URL's port is not a number from 1 to 65535") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, path


def check_url(url: str) -> Target:
    """The URL's target if a webhook may go there; WebhookUrlError says why not."""
    scheme, host, port, path = _parse(url.strip())
    addresses = _resolve(host, port)
    if not _allowed("WEBHOOK_ALLOW_PRIVATE"):
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise WebhookUrlError(
                f"{host} resolves to {refused[0]}, a private, loopback, link-local or reserved"
                " address; webhooks go to public addresses only"
            )
    return Target(scheme, host, port, path, addresses[0])
