"""A dashboard: its title and tables, each shown as a chart with its numbers below."""

from __future__ import annotations

from dataclasses import dataclass

from maintenance.services.figures.cells import Table


@dataclass
class Dashboard:
    """The tables of one dashboard, in page order."""

    title: str
    tables: list[Table]

    def table(self, key: str) -> Table | None:
        """The table with this key (for its CSV download)."""
        return next((table for table in self.tables if table.key == key), None)
