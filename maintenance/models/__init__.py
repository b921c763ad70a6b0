"""The domain model: one module per aggregate, all imported here for Alembic."""

from maintenance.models.audit import AuditEvent
from maintenance.models.catalog import ModelGtin, ProductLink, ProductModel
from maintenance.models.confirmation import Confirmation
from maintenance.models.events import EVENT_KINDS, Event, ScanEvent
from maintenance.models.notice import (
    Notice,
    NoticeDelivery,
    NoticeGtin,
    NoticeMessage,
    NoticeUnit,
    NoticeVersion,
)
from maintenance.models.organisation import (
    ApiToken,
    CompanyPrefix,
    GtinAssignment,
    Organisation,
    User,
)
from maintenance.models.owner import Consent, Owner, Ownership
from maintenance.models.partner import (
    PartnerArea,
    PartnerProfile,
    RepairOutcome,
    ServiceRequest,
)
from maintenance.models.protocol import Protocol, ProtocolVersion, Task
from maintenance.models.reminder import DeliveryEvent, Reminder, ReminderItem
from maintenance.models.schedule import MaintenanceLog, ReplanQueue, TaskSchedule
from maintenance.models.unit import Unit
from maintenance.models.webhook import WebhookDelivery, WebhookEndpoint

__all__ = [
    "EVENT_KINDS",
    "ApiToken",
    "AuditEvent",
    "CompanyPrefix",
    "Confirmation",
    "Consent",
    "DeliveryEvent",
    "Event",
    "GtinAssignment",
    "MaintenanceLog",
    "ModelGtin",
    "Notice",
    "NoticeDelivery",
    "NoticeGtin",
    "NoticeMessage",
    "NoticeUnit",
    "NoticeVersion",
    "Organisation",
    "Owner",
    "Ownership",
    "PartnerArea",
    "PartnerProfile",
    "ProductLink",
    "ProductModel",
    "Protocol",
    "ProtocolVersion",
    "Reminder",
    "ReminderItem",
    "RepairOutcome",
    "ReplanQueue",
    "ScanEvent",
    "ServiceRequest",
    "Task",
    "TaskSchedule",
    "Unit",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
]
