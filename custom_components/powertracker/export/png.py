"""PNG charts of exported buckets. No Home Assistant imports: runs in an executor.

Two charts (`Graph`):

- `hist`: one bar per bucket of its `energy` (kWh), each bar as wide as its
  bucket; with several homes their bars stand side by side inside the bucket.
- `lineplot`: a step line (steps-post) of each bucket's `average_power` (W),
  drawn from the bucket's start to the next point, the last one to its end.

A missing bucket (`energy`/`average_power` NaN) is a gap, never 0: no bar, and
the line breaks (NaN).

Large inputs are reduced per series before drawing, so a year of 5-minute
buckets (105,120 per home) renders fast and its peaks stay visible:

- line: with more than two buckets per two pixel columns, the buckets are
  split into at most width / 2 consecutive groups and each group is drawn as
  a filled band from its minimum to its maximum (reaching the previous
  group's range, as the line's riser would). A group with no data is a gap;
  gaps shorter than a group are bridged.
- bars: the buckets are split into at most width / (2 x homes) consecutive
  groups and each group becomes one bar spanning the group whose height is the
  group's PEAK bucket energy (not the sum: the y axis keeps meaning "kWh per
  bucket"). The title then says so: "(each bar: the highest of 2 days)".
  A group with no data at all has no bar.

Images narrower than COMPACT_WIDTH or lower than COMPACT_HEIGHT show the data
alone, without text. Every image is exactly width x height pixels (96 dpi,
no tight bounding box); fixed margins, sized from the font, fit the labels.
The title starts at the image's left edge and is fitted to the room it has
(left of the legend): smaller, down to the labels' size; then, for one home,
the home on a line of its own above the rest (the plot gives up a line);
only then shortened with "…". A long y label shrinks to the plot's height.

A chart of one home may carry its capacity tariff's month (`CapacityMarks`,
at the tariff's period: 1h or 15m): the counted peaks in the range are drawn
over their own buckets in red (a bar, or a thick step on the line) with their
weighted kW above them, and the billed level is a dashed line at what a
period at that level shows (kWh per bucket, or W), named with its value in
the legend.

The words (labels, dates, the decimal mark) are in the chart's language
(`texts.py`).

Only matplotlib's object API is used (`Figure` + `FigureCanvasAgg`), never
pyplot or rcParams, which are global state shared by Home Assistant's threads.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from functools import partial
from typing import NamedTuple

import numpy as np
from matplotlib import dates as mdates
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.ticker import ScalarFormatter

from ..sink.models import FloatArray
from .models import Aggregate, CapacityMarks, Graph, HomeBuckets, IntArray
from .texts import SEPARATOR, ChartText, chart_text

MIN_SIZE = 16
MAX_SIZE = 4096
DPI = 96
COMPACT_WIDTH = 200
COMPACT_HEIGHT = 100
"""Below either, a chart has no text (title, labels, ticks): only the data."""

_SECONDS_PER_DAY = 86400.0
_SECOND = 1 / _SECONDS_PER_DAY
"""A second in matplotlib's date numbers (days)."""
_TITLE_PAD = 6.0
"""Points between the plot and the title's baseline (as matplotlib's titles)."""
PEAKS_GID = "capacity_peaks"
BILLED_GID = "capacity_billed"
"""The ids of the capacity tariff's artists (the counted peaks, the billed level)."""
_PEAK_COLOR = "C3"
_BILLED_COLOR = "0.15"
_PEAK_LABEL = 0.85
"""A peak's kW label, in parts of the font."""
_LABEL_PAD = 2.0
"""Points between a peak and its label."""


class _Series(NamedTuple):
    """One home to draw: its values (NaN where missing) and its color."""

    home: HomeBuckets
    values: FloatArray
    color: str


def render_png(
    homes: Sequence[HomeBuckets],
    graph: Graph,
    aggregate: Aggregate,
    *,
    width: int,
    height: int,
    tz: tzinfo,
    title: str | None = None,
    font: float | None = None,
    language: str | None = None,
    marks: CapacityMarks | None = None,
) -> bytes:
    """Render `homes` as a PNG of exactly `width` x `height` pixels (`draw`)."""
    return _png(
        draw(
            homes,
            graph,
            aggregate,
            width=width,
            height=height,
            tz=tz,
            title=title,
            font=font,
            language=language,
            marks=marks,
        )
    )


def draw(
    homes: Sequence[HomeBuckets],
    graph: Graph,
    aggregate: Aggregate,
    *,
    width: int,
    height: int,
    tz: tzinfo,
    title: str | None = None,
    font: float | None = None,
    language: str | None = None,
    marks: CapacityMarks | None = None,
) -> Figure:
    """The chart of `homes`, `width` x `height` pixels, on an Agg canvas; `font`
    in points (default: 10 at the default size, less for smaller images), words
    in `language` (Home Assistant's: "sv"; English if it has none); `marks`
    over a chart of one home. The no-data image shows `title` only when one is
    given."""
    assert MIN_SIZE <= width <= MAX_SIZE, width
    assert MIN_SIZE <= height <= MAX_SIZE, height
    font = font or _font_size(width, height)
    text = chart_text(language)
    # A home keeps its color when another one has no data.
    series = [
        _Series(home, values, f"C{index}")
        for index, home in enumerate(homes)
        if not np.isnan(values := _values(home, graph)).all()
    ]
    compact = width < COMPACT_WIDTH or height < COMPACT_HEIGHT
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(fig)  # Attaches itself to the figure.
    edge = font * DPI / 72 / 2  # pixels between the title and the image's edges
    if not series:
        fig.text(0.5, 0.5, text.no_data, ha="center", va="center", fontsize=font)
        if title and not compact:
            label = fig.text(edge / width, 1 - edge / height, "", va="top")
            _fit_title(fig, label, title, font, right=width - edge)
        return fig

    if compact:
        fig.subplots_adjust(left=0, bottom=0, right=1, top=1)
    else:
        _fit_margins(fig, width, height, font)
    ax = fig.add_subplot()

    if graph is Graph.HIST:
        per_bar = _draw_bars(ax, series, width)
        ylabel = text.energy
        if per_bar > 1:
            words = text.highest.format(count=per_bar, buckets=text.buckets[aggregate])
            title = f"{title} ({words})" if title else f"({words})"
    else:
        _draw_lines(ax, series, width)
        ylabel = text.power
    handles: list[Artist] = []
    labels: list[Annotation] = []
    if marks is not None and len(series) == 1:
        handles, labels = _draw_marks(ax, series[0], marks, graph, text=text, font=font)
    ax.autoscale_view()
    ax.set_xlim(
        _date(min(float(s.home.edges[0]) for s in series)),
        _date(max(float(s.home.edges[-1]) for s in series)),
    )
    if min(float(np.nanmin(s.values)) for s in series) >= 0:
        ax.set_ylim(bottom=0)
    if compact:
        # Too small for text: the data alone, edge to edge.
        ax.set_axis_off()
        return fig

    _label_axes(ax, text, tz=tz, width=width, font=font, first=series[0].home.edges[0])
    ax.set_ylabel(ylabel, fontsize=font)
    right = width - edge
    if len(homes) > 1 or handles:
        right = _legend(fig, ax, handles or None, len(handles or series), font)
    if title:
        _draw_title(fig, title, font, edge=edge, right=right, split=len(homes) == 1)
    _fit_ylabel(fig, ax)
    if labels:
        _place_labels(fig, ax, labels, font)
    return fig


def _legend(
    fig: Figure, ax: Axes, handles: list[Artist] | None, columns: int, font: float
) -> float:
    """The legend above the plot, right of the title (never over the data):
    of `handles`, else of every home. Where the title must end (pixels)."""
    legend = ax.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=columns,
        fontsize=font,
        frameon=False,
        borderaxespad=0.2,
        handlelength=1.2,
    )
    renderer = _canvas(fig).get_renderer()  # type: ignore[no-untyped-call]
    return float(legend.get_window_extent(renderer).x0 - font * DPI / 72)


def _draw_marks(
    ax: Axes,
    one: _Series,
    marks: CapacityMarks,
    graph: Graph,
    *,
    text: ChartText,
    font: float,
) -> tuple[list[Artist], list[Annotation]]:
    """The counted peaks that fall in the chart's buckets, over their buckets
    with their kW above; the billed level as a line. The artists for the
    legend, and the peaks' labels."""
    edges, values = one.home.edges, one.values
    starts = np.array([start for start, _kw in marks.peaks], dtype=float)
    index = np.searchsorted(edges, starts, side="right") - 1
    inside = (index >= 0) & (index < len(values))
    inside[inside] &= ~np.isnan(values[index[inside]])
    index = index[inside]
    kws = [kw for (_start, kw), shown in zip(marks.peaks, inside, strict=True) if shown]
    top = values[index]
    hist = graph is Graph.HIST
    handles: list[Artist] = []
    labels: list[Annotation] = []
    if len(index):
        x0, x1 = _dates(edges[index]), _dates(edges[index + 1])
        peaks = _add_boxes(
            ax,
            _PEAK_COLOR,
            text.peaks,
            (x0, x1),
            (np.zeros_like(top) if hist else top, top),
            outline=1.0 if hist else 3.0,  # a quarter of a month is under a pixel
        )
        peaks.set_gid(PEAKS_GID)
        peaks.set_zorder(2.5)  # over a step line
        handles.append(peaks)
        middle = (x0 + x1) / 2
        if not hist:  # an hour of a month's line is a pixel wide: a dot
            ax.plot(
                middle,
                top,
                linestyle="none",
                marker="o",
                markersize=font * 0.5,
                color=_PEAK_COLOR,
                zorder=2.5,
            )
        labels = [
            ax.annotate(
                text.number(kw),
                (x, y),
                xytext=(0, _LABEL_PAD),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=font * _PEAK_LABEL,
                color=_PEAK_COLOR,
            )
            for x, y, kw in zip(middle, top, kws, strict=True)
        ]
    # A period at the billed level: its kWh (bars) or its W (line).
    per_kw = marks.period_seconds / 3600 if hist else 1000.0
    billed = ax.axhline(
        marks.billed_kw * per_kw,
        color=_BILLED_COLOR,
        linestyle="--",
        linewidth=1.2,
        label=_literal(text.billed.format(kw=text.number(marks.billed_kw))),
        gid=BILLED_GID,
    )
    handles.append(billed)
    return handles, labels


def _place_labels(fig: Figure, ax: Axes, labels: list[Annotation], font: float) -> None:
    """The peaks' labels in rows above their peaks, a label that would touch
    the one before it in a row higher up; the plot's top raised so that every
    row fits above the highest peak."""
    renderer = _canvas(fig).get_renderer()  # type: ignore[no-untyped-call]
    row_height = font * _PEAK_LABEL * 1.25  # points
    ends: list[float] = []  # the right end of each row's last label (pixels)
    for label in sorted(labels, key=lambda each: float(each.xy[0])):
        box = label.get_window_extent(renderer)
        row = next(
            (row for row, end in enumerate(ends) if box.x0 > end + font),
            len(ends),
        )
        if row == len(ends):
            ends.append(box.x1)
        else:
            ends[row] = box.x1
        label.xyann = (0.0, _LABEL_PAD + row * row_height)
    pixels = (2 * _LABEL_PAD + len(ends) * row_height) * DPI / 72
    low, high = ax.get_ylim()
    highest = max(float(label.xy[1]) for label in labels)
    size = ax.bbox.height
    if size > pixels:
        ax.set_ylim(top=max(high, low + (highest - low) * size / (size - pixels)))


def _fit_ylabel(fig: Figure, ax: Axes) -> None:
    """The y label no longer than the plot is high ("Durchschnittsleistung (W)"
    on a card): smaller if it must be."""
    renderer = _canvas(fig).get_renderer()  # type: ignore[no-untyped-call]
    label = ax.yaxis.label
    room = ax.get_window_extent(renderer).height
    long = label.get_window_extent(renderer).height
    if long > room:
        label.set_fontsize(float(label.get_fontsize()) * room / long)


def _draw_title(
    fig: Figure, title: str, font: float, *, edge: float, right: float, split: bool
) -> None:
    """`title` above the plot, from the image's left edge (not the plot's) to
    `right` (pixels). If it must be cut and may be `split`, the home (its first
    part) stands on a line of its own above the rest, and the plot gives up
    the room."""
    left, height = edge / fig.bbox.width, fig.bbox.height
    pad = _TITLE_PAD * DPI / 72 / height
    label = fig.text(left, fig.subplotpars.top + pad, "", va="baseline")
    head, separator, rest = title.partition(SEPARATOR)
    if _fit_title(fig, label, title, font, right=right) or not split or not separator:
        return
    line = 1.25 * font * 1.15 * DPI / 72 / height  # a title's line
    top = fig.subplotpars.top - line
    fig.subplots_adjust(top=top)
    label.set_y(top + pad)
    _fit_title(fig, label, rest, font, right=right)
    home = fig.text(left, top + pad + line, "", va="baseline")
    _fit_title(fig, home, head, font, right=right)
    size = min(home.get_fontsize(), label.get_fontsize())
    home.set_fontsize(size)  # narrower: still fits
    label.set_fontsize(size)


def _label_axes(
    ax: Axes, text: ChartText, *, tz: tzinfo, width: int, font: float, first: float
) -> None:
    """Dates below, numbers left, in `text`'s words, `font` points; the time
    axis named by its zone at the `first` edge."""
    # matplotlib.dates has no type stubs: hence the ignores.
    # maxticks >= 5 lets AutoDateLocator find an interval for any range.
    locator = _Ticks(  # type: ignore[no-untyped-call]
        tz=tz, minticks=2, maxticks=max(5, min(11, width // 110))
    )
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_Dates(locator, tz, text))
    ax.yaxis.set_major_formatter(_Decimals(text.decimal))
    ax.tick_params(labelsize=font)
    ax.xaxis.get_offset_text().set_fontsize(font)
    ax.yaxis.get_offset_text().set_fontsize(font)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    zone = _tz_name(tz, first)
    ax.set_xlabel(_literal(text.time.format(zone=zone)), fontsize=font)


class _Ticks(mdates.AutoDateLocator):
    """matplotlib's date ticks, none at the axis' right end: its label would
    stand half outside the image (the 12 months end on a new year)."""

    def __call__(self) -> list[float]:
        """The ticks left of the end."""
        ticks = super().__call__()  # type: ignore[no-untyped-call]
        assert self.axis is not None  # set by set_major_locator
        end = float(self.axis.get_view_interval()[1])
        return [float(tick) for tick in ticks if tick < end - _SECOND]


class _Dates(mdates.ConciseDateFormatter):
    """matplotlib's concise dates with the months and date order of `text`.

    strftime fills stand-ins for the day and the month (`{D06}`, `{M12}`),
    which become words afterwards: its own names follow the process locale.
    """

    _MONTH, _DAY = "{M%m}", "{D%d}"
    _STAND_IN = re.compile(r"\{([DM])(\d\d)\}")

    def __init__(self, locator: object, tz: tzinfo, text: ChartText) -> None:
        """matplotlib's default formats, with the names and order of `text`."""
        day = text.day_month.format(day=self._DAY, month=self._MONTH)
        super().__init__(  # type: ignore[no-untyped-call]
            locator,
            tz=tz,
            formats=["%Y", self._MONTH, "%d", "%H:%M", "%H:%M", "%S.%f"],
            zero_formats=["", "%Y", self._MONTH, day, "%H:%M", "%H:%M"],
            offset_formats=[
                "",
                "%Y",
                f"{self._MONTH} %Y",
                f"{day} %Y",
                f"{day} %Y",
                f"{day} %Y %H:%M",
            ],
        )
        self._text = text

    def format_ticks(self, values: list[float]) -> list[str]:
        """The tick labels, in words."""
        labels = super().format_ticks(values)  # type: ignore[no-untyped-call]
        return [self._words(label) for label in labels]

    def get_offset(self) -> str:
        """The date under the last tick, in words."""
        return self._words(super().get_offset())  # type: ignore[no-untyped-call]

    def _words(self, label: str) -> str:
        return self._STAND_IN.sub(
            lambda found: (
                self._text.month(int(found[2]))
                if found[1] == "M"
                else str(int(found[2]))
            ),
            label,
        )


class _Decimals(ScalarFormatter):
    """matplotlib's numbers with the language's decimal mark."""

    def __init__(self, mark: str) -> None:
        """`mark` instead of the point."""
        super().__init__()
        self._mark = mark

    def format_ticks(self, values: list[float]) -> list[str]:
        """The tick labels, with the mark."""
        labels = super().format_ticks(values)
        return [label.replace(".", self._mark) for label in labels]


def _fit_title(
    fig: Figure, label: Text, title: str, font: float, *, right: float
) -> bool:
    """`title` in `label`, ending left of `right` (pixels): 1.15 x `font`
    points, smaller down to `font` if it must, then shortened with "…": its
    first part (the home, before " · ") as far as it must, else its end.
    Whether it is whole."""
    renderer = _canvas(fig).get_renderer()  # type: ignore[no-untyped-call]

    def fits(words: str) -> bool:
        label.set_text(_literal(words))
        return bool(label.get_window_extent(renderer).x1 <= right)

    size = font * 1.15
    label.set_fontsize(size)
    while not fits(title):
        if size <= font:
            break
        extent = label.get_window_extent(renderer)
        size = max(font, size * 0.99 * max(0.0, right - extent.x0) / extent.width)
        label.set_fontsize(size)
    else:
        return True
    head, separator, tail = title.partition(SEPARATOR)
    cuts = [(head, separator + tail)] if separator else []
    for cut, rest in [*cuts, (title, "")]:
        shortened = partial(_shortened, cut, rest)
        keep = _longest(_composed(fits, shortened), len(cut))
        if keep is not None:
            label.set_text(_literal(shortened(keep)))
            return False
    return False


def _composed(
    fits: Callable[[str], bool], text: Callable[[int], str]
) -> Callable[[int], bool]:
    """Whether `text(keep)` fits."""
    return lambda keep: fits(text(keep))


def _shortened(cut: str, rest: str, keep: int) -> str:
    """`cut` cut to `keep` characters, "…", then `rest`."""
    return f"{cut[:keep].rstrip()}…{rest}"


def _longest(fits: Callable[[int], bool], most: int) -> int | None:
    """The largest `keep` in 0..`most` that `fits` (which holds up to some
    value and not beyond it); None if none does."""
    low, high, best = 0, most, None
    while low <= high:
        middle = (low + high) // 2
        if fits(middle):
            best, low = middle, middle + 1
        else:
            high = middle - 1
    return best


def _draw_bars(ax: Axes, series: list[_Series], width: int) -> int:
    """Draw the bars of every home; return how many buckets one bar stands for."""
    groups = max(1, width // (2 * len(series)))
    per_bar = 1
    for index, one in enumerate(series):
        first, last, peak, size = _reduce_peaks(one.values, groups)
        per_bar = max(per_bar, size)
        left = _dates(one.home.edges[first])
        right = _dates(one.home.edges[last + 1])
        slot = (right - left) / len(series)
        x0 = left + index * slot
        _add_boxes(
            ax,
            one.color,
            one.home.home_name,
            (x0, x0 + slot * 0.9),
            (np.zeros_like(peak), peak),
        )
    return per_bar


def _draw_lines(ax: Axes, series: list[_Series], width: int) -> None:
    """Draw the step line of every home; a band where it would be too dense."""
    groups = max(1, width // 2)
    for one in series:
        home, values, color = one
        if len(values) > 2 * groups:
            _draw_band(ax, one, groups)
            continue
        # The last step lasts until the end of its bucket.
        y = np.append(values, values[-1:])
        ax.plot(
            _dates(home.edges),
            y,
            drawstyle="steps-post",
            linewidth=1.2,
            label=_literal(home.home_name),
            color=color,
        )


def _draw_band(ax: Axes, one: _Series, groups: int) -> None:
    """More buckets than two per pixel column: a rectangle per group (`_band`).

    A step line through a min and a max per column would zigzag over the
    whole height in every column, and Agg, holding the GIL, takes up to
    seconds to stroke that on a large image; filling rectangles is cheap.
    """
    first, after, low, high = _band(one.values, groups)
    x = (_dates(one.home.edges[first]), _dates(one.home.edges[after]))
    # outline: a flat group is still a line
    _add_boxes(ax, one.color, one.home.home_name, x, (low, high), outline=0.6)


def _add_boxes(
    ax: Axes,
    color: str,
    label: str,
    x: tuple[FloatArray, FloatArray],
    y: tuple[FloatArray, FloatArray],
    *,
    outline: float = 0.0,
) -> PolyCollection:
    """Rectangles from x[0] to x[1] and y[0] to y[1], in one PolyCollection
    (`Axes.bar` makes an artist per bar, far slower)."""
    (x0, x1), (y0, y1) = x, y
    corners = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
    rectangles = np.stack([np.stack(c, axis=-1) for c in corners], axis=1)
    boxes = PolyCollection(
        list(rectangles),
        facecolors=color,
        edgecolors=color,
        linewidths=outline,
        label=_literal(label),
    )
    ax.add_collection(boxes)
    return boxes


def _band(
    values: FloatArray, groups: int
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """The values in at most `groups` groups of consecutive values: for each
    group with data its first index, the index after its last, and the range
    from its minimum to its maximum, stretched to reach the range of the group
    right before it (as a step line's riser would). Peaks stay; a group without
    data is left out (a gap).
    """
    first, after, low, high, _ = _extremes(values, groups)
    joined = np.flatnonzero(first[1:] == after[:-1]) + 1  # a group with data before
    reach_low, reach_high = low.copy(), high.copy()
    reach_low[joined] = np.minimum(low[joined], high[joined - 1])
    reach_high[joined] = np.maximum(high[joined], low[joined - 1])
    return first, after, reach_low, reach_high


def _values(home: HomeBuckets, graph: Graph) -> FloatArray:
    """The value each bucket shows: NaN where it has no data."""
    return home.energy if graph is Graph.HIST else home.average_power


def _date(timestamp: float) -> float:
    """The matplotlib date number (days since its epoch) of a UTC timestamp."""
    epoch = float(mdates.date2num(datetime(1970, 1, 1, tzinfo=UTC)))  # type: ignore[no-untyped-call]
    return epoch + timestamp / _SECONDS_PER_DAY


def _dates(timestamps: FloatArray) -> FloatArray:
    """`_date` of each UTC timestamp."""
    return _date(0.0) + timestamps / _SECONDS_PER_DAY


def _grouped(values: FloatArray, groups: int) -> tuple[FloatArray, int]:
    """`values` as rows of consecutive items (at most `groups` rows), NaN-padded."""
    size = -(-len(values) // groups)
    rows = -(-len(values) // size)
    padded = np.full(rows * size, np.nan)
    padded[: len(values)] = values
    return padded.reshape(rows, size), size


def _reduce_peaks(
    values: FloatArray, groups: int
) -> tuple[IntArray, IntArray, FloatArray, int]:
    """Bars of at most `groups` groups of consecutive buckets.

    Returns each bar's first and last bucket index, its height (the group's
    peak) and the buckets per group. Groups (or buckets) without data get no
    bar.
    """
    if len(values) <= groups:
        kept = np.flatnonzero(~np.isnan(values))
        return kept, kept, values[kept], 1
    first, after, _, peak, size = _extremes(values, groups)
    return first, after - 1, peak, size


def _extremes(
    values: FloatArray, groups: int
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, int]:
    """The groups (at most `groups`) of consecutive values that have data:
    each one's first index, the index after its last, its minimum and maximum;
    and the values per group."""
    table, size = _grouped(values, groups)
    missing = np.isnan(table)
    known = ~missing.all(axis=1)
    low = np.where(missing, np.inf, table).min(axis=1)
    high = np.where(missing, -np.inf, table).max(axis=1)
    first = np.arange(len(table)) * size
    after = np.minimum(first + size, len(values))
    return first[known], after[known], low[known], high[known], size


def _fit_margins(fig: Figure, width: int, height: int, font: float) -> None:
    """Room for the labels, in multiples of the font's line height.

    Fixed margins instead of a layout engine: constrained and tight layout
    measure every label several times, holding the GIL (and so Home
    Assistant's event loop) for tens of milliseconds at a stretch.
    """
    line = font * DPI / 72 * 1.25  # pixels
    fig.subplots_adjust(
        left=min(0.3, 5.6 * line / width),  # y tick labels (up to 6 digits), label
        right=1 - min(0.1, 0.8 * line / width),
        bottom=min(0.4, 3.3 * line / height),  # two rows of dates, x label
        top=1 - min(0.3, 1.9 * line / height),  # title and legend
    )


def _font_size(width: int, height: int) -> float:
    """Points: 10 at the default size, smaller for small images."""
    return max(4.0, min(10.0, height / 28, width / 60))


def _tz_name(tz: tzinfo, reference: float) -> str:
    """The zone's key (Europe/Oslo) if it has one, else its name at `reference`."""
    key = getattr(tz, "key", None)
    if isinstance(key, str) and key:
        return key
    return tz.tzname(datetime.fromtimestamp(reference, tz)) or str(tz)


def _literal(text: str) -> str:
    """`text` shown as is: a `$` would start matplotlib's math mode."""
    return text.replace("$", r"\$")


def _canvas(fig: Figure) -> FigureCanvasAgg:
    """The Agg canvas `draw` attached to `fig`."""
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    return canvas


def _png(fig: Figure) -> bytes:
    """The figure as PNG bytes, at its exact size."""
    buffer = io.BytesIO()
    # zlib level 1: a few KB larger, and the encoder (which holds the GIL) 3x faster.
    fig.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()
