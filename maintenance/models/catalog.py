"""Product models of manufacturers and the GTINs that identify them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
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


class ProductLink(Model):
    """A manufacturer's link for a model, by GS1 link type (a manual, a shop, a passport...).

    Set through the API; it overrides a link of the same type in the model's protocol document.
    """

    __tablename__ = "product_link"
    __table_args__ = (UniqueConstraint("product_model_id", "link_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_model_id: Mapped[int] = mapped_column(
        ForeignKey("product_model.id", ondelete="CASCADE"), index=True
    )
    # A GS1 Web Vocabulary link type without its prefix, e.g. "instructions".
    link_type: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
