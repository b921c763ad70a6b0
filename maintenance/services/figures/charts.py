"""Server-rendered SVG charts (no JavaScript): horizontal bars and monthly lines.

Charts scale to the screen through their viewBox and keep labels on their own line above the
bars, so a phone shows them without sideways scrolling. Every chart names what its values
measure (line charts their months too). A hidden cell ("<5") is drawn as a label only, never as
a bar whose length would give the number away. Pages put the numbers in a table under every
chart, for screen readers and for reading exact values.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from maintenance.services.figures.cells import SMALL, Table, Value

# Okabe-Ito colours: told apart with the common kinds of colour blindness.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
WIDTH = 360
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
Number = float | int | None


def _number(value: float) -> str:
    """A value as printed next to a bar or on an axis."""
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _legend(series: Sequence[str], y: float) -> tuple[list[str], float]:
    """Colour keys for the series, wrapped over lines; returns the parts and the next y."""
    parts: list[str] = []
    x = 0.0
    for index, name in enumerate(series):
        width = 18 + 7 * len(name)
        if x and x + width > WIDTH:
            x, y = 0.0, y + 18
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16:.0f}" y="{y + 10:.0f}" {FONT}>{escape(name)}</text>')
        x += width + 10
    return parts, y + 24


def _axis_label(text: str, y: float) -> str:
    """An axis's name, centred under the chart on a line of its own."""
    return (
        f'<text class="axis-label" x="{WIDTH / 2:.0f}" y="{y:.0f}" text-anchor="middle" '
        f'font-weight="600" {FONT}>{escape(text)}</text>'
    )


def _svg(parts: list[str], height: float, title: str) -> Markup:
    label = escape(title)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{label}</title>{''.join(parts)}</svg>"
    )


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, Sequence[Number]]],
    series: Sequence[str],
    axis: str,
    unit: str = "",
) -> Markup:
    """Grouped horizontal bars: one group per row label, one bar per series; `axis` names them."""
    parts, y = _legend(series, 0)
    values = [v for _label, vals in rows for v in vals if v is not None]
    top = max([100.0] if unit == "%" else [*values, 1])
    bar, gap, room = 14, 4, WIDTH - 50
    for label, vals in rows:
        parts.append(f'<text x="0" y="{y + 12:.0f}" {FONT}>{escape(label)}</text>')
        y += 16
        for index, value in enumerate(vals):
            colour = COLOURS[index % len(COLOURS)]
            if value is None:
                parts.append(
                    f'<rect x="0" y="{y:.0f}" width="3" height="{bar}" fill="{colour}"/>'
                    f'<text x="8" y="{y + 11:.0f}" {FONT}>{escape(SMALL)}</text>'
                )
            else:
                length = max(room * value / top, 1 if value else 0)
                parts.append(
                    f'<rect x="0" y="{y:.0f}" width="{length:.1f}" height="{bar}" '
                    f'fill="{colour}"/><text x="{length + 4:.1f}" y="{y + 11:.0f}" {FONT}>'
                    f"{_number(value)}{unit}</text>"
                )
            y += bar + gap
        y += 8
    # The value axis: where the bars start and what their full length means, and its name.
    parts.append(
        f'<line x1="0" y1="{y:.0f}" x2="{room}" y2="{y:.0f}" stroke="#555"/>'
        f'<text x="0" y="{y + 14:.0f}" {FONT}>0</text>'
        f'<text x="{room}" y="{y + 14:.0f}" text-anchor="end" {FONT}>{_number(top)}{unit}</text>'
    )
    parts.append(_axis_label(axis, y + 32))
    return _svg(parts, y + 40, title)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    axes: tuple[str, str],
    unit: str = "",
) -> Markup:
    """One line per series over the labels (months); hidden points break the line.

    `axes` names the labels (x) and the values (y); the value axis's name goes above it, so it
    reads without turning the head.
    """
    parts, top_y = _legend([name for name, _values in series], 0)
    parts.append(
        f'<text class="axis-label" x="0" y="{top_y + 10:.0f}" font-weight="600" {FONT}>'
        f"{escape(axes[1])}</text>"
    )
    top_y += 22
    left, right, height = 44, WIDTH - 8, 160  # room on the left for "100%"
    bottom = top_y + height
    values = [v for _name, vals in series for v in vals if v is not None]
    top = 100.0 if unit == "%" else max([*values, 1])
    step = (right - left) / max(len(labels) - 1, 1)

    def point(index: int, value: float) -> tuple[float, float]:
        return left + index * step, bottom - height * value / top

    parts.append(
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#555"/>'
        f'<line x1="{left}" y1="{top_y}" x2="{left}" y2="{bottom}" stroke="#555"/>'
        f'<text x="{left - 4}" y="{top_y + 10}" text-anchor="end" {FONT}>'
        f"{_number(top)}{unit}</text>"
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end" {FONT}>0</text>'
    )
    for index in sorted({0, len(labels) // 2, len(labels) - 1}):
        if 0 <= index < len(labels):
            x = left + index * step
            anchor = "start" if index == 0 else "end" if index == len(labels) - 1 else "middle"
            parts.append(
                f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="{anchor}" {FONT}>'
                f"{escape(labels[index])}</text>"
            )
    for number, (_name, vals) in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for index, value in enumerate(vals):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x, y = point(index, value)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) > 1:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" '
                    f'stroke="{colour}" stroke-width="2"/>'
                )
    parts.append(_axis_label(axes[0], bottom + 36))
    return _svg(parts, bottom + 44, title)


def chart_for(table: Table) -> Markup | None:
    """The chart a table asks for, drawn from the same cells as its rows (so "<5" stays hidden)."""
    chart = table.chart
    if chart is None or not table.rows:
        return None
    names = [table.columns[index] for index in chart.series]
    if chart.kind == "line":
        labels = [str(row[0]) for row in table.rows]
        series = [
            (table.columns[index], [_plotted(row[index]) for row in table.rows])
            for index in chart.series
        ]
        return line_chart(table.title, labels, series, (table.columns[0], chart.axis), chart.unit)
    rows = [
        (
            " · ".join(str(cell) for cell in row[: chart.labels]),
            [_plotted(row[i]) for i in chart.series],
        )
        for row in table.rows
    ]
    return bar_chart(table.title, rows, names, chart.axis, chart.unit)


def _plotted(value: Value) -> Number:
    return None if isinstance(value, str) else value.plotted
