"""runtime/trace.py's time-stamping: exact offsets into a round, scaled when the clock counts the
round as shorter than its instructions, and never earlier than the last event of the same M, P
or goroutine."""

from runtime.trace import Event, Trace


def trace_with(events: list[tuple[str, int, int, int, int]]) -> tuple[Trace, list[Event]]:
    """A Trace whose pending events are (type, m, p, g, offset)."""
    seen: list[Event] = []
    t = Trace(goname=str, runqsize=lambda: 0, consumers=[seen.append])
    for type_, m, p, g, offset in events:
        keys = ((("m", m),) if m >= 0 else ()) + ((("p", p),) if p >= 0 else ()) + ((("g", g),) if g else ())
        t.pending.append(Event(type_, p, g, {}, 0, m, offset, keys))
    return t, seen


def test_offsets_are_exact_when_the_round_is_as_long_as_its_instructions():
    t, seen = trace_with([("GoStart", 0, 0, 5, 10), ("GoStart", 1, 1, 6, 30), ("GoPark", 0, 0, 5, 90)])
    t.stamp(start=1000, duration=100_000, longest=100_000)
    assert [e.ts for e in seen] == [1010, 1030, 1090]
    assert not t.pending


def test_offsets_are_scaled_into_a_round_the_clock_counts_short():
    """Every slice ended at a runtime call: the clock counts 1,000 ns, the busiest CPU ran 4,000."""
    t, seen = trace_with([("GoStart", 0, 0, 5, 400), ("GoPark", 0, 0, 5, 4000), ("GoStart", 1, 1, 6, 2000)])
    t.stamp(start=0, duration=1000, longest=4000)
    assert [e.ts for e in seen] == [100, 1000, 500]


def test_an_event_is_never_before_the_last_one_of_its_p_or_goroutine():
    """M0 readies G7 at offset 900, M1 runs it at its offset 100 (later in the round-robin): the
    start waits for the unblock, and M1's next event, 50 instructions on, comes 50 ns after that.
    M2, unrelated, does not move."""
    t, seen = trace_with([
        ("GoUnblock", 0, 0, 7, 900), ("GoStart", 1, 1, 7, 100), ("GoPark", 1, 1, 7, 150), ("GoStart", 2, 2, 8, 120),
    ])  # fmt: skip
    t.stamp(start=0, duration=100_000, longest=1000)
    assert [e.ts for e in seen] == [900, 900, 950, 120]


def test_order_carries_over_rounds_and_events_between_rounds_are_at_the_round_start():
    """sysmon's events (no M) are at the round's start; an M delayed past the end of a round
    starts the next one where it got to."""
    t, seen = trace_with([("GoStart", 0, 0, 5, 500), ("GoUnblock", 1, 1, 6, 900), ("GoStart", 0, 0, 6, 800)])
    t.stamp(start=0, duration=1000, longest=900)
    assert [e.ts for e in seen] == [500, 900, 900]
    t.pending.append(Event("GoPark", 0, 6, {}, 0, 0, 10, (("m", 0), ("p", 0), ("g", 6))))
    t.stamp(start=1000, duration=1000, longest=10)
    assert seen[-1].ts == 1010
    seen.clear()
    t, seen = trace_with([("GoStart", 0, 0, 5, 500)])
    t.stamp(start=0, duration=1000, longest=500)
    t.pending.append(Event("PreemptRequest", 0, 5, {}, 0, -1, 0, (("p", 0), ("g", 5))))  # sysmon: no M
    t.stamp(start=1000, duration=0, longest=0)
    assert [e.ts for e in seen] == [500, 1000]
