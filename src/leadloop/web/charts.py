"""The dashboard's charts: inline SVG drawn on the server with pygal.

No JavaScript and nothing fetched at view time: ``js=[]`` drops pygal's tooltip script,
which would come from a CDN, and its inline config script is cut. Labels are escaped by
pygal's XML writer, so catalog titles cannot inject markup. Each function takes plain
figures and returns one ``<svg>`` string (or "" when there is nothing to draw).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pygal
from pygal.style import Style

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#333",
    foreground_strong="#111",
    foreground_subtle="#bbb",
    colors=("#2f6fdf", "#e8833a", "#3aa66b", "#c44e52", "#8172b2", "#937860"),
    font_family="system-ui, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    legend_font_size=13,
    title_font_size=15,
)


def _config(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "js": [],
        "style": _STYLE,
        "disable_xml_declaration": True,
        "height": 320,
        "width": 760,
        "print_values": False,
        "no_data_text": "nothing yet",
        "legend_at_bottom": True,
        "truncate_label": 40,
        "truncate_legend": 40,
    }
    base.update(extra)
    return base


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _render(chart: pygal.graph.graph.Graph) -> str:
    """The SVG without pygal's inline config script (its tooltips need a CDN script)."""
    svg: str = chart.render(is_unicode=True)
    return _SCRIPT.sub("", svg)


def _empty(series: Mapping[str, Sequence[float | None]]) -> bool:
    return not any(v for values in series.values() for v in values)


def counts_bar(title: str, counts: Mapping[str, int], order: Sequence[str]) -> str:
    """One bar per label present, in ``order`` first; "" when there is nothing to draw."""
    labels = [x for x in order if x in counts] + sorted(set(counts) - set(order))
    if not any(counts.values()):
        return ""
    rotate = 25 if len(labels) > 6 else 0
    chart = pygal.Bar(
        **_config(title=title, show_legend=False, print_values=True, x_label_rotation=rotate)
    )
    chart.x_labels = labels
    chart.add(title, [counts.get(x, 0) for x in labels])
    return _render(chart)


def rates_by_period(
    title: str, periods: Sequence[str], series: Mapping[str, Sequence[float | None]]
) -> str:
    """Lines of rates (0..1) per period, shown as percentages; "" when none."""
    if _empty(series):
        return ""
    chart = pygal.Line(
        **_config(title=title, range=(0, 1), value_formatter=lambda v: f"{v:.0%}", dots_size=4)
    )
    chart.x_labels = list(periods)
    for name, values in series.items():
        chart.add(name, list(values))
    return _render(chart)


def values_by_period(
    title: str,
    periods: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    money: bool = False,
    line: bool = False,
) -> str:
    """Grouped bars (or lines) of figures per period; "" when none."""
    if _empty(series):
        return ""

    def fmt(v: float) -> str:
        return f"{v:,.0f}" if money else f"{v:,.2f}"

    kind = pygal.Line if line else pygal.Bar
    chart = kind(**_config(title=title, value_formatter=fmt, show_legend=len(series) > 1))
    chart.x_labels = list(periods)
    for name, values in series.items():
        chart.add(name, list(values))
    return _render(chart)


def ranked_bars(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]]) -> str:
    """Horizontal bars, the first label on top (assets by revenue influenced); "" when none."""
    if _empty(series):
        return ""
    n = max(len(labels), 1)
    chart = pygal.HorizontalBar(
        **_config(title=title, height=120 + 34 * n, value_formatter=lambda v: f"{v:,.0f}")
    )
    chart.x_labels = list(reversed(labels))
    for name, values in series.items():
        chart.add(name, list(reversed(values)))
    return _render(chart)
