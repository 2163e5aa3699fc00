"""What a chart shows of a capacity tariff, read from its matplotlib Figure."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Annotation

from custom_components.powertracker.export.png import BILLED_GID, PEAKS_GID

_EPOCH = float(mdates.date2num(datetime(1970, 1, 1, tzinfo=UTC)))  # type: ignore[no-untyped-call]


def _seconds(number: float) -> float:
    """UTC seconds of a matplotlib date number, to the second."""
    return round((number - _EPOCH) * 86400)


def _axes(fig: Figure) -> Axes:
    (ax,) = fig.axes
    return ax


def marked(fig: Figure) -> list[tuple[float, float, float, float]]:
    """The marked boxes as (UTC start, UTC end, bottom, top), in time order."""
    found = [c for c in _axes(fig).collections if c.get_gid() == PEAKS_GID]
    if not found:
        return []
    (peaks,) = found
    assert isinstance(peaks, PolyCollection)
    boxes = []
    for path in peaks.get_paths():
        corners = np.asarray(path.vertices, dtype=float)
        x, y = corners[:, 0], corners[:, 1]
        boxes.append(
            (_seconds(x.min()), _seconds(x.max()), float(y.min()), float(y.max()))
        )
    return sorted(boxes)


def billed_level(fig: Figure) -> float | None:
    """The y of the billed level's line (None: no line)."""
    lines = [line for line in _axes(fig).lines if line.get_gid() == BILLED_GID]
    if not lines:
        return None
    (line,) = lines
    assert isinstance(line, Line2D)
    low, high = np.asarray(line.get_ydata(), dtype=float)
    assert low == high
    return float(low)


def peak_labels(fig: Figure) -> list[str]:
    """The labels above the marked peaks, in time order."""
    labels = [text for text in _axes(fig).texts if isinstance(text, Annotation)]
    labels.sort(key=lambda label: label.xy[0])
    return [label.get_text() for label in labels]


def legend_words(fig: Figure) -> list[str]:
    """The legend's entries (none: [])."""
    legend = _axes(fig).get_legend()
    return [] if legend is None else [text.get_text() for text in legend.get_texts()]
