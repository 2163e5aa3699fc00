"""The words drawn into a chart, in Home Assistant's language; and its title.

A chart is a PNG, so Home Assistant's translation platform cannot reach its
text (and `strings.json` may only hold the sections hassfest knows). Its few
words are this one table, for English, Swedish, Norwegian (Bokmål), German and
Dutch; any other language draws English. Month names come from the table too,
never from the operating system's locale (`setlocale` is process-wide, shared
by Home Assistant's threads). The same title serves the usage chart and the
exported PNG.

Pure Python: no Home Assistant, no matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from .models import Aggregate, Graph

SEPARATOR = " · "
"""Between the title's parts: the home (first, if one), quantity, period."""


@dataclass(frozen=True, slots=True)
class ChartText:
    """A chart's words in one language."""

    months: str
    """January to December, abbreviated, between spaces."""
    day_month: str
    """A date without its year: `{day}` and `{month}` (a name of `months`)."""
    quantity: dict[Graph, str]
    per: dict[Aggregate, str]
    buckets: dict[Aggregate, str]
    """Several buckets of an aggregate, after a number ("2 days")."""
    highest: str
    """A bar stands for `{count}` `{buckets}`: it shows the highest."""
    to_date: str
    """The `{month}` still running, its data so far."""
    energy: str
    power: str
    time: str
    """The time axis in `{zone}`."""
    no_data: str
    decimal: str
    """The decimal mark."""
    peaks: str
    """The capacity tariff's counted peaks, each labelled with its kW."""
    billed: str
    """The capacity tariff's billed level: `{kw}` (a number)."""

    def month(self, number: int) -> str:
        """The name of month `number` (1-12)."""
        return self.months.split()[number - 1]

    def date(self, moment: datetime) -> str:
        """The day and month of `moment`, without the year."""
        return self.day_month.format(day=moment.day, month=self.month(moment.month))

    def number(self, value: float) -> str:
        """`value` with two decimals and the language's mark."""
        return f"{value:.2f}".replace(".", self.decimal)


_EN = ChartText(
    months="Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    day_month="{day} {month}",
    quantity={Graph.HIST: "kWh", Graph.LINEPLOT: "average W"},
    per={
        Aggregate.FIVE_MINUTES: "per 5 minutes",
        Aggregate.QUARTER_HOUR: "per 15 minutes",
        Aggregate.HOUR: "per hour",
        Aggregate.DAY: "per day",
        Aggregate.WEEK: "per week",
        Aggregate.MONTH: "per month",
    },
    buckets={
        Aggregate.FIVE_MINUTES: "five-minute periods",
        Aggregate.QUARTER_HOUR: "quarter-hours",
        Aggregate.HOUR: "hours",
        Aggregate.DAY: "days",
        Aggregate.WEEK: "weeks",
        Aggregate.MONTH: "months",
    },
    highest="each bar: the highest of {count} {buckets}",
    to_date="{month} to date",
    energy="Energy (kWh)",
    power="Average power (W)",
    time="Time ({zone})",
    no_data="No data for this period",
    decimal=".",
    peaks="Counted peaks (kW)",
    billed="Billed level {kw} kW",
)
TEXTS = {
    "en": _EN,
    "sv": ChartText(
        months="jan feb mar apr maj jun jul aug sep okt nov dec",
        day_month="{day} {month}",
        quantity={Graph.HIST: "kWh", Graph.LINEPLOT: "medeleffekt (W)"},
        per={
            Aggregate.FIVE_MINUTES: "per 5 minuter",
            Aggregate.QUARTER_HOUR: "per kvart",
            Aggregate.HOUR: "per timme",
            Aggregate.DAY: "per dag",
            Aggregate.WEEK: "per vecka",
            Aggregate.MONTH: "per månad",
        },
        buckets={
            Aggregate.FIVE_MINUTES: "femminutersperioder",
            Aggregate.QUARTER_HOUR: "kvartar",
            Aggregate.HOUR: "timmar",
            Aggregate.DAY: "dagar",
            Aggregate.WEEK: "veckor",
            Aggregate.MONTH: "månader",
        },
        highest="varje stapel: den högsta av {count} {buckets}",
        to_date="{month} hittills",
        energy="Energi (kWh)",
        power="Medeleffekt (W)",
        time="Tid ({zone})",
        no_data="Ingen data för perioden",
        decimal=",",
        peaks="Effekttoppar som räknas (kW)",
        billed="Debiterad effekt {kw} kW",
    ),
    "nb": ChartText(
        months="jan feb mar apr mai jun jul aug sep okt nov des",
        day_month="{day}. {month}",
        quantity={Graph.HIST: "kWh", Graph.LINEPLOT: "gjennomsnittlig effekt (W)"},
        per={
            Aggregate.FIVE_MINUTES: "per 5 minutter",
            Aggregate.QUARTER_HOUR: "per kvarter",
            Aggregate.HOUR: "per time",
            Aggregate.DAY: "per dag",
            Aggregate.WEEK: "per uke",
            Aggregate.MONTH: "per måned",
        },
        buckets={
            Aggregate.FIVE_MINUTES: "femminuttersperioder",
            Aggregate.QUARTER_HOUR: "kvarter",
            Aggregate.HOUR: "timer",
            Aggregate.DAY: "dager",
            Aggregate.WEEK: "uker",
            Aggregate.MONTH: "måneder",
        },
        highest="hver søyle: den høyeste av {count} {buckets}",
        to_date="{month} hittil",
        energy="Energi (kWh)",
        power="Gjennomsnittlig effekt (W)",
        time="Tid ({zone})",
        no_data="Ingen data for perioden",
        decimal=",",
        peaks="Effekttopper som teller (kW)",
        billed="Fakturert effekt {kw} kW",
    ),
    "de": ChartText(
        months="Jan Feb Mär Apr Mai Jun Jul Aug Sep Okt Nov Dez",
        day_month="{day}. {month}",
        quantity={Graph.HIST: "kWh", Graph.LINEPLOT: "Durchschnittsleistung (W)"},
        per={
            Aggregate.FIVE_MINUTES: "pro 5 Minuten",
            Aggregate.QUARTER_HOUR: "pro Viertelstunde",
            Aggregate.HOUR: "pro Stunde",
            Aggregate.DAY: "pro Tag",
            Aggregate.WEEK: "pro Woche",
            Aggregate.MONTH: "pro Monat",
        },
        buckets={
            Aggregate.FIVE_MINUTES: "Fünf-Minuten-Intervallen",
            Aggregate.QUARTER_HOUR: "Viertelstunden",
            Aggregate.HOUR: "Stunden",
            Aggregate.DAY: "Tagen",
            Aggregate.WEEK: "Wochen",
            Aggregate.MONTH: "Monaten",
        },
        highest="jeder Balken: der höchste Wert von {count} {buckets}",
        to_date="{month} bisher",
        energy="Energie (kWh)",
        power="Durchschnittsleistung (W)",
        time="Zeit ({zone})",
        no_data="Keine Daten für diesen Zeitraum",
        decimal=",",
        peaks="Gezählte Lastspitzen (kW)",
        billed="Abgerechnete Leistung {kw} kW",
    ),
    "nl": ChartText(
        months="jan feb mrt apr mei jun jul aug sep okt nov dec",
        day_month="{day} {month}",
        quantity={Graph.HIST: "kWh", Graph.LINEPLOT: "gemiddeld vermogen (W)"},
        per={
            Aggregate.FIVE_MINUTES: "per 5 minuten",
            Aggregate.QUARTER_HOUR: "per kwartier",
            Aggregate.HOUR: "per uur",
            Aggregate.DAY: "per dag",
            Aggregate.WEEK: "per week",
            Aggregate.MONTH: "per maand",
        },
        buckets={
            Aggregate.FIVE_MINUTES: "perioden van vijf minuten",
            Aggregate.QUARTER_HOUR: "kwartieren",
            Aggregate.HOUR: "uren",
            Aggregate.DAY: "dagen",
            Aggregate.WEEK: "weken",
            Aggregate.MONTH: "maanden",
        },
        highest="elke staaf: de hoogste van {count} {buckets}",
        to_date="{month} tot nu toe",
        energy="Energie (kWh)",
        power="Gemiddeld vermogen (W)",
        time="Tijd ({zone})",
        no_data="Geen gegevens voor deze periode",
        decimal=",",
        peaks="Meetellende pieken (kW)",
        billed="Aangerekend vermogen {kw} kW",
    ),
}


def chart_text(language: str | None) -> ChartText:
    """The words of Home Assistant's `language` ("sv", "de-CH"), else English."""
    primary = (language or "").replace("_", "-").split("-")[0].lower()
    return TEXTS.get(primary, _EN)


def chart_title(
    homes: Sequence[str],
    graph: Graph,
    aggregate: Aggregate,
    start: datetime,
    end: datetime,
    *,
    tz: tzinfo,
    language: str | None,
    now: datetime | None = None,
) -> str:
    """The home, the quantity and the period: 'Villa · kWh per hour · 21 - 28 Nov 2026'.

    The home leads when the chart has one (with several, the legend names
    them). The period is shown as months at `1M` (a month still running at
    `now` is said to be so far), as dates when it is whole days or at least
    three days, else as times.
    """
    text = chart_text(language)
    quantity = f"{text.quantity[graph]} {text.per[aggregate]}"
    span = _span(text, aggregate, start.astimezone(tz), end.astimezone(tz))
    last = (end - timedelta(microseconds=1)).astimezone(tz)
    running = datetime.combine(last.date().replace(day=1), time(), tz)
    if aggregate is Aggregate.MONTH and now is not None and running <= now < end:
        month = text.month(last.month)
        span = f"{span} ({text.to_date.format(month=month)})"
    parts = [homes[0]] if len(homes) == 1 else []
    return SEPARATOR.join([*parts, quantity, span])


def _span(text: ChartText, aggregate: Aggregate, first: datetime, end: datetime) -> str:
    """`first` to `end` (local, end excluded) in words."""
    last = end - timedelta(microseconds=1)
    midnights = first.time() == time() == end.time()
    if aggregate is Aggregate.MONTH:
        begin, until = (text.month(t.month) for t in (first, last))
        if (first.year, first.month) == (last.year, last.month):
            return f"{until} {last.year}"
    elif midnights or end - first >= timedelta(days=3):
        begin, until = text.date(first), text.date(last)
        if first.date() == last.date():
            return f"{until} {last.year}"
    else:
        return f"{text.date(first)} {first:%H:%M} - {text.date(end)} {end:%H:%M}"
    if first.year != last.year:
        begin = f"{begin} {first.year}"
    return f"{begin} - {until} {last.year}"
