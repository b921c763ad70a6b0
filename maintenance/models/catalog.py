"""Product models of manufacturers and the GTINs that identify them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow
from maintenance.models.organisation import Organisation


class ProductModel(Model):
    """One appliance model of a manufacturer (brand + model name) in a category."""

    __tablename__ = "product_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    brand: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40), index=True)
    # The model's own protocol; when unset the manufacturer's or the library's default applies.
    protocol_id: Mapped[int | None] = mapped_column(ForeignKey("protocol.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    gtins: Mapped[list[ModelGtin]] = relationship(
        back_populates="product_model", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<ProductModel {self.brand} {self.name}>"


class ModelGtin(Model):
    """A GTIN-14 that identifies a product model (a model may have several)."""

    __tablename__ = "model_gtin"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    product_model_id: Mapped[int] = mapped_column(ForeignKey("product_model.id"), index=True)

    product_model: Mapped[ProductModel] = relationship(back_populates="gtins")
