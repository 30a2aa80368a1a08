"""Channels, after Go 1.19's runtime/chan.go: hchan in guest memory, sudog wait queues in FIFO
order, direct hand-off between a sender and a waiting receiver, close waking every waiter.

makechan takes the element size instead of a *chantype (a documented simplification). A blocked
send or receive parks inside its gate; when readied, the G re-enters the gate's resume function,
which is the code chan.go runs after gopark returns (release the sudog, panic on a closed send).
"""

from __future__ import annotations

from .errors import GoPanic, Throw
from .gates import Frame, gate
from .layout import G, Hchan, M, Sudog, Waitq, const
from .memory import read, write
from .proc import Runtime

MAX_ALLOC = 1 << 48
HCHAN_SIZE = const.hchanSize


def _copy(rt: Runtime, dst: int, src: int, n: int) -> None:
    """typedmemmove of one element."""
    write(rt.mem, dst, read(rt.mem, src, n))


def _clear(rt: Runtime, dst: int, n: int) -> None:
    """typedmemclr of one element."""
    write(rt.mem, dst, bytes(n))


def _chanbuf(c: Hchan, i: int) -> int:
    return c.buf + i * c.elemsize


def _enqueue(rt: Runtime, q: Waitq, sg: Sudog) -> None:
    sg.next = 0
    sg.prev = q.last
    if q.last:
        Sudog(rt.mem, q.last).next = sg.addr
    else:
        q.first = sg.addr
    q.last = sg.addr


def _dequeue(rt: Runtime, q: Waitq) -> Sudog | None:
    """The first waiter (FIFO); chan.go also skips select cases already won, which goemu lacks."""
    if not q.first:
        return None
    sg = Sudog(rt.mem, q.first)
    q.first = sg.next
    if q.first:
        Sudog(rt.mem, q.first).prev = 0
    else:
        q.last = 0
    sg.next = 0
    return sg


def acquire_sudog(rt: Runtime) -> Sudog:
    if rt.sudog_free:
        sg = Sudog(rt.mem, rt.sudog_free.pop())
        sg.clear()
        return sg
    return rt.new(Sudog)


def release_sudog(rt: Runtime, sg: Sudog) -> None:
    rt.sudog_free.append(sg.addr)


@gate("runtime.makechan", args=24)
def makechan(rt: Runtime, mp: M, frame: Frame) -> None:
    """makechan(elemsize, size int) *hchan: one allocation holding the hchan and its buffer."""
    elemsize, size = frame.i64(0), frame.i64(8)
    if not 0 <= elemsize < 1 << 16:
        raise Throw("makechan: invalid channel element type")
    if size < 0 or elemsize * size > MAX_ALLOC - HCHAN_SIZE:
        raise GoPanic("makechan: size out of range")
    mem = elemsize * size
    c = Hchan(rt.mem, rt.arena.alloc(HCHAN_SIZE + mem, 8))
    c.buf = c.addr if mem == 0 else c.addr + HCHAN_SIZE  # unbuffered: buf points at the hchan
    c.elemsize = elemsize
    c.dataqsiz = size
    frame.set_u64(16, c.addr)


def _wake(rt: Runtime, mp: M, sg: Sudog) -> None:
    """The partner of a completed send or receive: its value is moved; ready it (runnext)."""
    sg.elem = 0
    gp = G(rt.mem, sg.g)
    gp.param = sg.addr
    sg.success = True
    rt.goready(mp, gp)


def _after_park(rt: Runtime, mp: M) -> bool:
    """The code of chansend/chanrecv after gopark: drop the sudog; did the operation complete?
    (False: the channel was closed under the waiting G.)"""
    gp = rt.curg(mp)
    mysg = Sudog(rt.mem, gp.waiting)
    gp.waiting = gp.param = 0
    gp.activeStackChans = False
    success = bool(mysg.success)
    mysg.c = 0
    release_sudog(rt, mysg)
    return success


def _chansend1_resume(rt: Runtime, mp: M, frame: Frame) -> None:
    if not _after_park(rt, mp):
        raise GoPanic("send on closed channel")


@gate("runtime.chansend1", args=16, resume=_chansend1_resume)
def chansend1(rt: Runtime, mp: M, frame: Frame):  # type: ignore[no-untyped-def]
    """chansend1(c *hchan, elem *T): c <- *elem, blocking."""
    c_addr, ep = frame.u64(0), frame.u64(8)
    if c_addr == 0:
        return rt.gopark(mp, frame, "runtime.chansend1", const.waitReasonChanSendNilChan)
    c = Hchan(rt.mem, c_addr)
    if c.closed:
        raise GoPanic("send on closed channel")
    sg = _dequeue(rt, c.recvq)
    if sg is not None:
        # send: copy straight into the waiting receiver's variable.
        if sg.elem:
            _copy(rt, sg.elem, ep, c.elemsize)
        _wake(rt, mp, sg)
        return None
    if c.qcount < c.dataqsiz:
        _copy(rt, _chanbuf(c, c.sendx), ep, c.elemsize)
        c.sendx = (c.sendx + 1) % c.dataqsiz
        c.qcount += 1
        return None
    return _block(rt, mp, frame, c, c.sendq, ep, "runtime.chansend1", const.waitReasonChanSend)


def _block(rt: Runtime, mp: M, frame: Frame, c: Hchan, q: Waitq, ep: int, name: str, reason: int):  # type: ignore[no-untyped-def]
    """Queue the calling G on c's send or receive queue with a sudog for ep, and park it."""
    gp = rt.curg(mp)
    mysg = acquire_sudog(rt)
    mysg.elem, mysg.g, mysg.c = ep, gp.addr, c.addr
    gp.waiting, gp.param = mysg.addr, 0
    _enqueue(rt, q, mysg)
    gp.parkingOnChan = 1
    return rt.gopark(mp, frame, name, reason)


def _chanrecv(rt: Runtime, mp: M, frame: Frame, name: str):  # type: ignore[no-untyped-def]
    """chanrecv(c, ep, block=true): returns (a gobuf to switch to, or None with received)."""
    c_addr, ep = frame.u64(0), frame.u64(8)
    if c_addr == 0:
        return rt.gopark(mp, frame, name, const.waitReasonChanReceiveNilChan), False
    c = Hchan(rt.mem, c_addr)
    if c.closed and c.qcount == 0:
        if ep:
            _clear(rt, ep, c.elemsize)
        return None, False
    sg = _dequeue(rt, c.sendq)
    if sg is not None:
        # recv: an unbuffered channel takes the sender's value; a full buffer gives its head and
        # takes the sender's value at its tail.
        if c.dataqsiz == 0:
            if ep:
                _copy(rt, ep, sg.elem, c.elemsize)
        else:
            qp = _chanbuf(c, c.recvx)
            if ep:
                _copy(rt, ep, qp, c.elemsize)
            _copy(rt, qp, sg.elem, c.elemsize)
            c.recvx = (c.recvx + 1) % c.dataqsiz
            c.sendx = c.recvx
        _wake(rt, mp, sg)
        return None, True
    if c.qcount > 0:
        qp = _chanbuf(c, c.recvx)
        if ep:
            _copy(rt, ep, qp, c.elemsize)
        _clear(rt, qp, c.elemsize)
        c.recvx = (c.recvx + 1) % c.dataqsiz
        c.qcount -= 1
        return None, True
    return _block(rt, mp, frame, c, c.recvq, ep, name, const.waitReasonChanReceive), False


def _chanrecv1_resume(rt: Runtime, mp: M, frame: Frame) -> None:
    _after_park(rt, mp)


@gate("runtime.chanrecv1", args=16, resume=_chanrecv1_resume)
def chanrecv1(rt: Runtime, mp: M, frame: Frame):  # type: ignore[no-untyped-def]
    """chanrecv1(c *hchan, elem *T): *elem = <-c (elem may be nil)."""
    return _chanrecv(rt, mp, frame, "runtime.chanrecv1")[0]


def _chanrecv2_resume(rt: Runtime, mp: M, frame: Frame) -> None:
    frame.set_u8(16, int(_after_park(rt, mp)))


@gate("runtime.chanrecv2", args=17, resume=_chanrecv2_resume)
def chanrecv2(rt: Runtime, mp: M, frame: Frame):  # type: ignore[no-untyped-def]
    """chanrecv2(c *hchan, elem *T) (received bool): *elem, ok = <-c."""
    buf, received = _chanrecv(rt, mp, frame, "runtime.chanrecv2")
    if buf is None:
        frame.set_u8(16, int(received))
    return buf


@gate("runtime.closechan", args=8)
def closechan(rt: Runtime, mp: M, frame: Frame) -> None:
    """Close c: every waiting receiver gets the zero value, every waiting sender panics."""
    c_addr = frame.u64(0)
    if c_addr == 0:
        raise GoPanic("close of nil channel")
    c = Hchan(rt.mem, c_addr)
    if c.closed:
        raise GoPanic("close of closed channel")
    c.closed = 1
    woken: list[G] = []
    for q, clear in ((c.recvq, True), (c.sendq, False)):
        while (sg := _dequeue(rt, q)) is not None:
            if clear and sg.elem:
                _clear(rt, sg.elem, c.elemsize)
            sg.elem = 0
            gp = G(rt.mem, sg.g)
            gp.param = 0
            sg.success = False
            woken.append(gp)
    for gp in woken:
        rt.goready(mp, gp)
