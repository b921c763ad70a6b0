"""Figures for the dashboards: aggregates only, small counts hidden as "<5"."""

from maintenance.services.figures.cells import MIN_PEOPLE, SMALL, Chart, Count, Rate, Table
from maintenance.services.figures.dashboard import Dashboard
from maintenance.services.figures.manufacturer import manufacturer_dashboard
from maintenance.services.figures.queries import ON_TIME_GRACE_DAYS, Scope
from maintenance.services.figures.retailer import retailer_dashboard
from maintenance.services.figures.sector import sector_dashboard

__all__ = [
    "MIN_PEOPLE",
    "ON_TIME_GRACE_DAYS",
    "SMALL",
    "Chart",
    "Count",
    "Dashboard",
    "Rate",
    "Scope",
    "Table",
    "manufacturer_dashboard",
    "retailer_dashboard",
    "sector_dashboard",
]
