"""Units: single physical appliances, identified by GTIN + serial or a service-issued code."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow
from maintenance.models.catalog import ProductModel
from maintenance.models.organisation import Organisation


class Unit(Model):
    """One physical appliance: GTIN + serial (AI 21) or GTIN + unit code (AI 235)."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("gtin", "serial"), UniqueConstraint("gtin", "unit_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14))
    serial: Mapped[str | None] = mapped_column(String(20))
    unit_code: Mapped[str | None] = mapped_column(String(20))
    product_model_id: Mapped[int] = mapped_column(ForeignKey("product_model.id"), index=True)
    # The retailer that sold it; unset for units registered by a consumer from a scan.
    retailer_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    sold_on: Mapped[date | None] = mapped_column(Date)
    retailer_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    labels_printed: Mapped[int] = mapped_column(default=0)
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    product_model: Mapped[ProductModel] = relationship()
    retailer: Mapped[Organisation | None] = relationship()

    @property
    def code_text(self) -> str:
        """The serial or unit code as printed on the label."""
        return f"S/N {self.serial}" if self.serial else f"Code {self.unit_code}"
