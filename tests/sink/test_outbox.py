"""The outbox's books: order, duplicates, the age bound, confirmations."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings, strategies as st

from custom_components.powertracker.sink.models import Sample
from custom_components.powertracker.sink.outbox import Outbox
from tests.sink.samples import T0, sample, series

STEP = timedelta(minutes=5)


def test_batches_come_oldest_first_across_homes() -> None:
    outbox = Outbox()
    outbox.add([sample("b", T0 + STEP), sample("a", T0 + STEP)])
    outbox.add([sample("a", T0), sample("b", T0 + 2 * STEP)])

    assert [(s.home_id, s.time) for s in outbox.batch(3)] == [
        ("a", T0),
        ("a", T0 + STEP),
        ("b", T0 + STEP),
    ]
    assert len(outbox) == 4  # a batch stays until confirmed


def test_a_sample_is_queued_once() -> None:
    outbox = Outbox()
    outbox.add([sample("a", T0)])
    outbox.add([sample("a", T0, power=5.0), sample("a", T0)])

    assert len(outbox) == 1
    assert outbox.samples[0].power == 1234.5


def test_the_oldest_overflow_when_a_home_falls_too_far_behind() -> None:
    outbox = Outbox(max_age=timedelta(hours=1))
    assert outbox.add(series("a", 13, STEP)) == 0  # 0 .. 60 min
    assert outbox.add([sample("b", T0)]) == 0  # another home's clock is its own

    assert (
        outbox.add([sample("a", T0 + 14 * STEP)]) == 2
    )  # 0 and 5 min are now > 1 h behind

    assert outbox.overflowed == 2
    assert min(s.time for s in outbox.samples if s.home_id == "a") == T0 + 2 * STEP
    assert any(s.home_id == "b" for s in outbox.samples)


def test_confirm_counts_sent_and_refused() -> None:
    outbox = Outbox()
    outbox.add(series("a", 5, STEP))
    batch = outbox.batch(3)

    outbox.confirm(batch, refused=1)

    assert (len(outbox), outbox.sent, outbox.refused) == (2, 2, 1)
    assert outbox.batch(5) == series("a", 5, STEP)[3:]


def test_confirm_after_an_overflow_counts_only_what_was_still_queued() -> None:
    outbox = Outbox(max_age=timedelta(minutes=10))
    outbox.add([sample("a", T0), sample("a", T0 + STEP)])
    batch = outbox.batch(2)
    outbox.add([sample("a", T0 + 3 * STEP)])  # overflows step 0 while the batch is out

    outbox.confirm(batch)

    assert (outbox.sent, outbox.overflowed, len(outbox)) == (1, 1, 1)


def test_json_round_trip() -> None:
    outbox = Outbox()
    outbox.add(
        [Sample("a", T0, 1.5, 2.0, 3.0, 4.0, "SEK", 5.0, 6.0), sample("b", T0 + STEP)]
    )
    outbox.confirm(outbox.batch(1), refused=1)

    again = Outbox.from_json(outbox.as_json())

    assert again.samples == outbox.samples
    assert (again.sent, again.refused, again.overflowed) == (0, 1, 0)
    assert len(Outbox.from_json({})) == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 60)), max_size=8),
            st.integers(0, 6),
            st.integers(0, 3),
        ),
        max_size=25,
    )
)
def test_every_sample_is_accounted_for(
    steps: list[tuple[list[tuple[str, int]], int, int]],
) -> None:
    """Queued + sent + refused + overflowed = samples accepted; order holds."""
    outbox = Outbox(max_age=timedelta(hours=2))
    accepted = 0
    for added, size, refused in steps:
        queued = {(s.home_id, s.time) for s in outbox.samples}
        accepted += len({(h, T0 + n * STEP) for h, n in added} - queued)
        outbox.add([sample(home, T0 + step * STEP) for home, step in added])
        batch = outbox.batch(size)
        outbox.confirm(batch, min(refused, len(batch)))
        keys = [(s.time, s.home_id) for s in outbox.samples]
        assert keys == sorted(set(keys))
    assert len(outbox) + outbox.sent + outbox.refused + outbox.overflowed == accepted
