"""Timers, after Go 1.19's runtime/time.go: each P's 4-ary heap of *timer in p.timers, run by
checkTimers from findRunnable (its own P's, and other Ps' while stealing); time.Sleep parks the
goroutine with its g.timer armed to goroutineReady.

The clock is the Runtime's: in deterministic mode it advances with executed instructions and,
when every M sleeps, jumps to the next timer (Runtime.next_deadline), as the Go playground's
fake time does. Only the timers time.Sleep makes exist (no time.Timer, period 0), so the
modified/deleted states of time.go never occur.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import Throw
from .gates import Frame, gate
from .layout import G, M, P, Slice, Timer, const
from .memory import load, read, store, write

if TYPE_CHECKING:
    from .layout import Gobuf
    from .proc import Runtime

PTR = 8


class BadTimer(Throw):
    """badTimer: the heap is corrupt."""

    def __init__(self) -> None:
        super().__init__("timer data corruption")


# ---- the heap: p.timers, a slice of *timer ordered by when -------------------------------------


def _at(rt: Runtime, s: Slice, i: int) -> Timer:
    return Timer(rt.mem, load(rt.mem, s.array + i * PTR, PTR))


def _set(rt: Runtime, s: Slice, i: int, t: Timer) -> None:
    store(rt.mem, s.array + i * PTR, PTR, t.addr)


def _append(rt: Runtime, s: Slice, t: Timer) -> None:
    """append(pp.timers, t): the array doubles when full (the old one is garbage, never freed)."""
    if s.len == s.cap:
        cap = max(4, 2 * s.cap)
        array = rt.arena.alloc(cap * PTR, PTR)
        if s.len:
            write(rt.mem, array, read(rt.mem, s.array, s.len * PTR))
        s.array, s.cap = array, cap
    store(rt.mem, s.array + s.len * PTR, PTR, t.addr)
    s.len += 1


def siftupTimer(rt: Runtime, s: Slice, i: int) -> None:
    """Move the timer at i up to its place: the heap elements are read as the walk needs them
    (O(log n) like Go's), not copied out."""
    tmp = _at(rt, s, i)
    when = tmp.when
    if when <= 0:
        raise BadTimer()
    while i > 0:
        p = (i - 1) // 4  # parent
        parent = _at(rt, s, p)
        if when >= parent.when:
            break
        _set(rt, s, i, parent)
        i = p
    _set(rt, s, i, tmp)


def siftdownTimer(rt: Runtime, s: Slice, i: int) -> None:
    n = s.len
    tmp = _at(rt, s, i)
    when = tmp.when
    if when <= 0:
        raise BadTimer()

    def when_at(j: int) -> int:
        return _at(rt, s, j).when

    while True:
        c = i * 4 + 1  # left child
        c3 = c + 2  # mid child
        if c >= n:
            break
        w = when_at(c)
        if c + 1 < n and when_at(c + 1) < w:
            w = when_at(c + 1)
            c += 1
        if c3 < n:
            w3 = when_at(c3)
            if c3 + 1 < n and when_at(c3 + 1) < w3:
                w3 = when_at(c3 + 1)
                c3 += 1
            if w3 < w:
                w, c = w3, c3
        if w >= when:
            break
        _set(rt, s, i, _at(rt, s, c))
        i = c
    _set(rt, s, i, tmp)


def updateTimer0When(rt: Runtime, pp: P) -> None:
    s = pp.timers
    pp.timer0When = _at(rt, s, 0).when if s.len else 0


def doaddtimer(rt: Runtime, pp: P, t: Timer) -> None:
    """Add t to pp's heap."""
    rt.netpoll_inited = True  # netpollGenericInit
    if t.pp:
        raise BadTimer()
    t.pp = pp.addr
    s = pp.timers
    _append(rt, s, t)
    siftupTimer(rt, s, s.len - 1)
    if load(rt.mem, s.array, PTR) == t.addr:
        pp.timer0When = t.when
    pp.numTimers += 1


def dodeltimer0(rt: Runtime, pp: P) -> None:
    """Remove the first timer of pp's heap."""
    s = pp.timers
    t = _at(rt, s, 0)
    if t.pp != pp.addr:
        raise BadTimer()
    t.pp = 0
    last = s.len - 1
    if last > 0:
        store(rt.mem, s.array, PTR, load(rt.mem, s.array + last * PTR, PTR))
    store(rt.mem, s.array + last * PTR, PTR, 0)
    s.len = last
    if last > 0:
        siftdownTimer(rt, s, 0)
    updateTimer0When(rt, pp)
    pp.numTimers -= 1


def moveTimers(rt: Runtime, plocal: P, pp: P) -> None:
    """A destroyed P's timers go to plocal (procresize)."""
    s = pp.timers
    for t in [_at(rt, s, i) for i in range(s.len)]:
        t.pp = 0
        doaddtimer(rt, plocal, t)
    s.array = s.len = s.cap = 0
    pp.numTimers = pp.deletedTimers = 0
    pp.timer0When = 0


# ---- running timers ---------------------------------------------------------------------------


def nobarrierWakeTime(pp: P) -> int:
    """When pp's next timer fires (0: none)."""
    nxt, adj = pp.timer0When, pp.timerModifiedEarliest
    if nxt == 0 or (adj and adj < nxt):
        nxt = adj
    return nxt


def checkTimers(rt: Runtime, mp: M, pp: P, now: int) -> tuple[int, int, bool]:
    """Run pp's timers that are due; returns (now, when the next one fires, whether any ran)."""
    nxt = nobarrierWakeTime(pp)
    if nxt == 0:
        return now, 0, False
    if now == 0:
        now = rt.nanotime()
    if now < nxt:
        return now, nxt, False
    poll_until, ran = 0, False
    while pp.timers.len:
        tw = runtimer(rt, mp, pp, now)
        if tw:
            if tw > 0:
                poll_until = tw
            break
        ran = True
    return now, poll_until, ran


def runtimer(rt: Runtime, mp: M, pp: P, now: int) -> int:
    """Run the first timer if it is due (0), else return when it is."""
    t = _at(rt, pp.timers, 0)
    if t.status != const.timerWaiting:
        raise BadTimer()
    if t.when > now:
        return t.when
    t.status = const.timerRunning
    runOneTimer(rt, mp, pp, t)
    return 0


def runOneTimer(rt: Runtime, mp: M, pp: P, t: Timer) -> None:
    f, arg = t.f, t.arg.data
    dodeltimer0(rt, pp)  # period 0: a one-shot timer
    t.status = const.timerNoStatus
    if f != rt.syms.goroutine_ready:
        raise BadTimer()
    goroutineReady(rt, mp, G(rt.mem, arg))


MAX_WHEN = (1 << 63) - 1  # maxWhen


def timeSleepUntil(rt: Runtime) -> int:
    """The earliest time any P's next timer fires (maxWhen if none)."""
    return min((w for pp in rt.allp if (w := nobarrierWakeTime(pp))), default=MAX_WHEN)


def checkTimersNoP(rt: Runtime, poll_until: int) -> int:
    """The earliest timer of the Ps in timerpMask, for an M about to sleep without a P."""
    for pp in rt.allp:
        if rt.timerp_mask >> pp.id & 1:
            w = nobarrierWakeTime(pp)
            if w and (poll_until == 0 or w < poll_until):
                poll_until = w
    return poll_until


def wakeNetPoller(rt: Runtime, when: int) -> None:
    """A new timer: make the M in netpoll wake earlier, or get an M there (wakep)."""
    if rt.sched.lastpoll == 0:
        if rt.sched.pollUntil == 0 or rt.sched.pollUntil > when:
            rt.netpoll_break = True  # netpollBreak
    else:
        rt.wakep()


def goroutineReady(rt: Runtime, mp: M, gp: G) -> None:
    """The function of a sleep timer: ready the sleeping goroutine."""
    rt.goready(mp, gp)


# ---- the API ----------------------------------------------------------------------------------


@gate("time.Sleep", args=8, resume=lambda rt, mp, frame: None)
def timeSleep(rt: Runtime, mp: M, frame: Frame) -> Gobuf | None:
    """time.Sleep(ns): park with g.timer set to fire at now+ns (resetForSleep arms it after the
    G is parked, on the M's P)."""
    ns = frame.i64(0)
    if ns <= 0:
        return None
    gp = rt.curg(mp)
    if gp.timer == 0:
        gp.timer = rt.new(Timer).addr
    t = Timer(rt.mem, gp.timer)
    t.f = rt.syms.goroutine_ready
    t.arg.data = gp.addr
    t.nextwhen = min(rt.nanotime() + ns, const.maxWhen)  # maxWhen on overflow

    def resetForSleep(gp: G) -> bool:
        """modtimer of a timer in timerNoStatus: add it to the current P's heap."""
        t.period, t.seq = 0, 0
        t.when = t.nextwhen
        doaddtimer(rt, P(rt.mem, mp.p), t)
        t.status = const.timerWaiting
        wakeNetPoller(rt, t.when)
        return True

    return rt.gopark(mp, frame, "time.Sleep", const.waitReasonSleep, resetForSleep)


@gate("runtime.nanotime", args=8)
def nanotime(rt: Runtime, mp: M, frame: Frame) -> None:
    """nanotime() int64: the monotonic clock (deterministic: instruction-driven, see run.py)."""
    frame.set_u64(0, rt.nanotime())
