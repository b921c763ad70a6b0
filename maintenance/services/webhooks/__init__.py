"""Outgoing webhooks: an organisation's endpoint, the events queued for it, their delivery."""

# endpoints.py saves the URL and secret, urls.py guards against private targets (SSRF),
# events.py queues events (never personal data) in the caller's transaction, delivery.py sends
# them signed (signing.py) from the scheduler, retrying with backoff.

from maintenance.services.webhooks.events import (
    events_for,
    protocol_replanned,
    service_request_created,
    service_request_withdrawn,
    unit_registered,
    unit_voided,
)

__all__ = [
    "events_for",
    "protocol_replanned",
    "service_request_created",
    "service_request_withdrawn",
    "unit_registered",
    "unit_voided",
]
