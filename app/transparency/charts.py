"""Horizontal bar charts as inline SVG, drawn on the server: no script, no library.

Each chart is an image with a title and a description that says every number in words, and it
scales to the width of the screen (a viewBox, width 100%). A label sits above its bar, so long
labels never squeeze the bars on a phone. A hidden figure gets no bar, only its words.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from app.services.governance.transparency import ALL, SHOWN, Report, month_label

WIDTH = 320  # about the width of a phone's column, so 1 unit is about 1 CSS pixel there
ROW = 46
BAR = 18
VALUE_ROOM = 96  # room right of the longest bar for "fewer than 5"


@dataclass(frozen=True)
class Bar:
    label: str
    number: float | None  # None: hidden
    text: str


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    bars: list[Bar]

    @property
    def description(self) -> str:
        if not self.bars:
            return f"{self.title}: nothing to show yet."
        return f"{self.title}. " + " ".join(f"{b.label}: {b.text}." for b in self.bars)

    @property
    def svg(self) -> Markup:
        top = max((b.number for b in self.bars if b.number is not None), default=0) or 1
        height = max(ROW * len(self.bars), ROW)
        span = WIDTH - VALUE_ROOM
        parts = [
            f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
            f'preserveAspectRatio="xMinYMin meet" focusable="false" '
            f'aria-labelledby="{self.chart_id}-title" aria-describedby="{self.chart_id}-desc">',
            f'<title id="{self.chart_id}-title">{escape(self.title)}</title>',
            f'<desc id="{self.chart_id}-desc">{escape(self.description)}</desc>',
        ]
        for row, bar in enumerate(self.bars):
            y = row * ROW
            parts.append(f'<text class="chart-label" x="0" y="{y + 15}">{escape(bar.label)}</text>')
            length = 0.0 if bar.number is None else span * bar.number / top
            if bar.number:
                parts.append(f'<rect class="chart-bar" x="0" y="{y + 21}" width="{length:.1f}" '
                             f'height="{BAR}" rx="3"></rect>')
            gap = 6 if bar.number else 0
            parts.append(f'<text class="chart-value" x="{length + gap:.1f}" y="{y + 35}">'
                         f'{escape(bar.text)}</text>')
        if not self.bars:
            parts.append('<text class="chart-label" x="0" y="28">Nothing to show yet.</text>')
        parts.append("</svg>")
        return Markup("".join(parts))


def _bar(report: Report, label: str, month: str, figure: str) -> Bar:
    cell = report.cell(month, ALL, figure)
    return Bar(label, cell.number if cell.state == SHOWN else None, cell.text)


def _by_month(report: Report, chart_id: str, title: str, figure: str) -> Chart:
    months = list(reversed(report.months))  # oldest first, as time reads down the page
    return Chart(chart_id, title, [_bar(report, month_label(m), m, figure) for m in months])


def _parts(report: Report, chart_id: str, title: str, total: str) -> Chart:
    parts = [f for f in report.figures if f.total == total]
    return Chart(chart_id, title, [_bar(report, f.label.split(": ", 1)[-1], ALL, f.key)
                                   for f in parts])


def charts_for(report: Report) -> list[Chart]:
    """The whole program at a glance."""
    return [
        _parts(report, "chart-tiers", "Cameras registered, by what their owners share",
               "cameras"),
        _by_month(report, "chart-cameras", "Cameras registered, by month of registration",
                  "cameras"),
        _by_month(report, "chart-requests", "Footage requests sent, by month", "requests"),
        _parts(report, "chart-answers", "How owners answered the cameras asked", "asked"),
        _parts(report, "chart-offenses", "Footage requests, by offense category", "requests"),
        _by_month(report, "chart-live", "Live minutes shared, by month", "live_minutes"),
    ]
