"""Who may change what: manufacturers their own models and protocols, retailers their units."""

from __future__ import annotations

from maintenance.models import ProductModel, Protocol, Unit, User


def can_edit_model(user: User, model: ProductModel) -> bool:
    """A manufacturer changes only its own organisation's models; an admin any."""
    return user.is_admin or (
        user.role == "manufacturer" and model.organisation_id == user.organisation_id
    )


def can_publish_protocol(
    user: User, protocol: Protocol | None, organisation_id: int | None
) -> bool:
    """Manufacturers publish for their own organisation; only admins touch the library."""
    if user.is_admin:
        return True
    if user.role != "manufacturer" or organisation_id != user.organisation_id:
        return False
    return protocol is None or protocol.organisation_id == user.organisation_id


def can_manage_unit(user: User, unit: Unit) -> bool:
    """A retailer manages only the units it sold; an admin any."""
    return user.is_admin or (user.role == "retailer" and unit.retailer_id == user.organisation_id)
