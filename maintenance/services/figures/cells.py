"""Figures as cells that hide small counts, and tables of them (with CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

# A cell about fewer people than this is shown as "<5": small groups could point at someone.
MIN_PEOPLE = 5
SMALL = f"<{MIN_PEOPLE}"


@dataclass(frozen=True)
class Count:
    """A count of events and of the distinct units (our stand-in for people) behind them.

    `personal=False` is for counts about the organisation's own actions (labels printed),
    which say nothing about a consumer and are never hidden.
    """

    value: int
    people: int = 0
    personal: bool = True

    @property
    def hidden(self) -> bool:
        """True when the cell must not show its number."""
        if not self.personal or self.value == 0:
            return False
        return self.value < MIN_PEOPLE or self.people < MIN_PEOPLE

    @property
    def shown(self) -> str:
        """The text shown in tables, charts and CSV files."""
        return SMALL if self.hidden else str(self.value)

    @property
    def plotted(self) -> int | None:
        """The value to draw, or None when hidden."""
        return None if self.hidden else self.value


@dataclass(frozen=True)
class Rate:
    """A share of two counts, hidden when either count is."""

    part: Count
    whole: Count

    @property
    def hidden(self) -> bool:
        """True when the share would reveal a small count (or has no base)."""
        return self.part.hidden or self.whole.hidden

    @property
    def percent(self) -> float | None:
        """The share in percent, or None when hidden or undefined."""
        if self.hidden or self.whole.value == 0:
            return None
        return round(100 * self.part.value / self.whole.value, 1)

    @property
    def shown(self) -> str:
        """ "42.0%", "<5" when hidden, "-" when there is no base."""
        if self.hidden:
            return SMALL
        percent = self.percent
        return "-" if percent is None else f"{percent:.1f}%"

    @property
    def plotted(self) -> float | None:
        """The percentage to draw, or None."""
        return self.percent


@dataclass(frozen=True)
class Median:
    """The middle of some measured values (hours, days), hidden when the count behind it is."""

    value: float | None
    base: Count

    @property
    def hidden(self) -> bool:
        """True when the values come from too few rows or households to show."""
        return self.base.hidden

    @property
    def shown(self) -> str:
        """ "5.5", "<5" when hidden, "-" when there is nothing to take the middle of."""
        if self.hidden:
            return SMALL
        return "-" if self.value is None else f"{self.value:.1f}"

    @property
    def plotted(self) -> float | None:
        """The value to draw, or None."""
        return None if self.hidden else self.value


Value = Count | Rate | Median | str


def shown(value: Value) -> str:
    """Any cell as text."""
    return value if isinstance(value, str) else value.shown


@dataclass
class Chart:
    """How a table is drawn: a kind, which columns are the series, the value axis's name, unit."""

    kind: str  # "bars" (grouped horizontal bars per row) or "line" (one line per series)
    series: list[int]  # column indexes plotted
    axis: str  # what the plotted values are, e.g. "Number of tasks" (line charts: months on x)
    unit: str = ""  # "%" for rates
    labels: int = 1  # how many leading columns name a row (model and task: 2)


@dataclass
class Table:
    """One figure: a title, column headings and rows; the first column labels each row."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Value]] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""

    @property
    def text_columns(self) -> set[int]:
        """The columns that hold words (models, tasks, months), not figures, by index."""
        return {
            index
            for row in self.rows
            for index, value in enumerate(row)
            if isinstance(value, str) and not value.isdigit()
        }

    def text_rows(self) -> list[list[str]]:
        """Every row as shown (small counts as "<5")."""
        return [[shown(value) for value in row] for row in self.rows]

    def to_csv(self) -> str:
        """The table as CSV with the same hidden cells as on screen."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        writer.writerows([[_safe(text) for text in row] for row in self.text_rows()])
        return out.getvalue()


def _safe(text: str) -> str:
    """Keep spreadsheets from running a model name such as "=HYPERLINK(...)" as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
