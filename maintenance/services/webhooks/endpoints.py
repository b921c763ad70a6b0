"""An organisation's webhook endpoint: set its URL, rotate its secret, remove it, read it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Organisation, WebhookEndpoint
from maintenance.services import audit
from maintenance.services.webhooks.signing import new_secret
from maintenance.services.webhooks.urls import check_url


@dataclass(frozen=True)
class Saved:
    """The endpoint after saving, and its new secret when one was made (shown only this once)."""

    endpoint: WebhookEndpoint
    secret: str | None


def endpoint_of(organisation_id: int) -> WebhookEndpoint | None:
    """The organisation's endpoint, if it set one."""
    return db.session.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.organisation_id == organisation_id)
    )


@transactional
def set_endpoint(organisation: Organisation, url: str) -> Saved:
    """Save the URL (checked as urls.check_url does); a new endpoint gets its first secret."""
    url = url.strip()
    check_url(url)
    endpoint = endpoint_of(organisation.id)
    secret = None
    if endpoint is None:
        secret = new_secret()
        endpoint = WebhookEndpoint(organisation_id=organisation.id, url=url, secret=secret)
        db.session.add(endpoint)
    elif endpoint.url != url:
        endpoint.url = url
        endpoint.last_status = endpoint.last_error = None
    db.session.flush()
    audit.record("webhook.set", endpoint)  # the URL is no personal data, but stays out anyway
    return Saved(endpoint, secret)


@transactional
def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """Replace the signing secret; deliveries from now on (retries too) use the new one."""
    endpoint.secret = new_secret()
    audit.record("webhook.rotate", endpoint)
    return endpoint.secret


@transactional
def remove_endpoint(endpoint: WebhookEndpoint) -> None:
    """Stop sending: the endpoint and its undelivered events go."""
    audit.record("webhook.remove", endpoint)
    db.session.delete(endpoint)
