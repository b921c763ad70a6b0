"""What can go wrong with a unit request; each message is worded for the person at the till."""

from __future__ import annotations


class UnitError(ValueError):
    """A unit request that cannot be honoured; the message says why, for the person at the till.

    Messages are worded when raised, in the request's language: Dutch at a Dutch till, English
    for the API unless its client asks otherwise.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field  # the input it is about (gtin, serial, sold_on, retailer_ref), if one


class UnknownModel(UnitError):
    """The GTIN is valid but no manufacturer has registered a model with it."""


class UnitConflict(UnitError):
    """The GTIN + serial is already registered by another shop (or withdrawn)."""


class UnitNotFound(LookupError):
    """No such unit, or one the user may not see (both answered as 404, so ids do not leak)."""
