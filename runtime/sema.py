"""Semaphores, after Go 1.19's runtime/sema.go: what sync.WaitGroup and sync.Mutex sleep on.

semtable is in guest memory: 251 semaRoots, one per cache line, chosen by (addr>>3) % 251. Each
root keeps one sudog per distinct address waited on, and the waiters of one address in FIFO order
through waitlink/waittail, as Go does; goemu chains the per-address heads in a list through
sudog.next where Go balances them in a treap: the order in which waiters of one address are woken
is the same. A goroutine sleeping in semacquire keeps its sudog in g.waiting (Go keeps it in
semacquire1's frame, which goemu's gate does not have across gopark).
"""

from __future__ import annotations

from .chan import acquire_sudog, release_sudog
from .gates import Frame, gate
from .layout import G, M, P, SemaRoot, Sudog, const
from .memory import load, store
from .proc import Runtime

CACHE_LINE = 64  # cpu.CacheLinePadSize on amd64: semTable's element size


def semroot(rt: Runtime, addr: int) -> SemaRoot:
    if rt.semtable == 0:
        rt.semtable = rt.arena.alloc(const.semTabSize * CACHE_LINE, CACHE_LINE)
    return SemaRoot(rt.mem, rt.semtable + ((addr >> 3) % const.semTabSize) * CACHE_LINE)


def cansemacquire(rt: Runtime, addr: int) -> bool:
    v = load(rt.mem, addr, 4)
    if v == 0:
        return False
    store(rt.mem, addr, 4, v - 1)  # the CAS always succeeds: Python runs one M at a time
    return True


def _queue(rt: Runtime, root: SemaRoot, addr: int, s: Sudog, gp: G) -> None:
    """semaRoot.queue (FIFO): behind the waiters of addr, or as the first waiter of addr."""
    s.g, s.elem, s.next, s.prev, s.waitlink, s.waittail = gp.addr, addr, 0, 0, 0, 0
    prev = 0
    t = root.treap
    while t:
        head = Sudog(rt.mem, t)
        if head.elem == addr:
            if head.waittail:
                Sudog(rt.mem, head.waittail).waitlink = s.addr
            else:
                head.waitlink = s.addr
            head.waittail = s.addr
            return
        prev, t = t, head.next
    if prev:
        Sudog(rt.mem, prev).next = s.addr
        s.prev = prev
    else:
        root.treap = s.addr


def _dequeue(rt: Runtime, root: SemaRoot, addr: int) -> Sudog | None:
    """semaRoot.dequeue: the first waiter of addr; the next one takes its place as head."""
    t = root.treap
    while t:
        s = Sudog(rt.mem, t)
        if s.elem == addr:
            break
        t = s.next
    else:
        return None
    nxt = s.waitlink
    if nxt:
        n = Sudog(rt.mem, nxt)
        n.next, n.prev = s.next, s.prev
        n.waittail = s.waittail if n.waitlink else 0
        replacement = nxt
    else:
        replacement = s.next
        if s.next:
            Sudog(rt.mem, s.next).prev = s.prev
    if s.prev:
        Sudog(rt.mem, s.prev).next = replacement
    else:
        root.treap = replacement
    if nxt and s.next:
        Sudog(rt.mem, s.next).prev = nxt
    s.elem = s.next = s.prev = s.waitlink = s.waittail = 0
    s.ticket = 0
    return s


def _semacquire_park(rt: Runtime, mp: M, frame: Frame, addr: int, s: Sudog):  # type: ignore[no-untyped-def]
    """One turn of semacquire1's loop: take the semaphore, or queue and park."""
    root = semroot(rt, addr)
    root.nwait += 1
    if cansemacquire(rt, addr):
        root.nwait -= 1
        release_sudog(rt, s)
        return None
    gp = rt.curg(mp)
    _queue(rt, root, addr, s, gp)
    gp.waiting = s.addr
    return rt.gopark(mp, frame, "sync.runtime_Semacquire", const.waitReasonSemacquire)


def _semacquire_resume(rt: Runtime, mp: M, frame: Frame):  # type: ignore[no-untyped-def]
    gp = rt.curg(mp)
    s = Sudog(rt.mem, gp.waiting)
    gp.waiting = 0
    addr = frame.u64(0)
    if s.ticket != 0 or cansemacquire(rt, addr):
        release_sudog(rt, s)
        return None
    return _semacquire_park(rt, mp, frame, addr, s)


@gate("sync.runtime_Semacquire", args=8, resume=_semacquire_resume)
def sync_runtime_Semacquire(rt: Runtime, mp: M, frame: Frame):  # type: ignore[no-untyped-def]
    """Wait until *addr > 0, then decrement it (semacquire1 with lifo=false)."""
    addr = frame.u64(0)
    if cansemacquire(rt, addr):
        return None
    s = acquire_sudog(rt)
    return _semacquire_park(rt, mp, frame, addr, s)


@gate("sync.runtime_Semrelease", args=24)
def sync_runtime_Semrelease(rt: Runtime, mp: M, frame: Frame):  # type: ignore[no-untyped-def]
    """Increment *addr and wake one waiter; with handoff, give it the count and yield to it."""
    addr, handoff = frame.u64(0), frame.u64(8) & 0xFF
    root = semroot(rt, addr)
    store(rt.mem, addr, 4, load(rt.mem, addr, 4) + 1)
    if root.nwait == 0:
        return None
    s = _dequeue(rt, root, addr)
    if s is None:
        return None
    root.nwait -= 1
    if handoff and cansemacquire(rt, addr):
        s.ticket = 1
    rt.goready(mp, G(rt.mem, s.g))
    if s.ticket == 1 and mp.locks == 0:
        return goyield(rt, mp, frame)  # direct handoff: let the waiter run now
    return None


def goyield(rt: Runtime, mp: M, frame: Frame):  # type: ignore[no-untyped-def]
    """Like Gosched, but the caller goes to the local run queue (goyield_m)."""
    gp = rt.mcall(mp, frame)
    if rt.trace:
        rt.trace.GoPreempt(mp, P(rt.mem, mp.p), gp, "yield")
    gp.atomicstatus = const._Grunnable
    rt.dropg(mp)
    rt.runqput(P(rt.mem, mp.p), gp, False)
    return rt.schedule(mp)
