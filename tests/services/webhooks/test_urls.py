"""The SSRF guard: webhooks go to public https addresses unless the operator allows otherwise."""

from __future__ import annotations

import pytest
from flask import Flask

from maintenance.services.webhooks.urls import WebhookUrlError, check_url, is_public


@pytest.fixture
def operator(ctx: Flask):
    """Set operator allowances for one test; restored after it."""
    saved = {k: ctx.config.get(k) for k in ("WEBHOOK_ALLOW_HTTP", "WEBHOOK_ALLOW_PRIVATE")}

    def allow(**settings: bool) -> None:
        ctx.config.update(settings)

    yield allow
    ctx.config.update(saved)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.8.9.10/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.5/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
        "https://100.64.0.1/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://localhost/hook",
        "https://localhost:8443/hook",
    ],
)
def test_private_loopback_link_local_and_reserved_targets_are_refused(ctx, url) -> None:
    with pytest.raises(WebhookUrlError, match="public addresses only"):
        check_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.215.14/hook", "https://"),
        ("ftp://93.184.215.14/hook", "https://"),
        ("https://user:pw@93.184.215.14/hook", "user name or password"),
        ("https:///hook", "no host"),
        ("https://93.184.215.14:99999/hook", "port"),
        ("https://93.184.215.14/a b", "spaces"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
        ("https://93.184.215.14/" + "a" * 2000, "longer than"),
    ],
)
def test_malformed_urls_say_what_is_wrong(ctx, url, reason) -> None:
    with pytest.raises(WebhookUrlError, match=reason):
        check_url(url)


def test_a_public_address_is_accepted_and_pinned(ctx) -> None:
    target = check_url("https://93.184.215.14:8443/hooks?x=1")
    assert (target.host, target.port, target.path, target.address) == (
        "93.184.215.14",
        8443,
        "/hooks?x=1",
        "93.184.215.14",
    )


def test_the_operator_may_allow_http_and_private_addresses(ctx, operator) -> None:
    with pytest.raises(WebhookUrlError):
        check_url("http://127.0.0.1:8080/hook")
    operator(WEBHOOK_ALLOW_HTTP=True)
    with pytest.raises(WebhookUrlError, match="public addresses only"):
        check_url("http://127.0.0.1:8080/hook")
    operator(WEBHOOK_ALLOW_PRIVATE=True)
    assert check_url("http://127.0.0.1:8080/hook").address == "127.0.0.1"


def test_public_means_globally_routable() -> None:
    assert is_public("93.184.215.14") and is_public("2606:2800:220:1::1")
    assert not any(map(is_public, ["10.0.0.1", "::1", "fd00::1", "169.254.1.1", "::ffff:10.0.0.1"]))
