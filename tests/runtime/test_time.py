"""Timers after time.go: the 4-ary heap of p.timers in guest memory, and sleeping goroutines."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import time
from runtime.errors import Throw
from runtime.layout import G, P, Timer, const
from runtime.malloc import Arena
from runtime.memory import BytesMemory, load
from runtime.proc import CLOCK_START, G0_STACK_SIZE, Runtime, Symbols

BASE = 0x100000
SIZE = 16 << 20


def new_rt() -> Runtime:
    mem = BytesMemory(BASE, SIZE)
    mem.write(BASE, (0x401100).to_bytes(8, "little"))
    arena = Arena(BASE + 0x1000, SIZE - 0x1000 - G0_STACK_SIZE)
    syms = Symbols(goexit=0x401000, main_pc=BASE, goroutine_ready=0x402000)
    rt = Runtime(mem, arena, syms, BASE + SIZE - G0_STACK_SIZE)
    rt.m0 = rt.rt0_go()
    return rt


def heap(rt: Runtime, pp: P) -> list[int]:
    s = pp.timers
    return [Timer(rt.mem, load(rt.mem, s.array + 8 * i, 8)).when for i in range(s.len)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 1000), min_size=1, max_size=60))
def test_timers_leave_the_heap_in_when_order(whens):
    rt = new_rt()
    pp = rt.allp[0]
    for w in whens:
        t = rt.new(Timer)
        t.when = w
        time.doaddtimer(rt, pp, t)
        h = heap(rt, pp)
        assert all(h[(i - 1) // 4] <= h[i] for i in range(1, len(h)))  # the 4-ary heap property
        assert pp.timer0When == min(h)
    assert pp.numTimers == len(whens)
    out = []
    while pp.timers.len:
        out.append(heap(rt, pp)[0])
        time.dodeltimer0(rt, pp)
    assert out == sorted(whens)
    assert (pp.numTimers, pp.timer0When) == (0, 0)


def test_due_timers_ready_their_goroutines_and_report_the_next():
    rt = new_rt()
    mp, pp = rt.m0, rt.allp[0]
    rt.runqget(pp)  # main runs
    gs = [rt.new(G) for _ in range(3)]
    for g, delay in zip(gs, (30, 10, 20), strict=True):
        g.atomicstatus = const._Gwaiting
        t = rt.new(Timer)
        t.when, t.f, t.status = CLOCK_START + delay, rt.syms.goroutine_ready, const.timerWaiting
        t.arg.data = g.addr
        time.doaddtimer(rt, pp, t)
    now, next_, ran = time.checkTimers(rt, mp, pp, CLOCK_START + 20)
    assert (now, next_, ran) == (CLOCK_START + 20, CLOCK_START + 30, True)
    assert [g.atomicstatus for g in gs] == [const._Gwaiting, const._Grunnable, const._Grunnable]
    assert rt.runqget(pp)[0] == gs[2]  # the later one readied takes runnext
    assert rt.runqget(pp)[0] == gs[1]
    assert time.checkTimers(rt, mp, pp, CLOCK_START + 25) == (CLOCK_START + 25, CLOCK_START + 30, False)


def test_a_timer_without_a_time_is_timer_data_corruption():
    """badTimer throws: `fatal error: timer data corruption`."""
    rt = new_rt()
    with pytest.raises(Throw, match="^timer data corruption$"):
        time.doaddtimer(rt, rt.allp[0], rt.new(Timer))  # when 0
