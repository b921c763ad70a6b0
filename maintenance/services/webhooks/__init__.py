"""Outgoing webhooks: an organisation's endpoint, the events queued for it, their delivery.

endpoints.py saves the URL and secret, urls.py guards against private targets (SSRF),
events.py queues aggregate events in the caller's transaction, delivery.py sends them signed
(signing.py) from the scheduler, retrying with backoff.
"""

from maintenance.services.webhooks.events import (
    EVENT_TYPES,
    protocol_replanned,
    unit_registered,
    unit_voided,
)

__all__ = ["EVENT_TYPES", "protocol_replanned", "unit_registered", "unit_voided"]
