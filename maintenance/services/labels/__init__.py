"""QR images (SVG, PNG) and printable label sheets (PDF) for GS1 Digital Link URIs."""

from maintenance.services.labels.qr import qr_matrix, qr_png, qr_svg
from maintenance.services.labels.sheets import LAYOUTS, LabelData, Layout, render_labels

__all__ = ["LAYOUTS", "LabelData", "Layout", "qr_matrix", "qr_png", "qr_svg", "render_labels"]
