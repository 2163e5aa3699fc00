"""The PNG renderer: exact sizes, gaps, empty input, large inputs, reduction."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from custom_components.powertracker.export.models import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    Aggregate,
    CapacityMarks,
    Graph,
    HomeBuckets,
)
from custom_components.powertracker.export.png import (
    _band,
    _reduce_peaks,
    _tz_name,
    draw,
    render_png,
)
from custom_components.powertracker.export.texts import chart_title
from custom_components.powertracker.image import CHART_FONT, CHART_HEIGHT, CHART_WIDTH
from tests.export.marks import billed_level, legend_words, marked, peak_labels

OSLO = ZoneInfo("Europe/Oslo")
LONG_NAME = "Sommarstugan vid Sjön Långträsket Norr 7"
LANGUAGES = ["en", "sv", "nb", "de", "nl"]
SIZES = pytest.mark.parametrize(
    ("width", "height", "font"),
    [(CHART_WIDTH, CHART_HEIGHT, CHART_FONT), (DEFAULT_WIDTH, DEFAULT_HEIGHT, None)],
    ids=["card", "export"],
)
"""The sizes a chart is drawn at: the usage chart's, an export's default."""
START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_OF_5M = 365 * 288
"""105,120 five-minute buckets."""


def _home(
    name: str,
    power: Sequence[float | None],
    step: timedelta = timedelta(hours=1),
    start: datetime = START,
) -> HomeBuckets:
    """A home whose buckets have these average powers (W); None is missing."""
    seconds = step.total_seconds()
    watts = np.array([np.nan if w is None else w for w in power], dtype=float)
    return _buckets(
        name,
        (start.timestamp() + seconds * np.arange(len(watts) + 1)).astype(np.float64),
        watts,
    )


def _buckets(
    name: str, edges: npt.NDArray[np.float64], watts: npt.NDArray[np.float64]
) -> HomeBuckets:
    """A home with buckets between `edges` of these average powers (W; NaN missing)."""
    energy = watts * np.diff(edges) / 3600 / 1000
    nan = np.full(len(watts), np.nan)
    return HomeBuckets(
        name.lower(), name, "NOK", edges, energy, watts, nan, nan, ~np.isnan(watts)
    )


def _day(name: str = "Home", offset: float = 0) -> HomeBuckets:
    """24 hourly buckets of 500..1650 W."""
    return _home(name, [500 + 50 * hour + offset for hour in range(24)])


def _year(name: str, seed: int, spike_at: int | None = None) -> HomeBuckets:
    """A year of 5-minute buckets around 1 kW, with an optional 50 kW spike."""
    rng = np.random.default_rng(seed)
    power = 1000 + 300 * rng.standard_normal(YEAR_OF_5M)
    if spike_at is not None:
        power[spike_at] = 50_000
    return _buckets(
        name,
        (START.timestamp() + 300.0 * np.arange(YEAR_OF_5M + 1)).astype(np.float64),
        power,
    )


def _decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def _pixels(data: bytes) -> npt.NDArray[np.int16]:
    """RGB pixels as signed ints (rows, columns, 3)."""
    return np.asarray(_decode(data).convert("RGB"), dtype=np.int16)


@pytest.fixture(scope="module")
def year_homes() -> list[HomeBuckets]:
    """Two homes with a year of 5-minute buckets each; one has a 50 kW spike."""
    return [_year("Home", 1, spike_at=12_345), _year("Cabin", 2)]


@pytest.mark.parametrize("graph", list(Graph))
@pytest.mark.parametrize(
    ("width", "height"),
    [
        (DEFAULT_WIDTH, DEFAULT_HEIGHT),
        (16, 16),
        (16, 4096),
        (4096, 16),
        (150, 90),
        (320, 160),
        (800, 600),
    ],
)
def test_exact_size(graph: Graph, width: int, height: int) -> None:
    """Every chart is a PNG of exactly the requested size."""
    homes = [_day("Home"), _day("Cabin", offset=100)]

    data = render_png(homes, graph, Aggregate.HOUR, width=width, height=height, tz=OSLO)

    assert _decode(data).size == (width, height)


@pytest.mark.parametrize("graph", list(Graph))
def test_single_home_single_bucket(graph: Graph) -> None:
    """One home with one bucket renders."""
    data = render_png(
        [_home("Home", [700])],
        graph,
        Aggregate.DAY,
        width=DEFAULT_WIDTH,
        height=DEFAULT_HEIGHT,
        tz=UTC,
    )

    assert _decode(data).size == (DEFAULT_WIDTH, DEFAULT_HEIGHT)


@pytest.mark.parametrize("graph", list(Graph))
def test_months_of_different_lengths(graph: Graph) -> None:
    """Monthly buckets (28 to 31 days) render."""
    edges = np.array(
        [
            datetime(2025 + m // 13, (m - 1) % 12 + 1, 1, tzinfo=OSLO).timestamp()
            for m in range(1, 14)
        ]
    )
    home = _buckets("Home", edges, 500.0 + 20.0 * np.arange(12, dtype=np.float64))

    data = render_png([home], graph, Aggregate.MONTH, width=640, height=240, tz=OSLO)

    assert _decode(data).size == (640, 240)


@pytest.mark.parametrize("graph", list(Graph))
@pytest.mark.parametrize(
    "homes",
    [
        [],
        [_home("Home", [])],
        [_home("Home", [None] * 24), _home("Cabin", [None] * 24)],
    ],
    ids=["no-homes", "no-buckets", "all-missing"],
)
def test_no_data(graph: Graph, homes: list[HomeBuckets]) -> None:
    """Without any data the image says so, at the requested size."""
    data = render_png(homes, graph, Aggregate.HOUR, width=600, height=200, tz=OSLO)

    pixels = _pixels(data)
    assert pixels.shape == (200, 600, 3)
    # Some text, and it is in the middle.
    dark = np.argwhere(pixels.max(axis=2) < 128)
    assert len(dark) > 0
    rows, columns = dark[:, 0], dark[:, 1]
    assert 60 < rows.min() <= rows.max() < 140
    assert 150 < columns.min() <= columns.max() < 450
    assert data == render_png([], graph, Aggregate.HOUR, width=600, height=200, tz=OSLO)
    # With a title (the usage chart's), the title stands above the message.
    titled = _pixels(
        render_png(
            homes, graph, Aggregate.HOUR, width=600, height=200, tz=OSLO, title="Cabin"
        )
    )
    assert (titled.max(axis=2) < 128)[:40].any()
    assert not (pixels.max(axis=2) < 128)[:40].any()


@pytest.mark.parametrize("graph", list(Graph))
def test_missing_buckets(graph: Graph) -> None:
    """Gaps at the start, the middle and the end render; the image changes."""
    power: list[float | None] = [500 + 50 * hour for hour in range(24)]
    gappy = list(power)
    for hour in (0, 1, 10, 11, 12, 23):
        gappy[hour] = None

    full = render_png(
        [_home("Home", power)], graph, Aggregate.HOUR, width=600, height=200, tz=UTC
    )
    with_gaps = render_png(
        [_home("Home", gappy)], graph, Aggregate.HOUR, width=600, height=200, tz=UTC
    )

    assert _decode(with_gaps).size == (600, 200)
    assert not np.array_equal(_pixels(full), _pixels(with_gaps))


@pytest.mark.parametrize("graph", list(Graph))
def test_awkward_names(graph: Graph) -> None:
    """Names with `$` are text, never math (an unbalanced one would raise)."""
    homes = [_day(r"Home $\frac$"), _day("Cabin $5")]

    data = render_png(
        homes,
        graph,
        Aggregate.HOUR,
        width=600,
        height=200,
        tz=OSLO,
        title="Costs in $ and $$",
    )

    assert _decode(data).size == (600, 200)


def test_hist_and_lineplot_differ() -> None:
    """The same data drawn as bars and as a line are different pictures."""
    homes = [_day("Home")]

    hist, line = (
        render_png(
            homes,
            graph,
            Aggregate.HOUR,
            width=DEFAULT_WIDTH,
            height=DEFAULT_HEIGHT,
            tz=OSLO,
        )
        for graph in (Graph.HIST, Graph.LINEPLOT)
    )

    assert _pixels(hist).shape == _pixels(line).shape
    assert not np.array_equal(_pixels(hist), _pixels(line))


@pytest.mark.parametrize("graph", list(Graph))
def test_year_of_five_minute_buckets(
    graph: Graph, year_homes: list[HomeBuckets]
) -> None:
    """Two homes with 105,120 buckets each render at the default size."""
    data = render_png(
        year_homes,
        graph,
        Aggregate.FIVE_MINUTES,
        width=DEFAULT_WIDTH,
        height=DEFAULT_HEIGHT,
        tz=OSLO,
    )

    assert _decode(data).size == (DEFAULT_WIDTH, DEFAULT_HEIGHT)


def test_spike_survives_in_the_picture(year_homes: list[HomeBuckets]) -> None:
    """A single 50 kW bucket in a year of ~1 kW is a tall, thin line.

    With the spike kept, the y axis reaches 50 kW: the ~1 kW line lies at the
    bottom and the upper part of the plot holds only the spike's few columns.
    Had the reduction lost it, the y axis would fit ~1 kW and the line would
    cross the upper part from side to side.
    """
    data = render_png(
        year_homes[:1],
        Graph.LINEPLOT,
        Aggregate.FIVE_MINUTES,
        width=DEFAULT_WIDTH,
        height=DEFAULT_HEIGHT,
        tz=OSLO,
    )

    pixels = _pixels(data)
    red, blue = pixels[..., 0], pixels[..., 2]
    upper = slice(DEFAULT_HEIGHT * 20 // 100, DEFAULT_HEIGHT * 55 // 100)
    blue_columns = np.flatnonzero(((blue - red) > 60)[upper].any(axis=0))
    assert 1 <= len(blue_columns) <= 4
    assert blue_columns.max() - blue_columns.min() <= 3


def test_band_keeps_extremes_gaps_and_continuity() -> None:
    """A year of 5-minute values as at most 576 rectangles: the extremes stay,
    a gap longer than a group stays, and each rectangle reaches the previous."""
    rng = np.random.default_rng(3)
    values = 1000 + 300 * rng.standard_normal(YEAR_OF_5M)
    values[77_777] = 50_000
    values[5] = -5000
    values[1000:3000] = np.nan

    first, after, low, high = _band(values, 576)

    assert len(first) <= 576
    assert np.all(after > first)
    assert high.max() == 50_000
    assert low.min() == -5000
    covered = np.zeros(YEAR_OF_5M, dtype=bool)
    for start, stop in zip(first, after, strict=True):
        covered[start:stop] = True
    assert not covered[1400:2600].any()  # the gap
    assert covered[~np.isnan(values)].all()  # nothing else is lost
    touching = first[1:] == after[:-1]
    assert np.all(low[1:][touching] <= high[:-1][touching])
    assert np.all(high[1:][touching] >= low[:-1][touching])


def test_band_of_a_flat_line_is_flat() -> None:
    first, after, low, high = _band(np.full(10, 7.0), 2)

    assert first.tolist() == [0, 5]
    assert after.tolist() == [5, 10]
    assert low.tolist() == high.tolist() == [7.0, 7.0]


def test_reduce_peaks() -> None:
    """Each bar is its group's peak; groups without data have no bar."""
    values = np.array([1.0, 5.0, 2.0, np.nan, np.nan, np.nan, 3.0, 4.0, 9.0, 0.5])

    first, last, peak, size = _reduce_peaks(values, 4)

    assert size == 3
    assert first.tolist() == [0, 6, 9]
    assert last.tolist() == [2, 8, 9]
    assert peak.tolist() == [5.0, 9.0, 0.5]


def test_reduce_peaks_year_keeps_the_maximum() -> None:
    """The tallest bar is the tallest bucket."""
    rng = np.random.default_rng(4)
    values = rng.random(YEAR_OF_5M)
    values[99_999] = 42.0

    _, _, peak, size = _reduce_peaks(values, 288)

    assert len(peak) <= 288
    assert size > 1
    assert peak.max() == values.max() == 42.0


def test_reduce_peaks_leaves_small_input() -> None:
    """Up to one bucket per group, every bucket with data is a bar."""
    values = np.array([1.0, np.nan, 3.0])

    first, last, peak, size = _reduce_peaks(values, 3)

    assert (first.tolist(), last.tolist(), peak.tolist(), size) == (
        [0, 2],
        [0, 2],
        [1.0, 3.0],
        1,
    )


def test_tz_name() -> None:
    """A zone's key where it has one, else its abbreviation."""
    moment = datetime(2025, 7, 1, tzinfo=UTC).timestamp()

    assert _tz_name(OSLO, moment) == "Europe/Oslo"
    assert _tz_name(UTC, moment) == "UTC"


def _drawn(fig: Figure) -> Text:
    """The title of a drawn chart (the figure's only text of its own)."""
    fig.canvas.draw()
    (title,) = fig.texts
    return title


def _title_lines(fig: Figure) -> list[Text]:
    """The lines of a drawn chart's title (its texts of its own), top first."""
    fig.canvas.draw()
    return sorted(fig.texts, key=lambda line: -line.get_window_extent().y0)


def _inside(artist: Text, width: int, height: int) -> bool:
    box = artist.get_window_extent()
    return bool(0 <= box.x0 < box.x1 <= width and 0 <= box.y0 < box.y1 <= height)


def _twenty_four_hours(name: str, start: datetime = START) -> HomeBuckets:
    """24 hours of 5-minute buckets of 600..1400 W (0.05..0.117 kWh)."""
    power = 1000 + 400 * np.sin(np.arange(288) / 20)
    return _home(name, list(power), timedelta(minutes=5), start)


@SIZES
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("graph", list(Graph))
def test_the_title_fits_a_long_home_name(
    graph: Graph, language: str, width: int, height: int, font: float | None
) -> None:
    """A 40-character home and the 24 hours' period: the title lies inside the
    image, whole; where one line is too short, the home is on a line of its
    own above the rest."""
    assert len(LONG_NAME) == 40
    home = _twenty_four_hours(LONG_NAME)
    start, end = (datetime.fromtimestamp(home.edges[i], UTC) for i in (0, -1))
    title = chart_title(
        [LONG_NAME],
        graph,
        Aggregate.FIVE_MINUTES,
        start,
        end,
        tz=OSLO,
        language=language,
    )
    fig = draw(
        [home],
        graph,
        Aggregate.FIVE_MINUTES,
        width=width,
        height=height,
        tz=OSLO,
        title=title,
        font=font,
        language=language,
    )

    lines = _title_lines(fig)
    assert all(_inside(line, width, height) for line in lines)
    assert " · ".join(line.get_text() for line in lines) == title
    assert len(lines) == (2 if width == CHART_WIDTH else 1)
    # Never smaller than the axis labels, and above the plot.
    plot = fig.axes[0].get_window_extent()
    labels = float(fig.axes[0].xaxis.label.get_fontsize())
    for line in lines:
        assert float(line.get_fontsize()) >= labels
        assert line.get_window_extent().y0 > plot.y1


@SIZES
def test_a_title_that_fits_is_whole(
    width: int, height: int, font: float | None
) -> None:
    title = "Villa · kWh per hour · 21 Nov - 28 Nov 2026"
    fig = draw(
        [_day("Villa")],
        Graph.HIST,
        Aggregate.HOUR,
        width=width,
        height=height,
        tz=OSLO,
        title=title,
        font=font,
    )
    assert _drawn(fig).get_text() == title


def test_the_title_stays_left_of_the_legend() -> None:
    """Two homes with long names: the legend above the plot, right; the title
    left of it, inside the image."""
    homes = [_day(LONG_NAME), _day("Villa Solsidan", offset=100)]
    fig = draw(
        homes,
        Graph.LINEPLOT,
        Aggregate.HOUR,
        width=DEFAULT_WIDTH,
        height=DEFAULT_HEIGHT,
        tz=OSLO,
        title="average W per hour · 1 Jan 2025 - 2 Jan 2025 " + "x" * 80,
    )
    title = _drawn(fig)
    legend = fig.axes[0].get_legend()
    assert legend is not None
    assert _inside(title, DEFAULT_WIDTH, DEFAULT_HEIGHT)
    assert title.get_window_extent().x1 < legend.get_window_extent().x0
    assert title.get_text().endswith("…")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            ["Energy (kWh)", "Average power (W)", "Time (Europe/Oslo)", "6 Dec"],
        ),
        ("sv", ["Energi (kWh)", "Medeleffekt (W)", "Tid (Europe/Oslo)", "6 dec"]),
        (
            "nb",
            [
                "Energi (kWh)",
                "Gjennomsnittlig effekt (W)",
                "Tid (Europe/Oslo)",
                "6. des",
            ],
        ),
        (
            "de",
            [
                "Energie (kWh)",
                "Durchschnittsleistung (W)",
                "Zeit (Europe/Oslo)",
                "6. Dez",
            ],
        ),
        (
            "nl",
            ["Energie (kWh)", "Gemiddeld vermogen (W)", "Tijd (Europe/Oslo)", "6 dec"],
        ),
    ],
)
def test_the_axes_speak_the_language(language: str, words: list[str]) -> None:
    """Axis labels, the midnight tick, the date under the axis and the decimal
    mark, whatever the process's locale (no setlocale)."""
    energy, power, time, midnight = words
    decimal = "." if language == "en" else ","
    # 24 hours from 5 Dec 2026 10:15 in Oslo: midnight is 6 Dec.
    home = _twenty_four_hours("Villa", datetime(2026, 12, 5, 9, 15, tzinfo=UTC))
    for graph, ylabel in ((Graph.HIST, energy), (Graph.LINEPLOT, power)):
        fig = draw(
            [home],
            graph,
            Aggregate.FIVE_MINUTES,
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
            tz=OSLO,
            font=CHART_FONT,
            language=language,
        )
        fig.canvas.draw()
        ax = fig.axes[0]
        assert (ax.get_xlabel(), ax.get_ylabel()) == (time, ylabel)
        # A long label is made to fit the plot's height.
        assert ax.yaxis.label.get_window_extent().height <= ax.bbox.height
        assert midnight in [tick.get_text() for tick in ax.get_xticklabels()]
        assert ax.xaxis.get_offset_text().get_text() == f"{midnight} 2026"
        numbers = [tick.get_text() for tick in ax.get_yticklabels()]
        if graph is Graph.HIST:  # kWh per 5 minutes: 0.00, 0.02, ...
            assert any(decimal in number for number in numbers), numbers
            assert not any(({".", ","} - {decimal}) & set(n) for n in numbers)


@pytest.mark.parametrize(
    ("language", "months"),
    [
        ("en", ["2026", "Mar", "May", "Jul", "Sep", "Nov"]),
        ("sv", ["2026", "mar", "maj", "jul", "sep", "nov"]),
        ("nb", ["2026", "mar", "mai", "jul", "sep", "nov"]),
        ("de", ["2026", "Mär", "Mai", "Jul", "Sep", "Nov"]),
        ("nl", ["2026", "mrt", "mei", "jul", "sep", "nov"]),
    ],
)
def test_twelve_whole_months_are_named_in_the_language(
    language: str, months: list[str]
) -> None:
    """The months under the 12-month chart; no tick at its end (1 Jan 2027),
    whose label would stand half outside the image."""
    edges = np.array(
        [
            datetime(2026 + m // 12, m % 12 + 1, 1, tzinfo=OSLO).timestamp()
            for m in range(13)
        ]
    )
    home = _buckets("Villa", edges, np.full(12, 900.0))
    fig = draw(
        [home],
        Graph.HIST,
        Aggregate.MONTH,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        tz=OSLO,
        font=CHART_FONT,
        language=language,
    )
    fig.canvas.draw()
    labels = fig.axes[0].get_xticklabels()
    assert [label.get_text() for label in labels] == months
    assert all(_inside(label, CHART_WIDTH, CHART_HEIGHT) for label in labels)


@pytest.mark.parametrize(
    ("language", "note"),
    [
        ("en", "(each bar: the highest of 2 days)"),
        ("sv", "(varje stapel: den högsta av 2 dagar)"),
        ("nb", "(hver søyle: den høyeste av 2 dager)"),
        ("de", "(jeder Balken: der höchste Wert von 2 Tagen)"),
        ("nl", "(elke staaf: de hoogste van 2 dagen)"),
    ],
)
def test_a_bar_for_several_days_says_so_in_words(language: str, note: str) -> None:
    """Two homes, a year at 1d, the export's default size: 288 bars per home,
    each the higher of two days, and the title says so (not "1d")."""
    year = [1000.0 + day % 7 for day in range(365)]
    homes = [_home(name, year, timedelta(days=1)) for name in ("Villa", "Cabin")]
    fig = draw(
        homes,
        Graph.HIST,
        Aggregate.DAY,
        width=DEFAULT_WIDTH,
        height=DEFAULT_HEIGHT,
        tz=UTC,
        title="kWh per day · 1 Jan - 31 Dec 2025",
        language=language,
    )
    title = _drawn(fig).get_text()
    assert title.endswith(f" {note}")
    assert "1d" not in title


# ------------------------------------------------------------ capacity marks

HOUR = 3600.0
S = START.timestamp()


def _two_days(step: timedelta = timedelta(hours=1)) -> HomeBuckets:
    """48 buckets of 500 + 50 x (index mod 24) W; bucket 40 missing."""
    power: list[float | None] = [500.0 + 50 * (n % 24) for n in range(48)]
    power[40] = None
    return _home("Villa", power, step)


def _marks(seconds: int = 3600) -> CapacityMarks:
    """Peaks at buckets 23 and 47, one on the missing bucket 40, one before
    the chart and one after it."""
    return CapacityMarks(
        peaks=(
            (S - seconds, 2.0),
            (S + 23 * seconds, 1.65),
            (S + 40 * seconds, 9.0),
            (S + 47 * seconds, 0.8),
            (S + 48 * seconds, 3.0),
        ),
        billed_kw=1.2,
        period_seconds=seconds,
    )


@pytest.mark.parametrize(
    ("language", "words", "labels"),
    [
        ("en", ["Counted peaks (kW)", "Billed level 1.20 kW"], ["1.65", "0.80"]),
        (
            "sv",
            ["Effekttoppar som räknas (kW)", "Debiterad effekt 1,20 kW"],
            ["1,65", "0,80"],
        ),
        (
            "nb",
            ["Effekttopper som teller (kW)", "Fakturert effekt 1,20 kW"],
            ["1,65", "0,80"],
        ),
        (
            "de",
            ["Gezählte Lastspitzen (kW)", "Abgerechnete Leistung 1,20 kW"],
            ["1,65", "0,80"],
        ),
        (
            "nl",
            ["Meetellende pieken (kW)", "Aangerekend vermogen 1,20 kW"],
            ["1,65", "0,80"],
        ),
    ],
)
def test_capacity_marks_stand_on_their_buckets_with_the_billed_level(
    language: str, words: list[str], labels: list[str]
) -> None:
    """The peaks in the range on their own bars, labelled with their
    (weighted) kW inside the plot; none on a missing bucket or outside; the
    billed level at the kWh of an hour at 1.2 kW; the legend in words."""
    fig = draw(
        [_two_days()],
        Graph.HIST,
        Aggregate.HOUR,
        width=DEFAULT_WIDTH,
        height=DEFAULT_HEIGHT,
        tz=UTC,
        title="Villa · kWh per hour · 1 - 2 Jan 2025",
        language=language,
        marks=_marks(),
    )
    fig.canvas.draw()
    boxes = marked(fig)
    assert [box[:3] for box in boxes] == [
        (S + 23 * HOUR, S + 24 * HOUR, 0.0),
        (S + 47 * HOUR, S + 48 * HOUR, 0.0),
    ]
    assert [box[3] for box in boxes] == pytest.approx([1.65, 1.65])
    assert billed_level(fig) == pytest.approx(1.2)
    assert peak_labels(fig) == labels
    assert legend_words(fig) == words
    ax = fig.axes[0]
    for label in ax.texts:
        assert label.get_window_extent().y1 <= ax.bbox.y1  # room above the bars


@pytest.mark.parametrize(
    ("graph", "step", "marks", "tops", "level"),
    [
        # A quarter-hour at 1.2 kW is 0.3 kWh.
        (Graph.HIST, timedelta(minutes=15), _marks(900), (0.0, 0.4125), 0.3),
        (Graph.LINEPLOT, timedelta(hours=1), _marks(), (1650.0, 1650.0), 1200.0),
    ],
    ids=["15m", "lineplot"],
)
def test_capacity_marks_are_in_the_charts_unit(
    graph: Graph,
    step: timedelta,
    marks: CapacityMarks,
    tops: tuple[float, float],
    level: float,
) -> None:
    """Bars of quarter-hours show kWh per quarter; a line shows W (the peak
    a thick step on it)."""
    fig = draw(
        [_two_days(step)],
        graph,
        Aggregate.QUARTER_HOUR if step.seconds == 900 else Aggregate.HOUR,
        width=DEFAULT_WIDTH,
        height=DEFAULT_HEIGHT,
        tz=UTC,
        marks=marks,
    )
    seconds = step.total_seconds()
    bottom, top = tops
    boxes = marked(fig)
    assert [box[:2] for box in boxes] == [
        (S + n * seconds, S + (n + 1) * seconds) for n in (23, 47)
    ]
    assert [value for box in boxes for value in box[2:]] == pytest.approx(
        [bottom, top] * 2
    )
    assert billed_level(fig) == pytest.approx(level)


def test_no_marks_no_capacity_artists() -> None:
    fig = draw(
        [_two_days()],
        Graph.HIST,
        Aggregate.HOUR,
        width=DEFAULT_WIDTH,
        height=DEFAULT_HEIGHT,
        tz=UTC,
    )
    assert marked(fig) == []
    assert billed_level(fig) is None
    assert peak_labels(fig) == []
    assert legend_words(fig) == []
