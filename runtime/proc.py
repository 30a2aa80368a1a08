"""The scheduler, after Go 1.19's runtime/proc.go: bootstrap, goroutine creation, run queues.

Functions keep their Go names; a one-line comment marks where goemu's version differs. All state
is in guest memory at Go's offsets (G, M, P, Schedt views); the Python objects here hold only
addresses and the allocator. Covered so far, for one M and one P: rt0_go, schedinit, newproc
(goid batches, gfget/gfput free lists), the local run queue (runnext, the 256-slot ring,
runqputslow to the global queue), globrunqget's batch, findRunnable's schedtick%61 fairness,
execute, gopark/goready, Gosched and goexit. Stealing, several Ms, timers and preemption come
with later steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .gates import Frame, gate
from .layout import Funcval, G, Gobuf, M, P, Schedt, const
from .malloc import Arena, OutOfMemory
from .memory import Memory, store

PTR_SIZE = 8
RUNQ_SIZE = 256  # len(p.runq)
G0_STACK_SIZE = 64 << 10  # goemu's g0 stacks (Go's m0 uses the OS stack; other Ms' g0 have 16 KiB)


class Throw(Exception):
    """A runtime `throw`: printed as `fatal error: <msg>`, exit status 2."""


class GoPanic(Exception):
    """A run-time panic raised by the runtime for the calling goroutine (`panic: <msg>`)."""


class Deadlock(Throw):
    """checkdead: no goroutine can run and none will be woken."""

    def __init__(self) -> None:
        super().__init__("all goroutines are asleep - deadlock!")


@dataclass
class Symbols:
    """Addresses of the runtime's assembly the scheduler needs (from the linked image)."""

    goexit: int
    main_pc: int  # runtime·mainPC: the funcval of the main goroutine's function
    resume: dict[str, int] = field(default_factory=dict)  # gate name -> its resume entry (gopark)
    system_pcs: frozenset[int] = frozenset()  # entries of runtime functions other than runtime.main


@dataclass
class Runtime:
    mem: Memory
    arena: Arena
    syms: Symbols
    g0_stack_base: int  # where the emulator mapped the g0 stacks, G0_STACK_SIZE each
    gomaxprocs: int = 1
    write: Callable[[int, bytes], None] = lambda fd, data: None  # the process's stdout/stderr
    sched: Schedt = field(init=False)
    allm: list[M] = field(default_factory=list)
    allp: list[P] = field(default_factory=list)
    allgs: list[int] = field(default_factory=list)  # every G ever made, by address (Go's []*g)
    sudog_free: list[int] = field(default_factory=list)  # released sudogs (Go keeps per-P caches)
    semtable: int = 0  # address of the semaphore roots, allocated on first use

    def __post_init__(self) -> None:
        half = self.arena.size // 2
        self.stacks = Arena(self.arena.base + half, half)
        self.arena = Arena(self.arena.base, half)
        self.sched = Schedt(self.mem, self.arena.alloc(Schedt.STRUCT.size, 64))
        self.zerobase = self.arena.alloc(8, 8)  # runtime.zerobase: the address of every 0-byte object

    def new(self, cls):  # type: ignore[no-untyped-def]
        """A zeroed struct in the arena (Go's new(T))."""
        return cls(self.mem, self.arena.alloc(cls.STRUCT.size, 8))

    # ---- bootstrap -------------------------------------------------------------------------

    def rt0_go(self) -> M:
        """m0 and its g0 on their stack, schedinit, then newproc(runtime.main) (asm_amd64.s)."""
        m0 = self.new(M)
        g0 = self.new(G)
        lo = self.g0_stack_base
        g0.stack.lo, g0.stack.hi = lo, lo + G0_STACK_SIZE
        g0.stackguard0 = g0.stackguard1 = lo + const._StackGuard
        g0.sched.sp = g0.stack.hi
        m0.g0, g0.m = g0.addr, m0.addr
        self.schedinit(m0)
        self.newproc(m0, Funcval(self.mem, self.syms.main_pc))
        return m0

    def schedinit(self, m0: M) -> None:
        self.sched.maxmcount = 10000
        self.mcommoninit(m0)
        self.procresize(m0, self.gomaxprocs)

    def mcommoninit(self, mp: M) -> None:
        mp.id = self.sched.mnext
        self.sched.mnext += 1
        self.allm.append(mp)

    def procresize(self, mp: M, nprocs: int) -> None:
        """Create the Ps and wire P0 to the current M (the first call, from schedinit)."""
        while len(self.allp) < nprocs:
            pp = self.new(P)
            pp.id = len(self.allp)
            pp.status = const._Pgcstop
            self.allp.append(pp)
        p0 = self.allp[0]
        mp.p, p0.m = p0.addr, mp.addr
        p0.status = const._Prunning
        for pp in self.allp[1:]:
            pp.status = const._Pidle  # pidleput: goemu keeps no idle-P list yet
        self.sched.npidle = nprocs - 1

    # ---- goroutines ------------------------------------------------------------------------

    def stackalloc(self, size: int) -> int:
        """A stack of `size` bytes (a power of two), aligned to its size, from the stack half of
        the arena so that Gs and stacks do not interleave (Go's stacks come from their own spans)."""
        return self.stacks.alloc(size, size)

    def malg(self, stacksize: int) -> G:
        newg = self.new(G)
        lo = self.stackalloc(stacksize)
        newg.stack.lo, newg.stack.hi = lo, lo + stacksize
        newg.stackguard0 = lo + const._StackGuard
        newg.stackguard1 = (1 << 64) - 1
        return newg

    def newproc(self, mp: M, fn: Funcval, callerpc: int = 0) -> G:
        """The go statement: a runnable G for fn in the current P's runnext."""
        pp = P(self.mem, mp.p)
        newg = self.newproc1(fn, pp, callerpc)
        self.runqput(pp, newg, True)
        return newg

    def newproc1(self, fn: Funcval, pp: P, callerpc: int) -> G:
        newg = self.gfget(pp)
        if newg is None:
            newg = self.malg(const._StackMin)
            newg.atomicstatus = const._Gdead
            self.allgs.append(newg.addr)  # allgadd: publishes the G before it can run
        total = 4 * PTR_SIZE  # totalSize: extra space in case of reads slightly beyond frame
        sp = newg.stack.hi - total
        newg.sched.clear()
        newg.sched.sp = sp
        newg.stktopsp = sp
        newg.sched.pc = self.syms.goexit + 1  # + PCQuantum, so that the traceback sees goexit
        newg.sched.g = newg.addr
        gostartcallfn(newg.sched, fn)
        newg.gopc = callerpc
        newg.startpc = fn.fn
        if self.is_system_goroutine(newg):
            self.sched.ngsys += 1
        newg.atomicstatus = const._Grunnable
        if pp.goidcache == pp.goidcacheend:
            # Take a batch of goids from the global generator, 16 at a time.
            self.sched.goidgen += const._GoidCacheBatch
            pp.goidcache = self.sched.goidgen - (const._GoidCacheBatch - 1)
            pp.goidcacheend = pp.goidcache + const._GoidCacheBatch
        newg.goid = pp.goidcache
        pp.goidcache += 1
        return newg

    def is_system_goroutine(self, gp: G) -> bool:
        """isSystemGoroutine: started at a runtime function other than runtime.main (known by the
        entry addresses the emulator collected from the image)."""
        return gp.startpc in self.syms.system_pcs

    # ---- free Gs ---------------------------------------------------------------------------

    def gfput(self, pp: P, gp: G) -> None:
        """Put a dead G on pp's free list; past 64, move them down to 32 onto the global lists."""
        if gp.atomicstatus != const._Gdead:
            raise Throw("gfput: bad status (not Gdead)")
        free = pp.gFree
        self._gpush(free.gList, gp)
        free.n += 1
        if free.n >= 64:
            sfree = self.sched.gFree
            while free.n >= 32:
                g = self._gpop(free.gList)
                free.n -= 1
                self._gpush(sfree.stack if g.stack.lo else sfree.noStack, g)
                sfree.n += 1

    def gfget(self, pp: P) -> G | None:
        """A dead G from pp's free list, refilled from the global lists (with stacks first)."""
        free, sfree = pp.gFree, self.sched.gFree
        if free.gList.head == 0 and (sfree.stack.head or sfree.noStack.head):
            while free.n < 32:
                lst = sfree.stack if sfree.stack.head else sfree.noStack
                if lst.head == 0:
                    break
                g = self._gpop(lst)
                sfree.n -= 1
                self._gpush(free.gList, g)
                free.n += 1
        if free.gList.head == 0:
            return None
        gp = self._gpop(free.gList)
        free.n -= 1
        if gp.stack.lo == 0:
            lo = self.stackalloc(const._StackMin)
            gp.stack.lo, gp.stack.hi = lo, lo + const._StackMin
            gp.stackguard0 = lo + const._StackGuard
        return gp

    @staticmethod
    def _gpush(lst, gp: G) -> None:  # type: ignore[no-untyped-def]
        """gList.push: gp becomes the head, linked through schedlink."""
        gp.schedlink = lst.head
        lst.head = gp.addr

    def _gpop(self, lst) -> G:  # type: ignore[no-untyped-def]
        """gList.pop of a non-empty list."""
        gp = G(self.mem, lst.head)
        lst.head = gp.schedlink
        gp.schedlink = 0
        return gp

    # ---- run queues ------------------------------------------------------------------------

    def runqput(self, pp: P, gp: G, next_: bool) -> None:
        """Put gp on pp's local queue; with next_, in runnext, kicking the old one to the tail."""
        if next_:
            old = pp.runnext
            pp.runnext = gp.addr
            if old == 0:
                return
            gp = G(self.mem, old)
        h, t = pp.runqhead, pp.runqtail
        if (t - h) & 0xFFFFFFFF < RUNQ_SIZE:
            pp.runq[t % RUNQ_SIZE] = gp.addr
            pp.runqtail = t + 1
            return
        self.runqputslow(pp, gp, h, t)

    def runqputslow(self, pp: P, gp: G, h: int, t: int) -> None:
        """Move half of the full local queue, and gp, to the global queue."""
        n = ((t - h) & 0xFFFFFFFF) // 2
        batch = [pp.runq[(h + i) % RUNQ_SIZE] for i in range(n)]
        pp.runqhead = h + n
        batch.append(gp.addr)
        self.globrunqputbatch(batch)

    def globrunqputbatch(self, batch: list[int]) -> None:
        """Append the Gs (addresses, in order) to the global queue, linked through schedlink."""
        for a, b in zip(batch, batch[1:], strict=False):
            G(self.mem, a).schedlink = b
        G(self.mem, batch[-1]).schedlink = 0
        q = self.sched.runq
        if q.tail:
            G(self.mem, q.tail).schedlink = batch[0]
        else:
            q.head = batch[0]
        q.tail = batch[-1]
        self.sched.runqsize += len(batch)

    def runqget(self, pp: P) -> tuple[G | None, bool]:
        """The next G of pp's local queue: runnext first (inheriting the time slice)."""
        nxt = pp.runnext
        if nxt:
            pp.runnext = 0
            return G(self.mem, nxt), True
        h, t = pp.runqhead, pp.runqtail
        if t == h:
            return None, False
        gp = pp.runq[h % RUNQ_SIZE]
        pp.runqhead = h + 1
        return G(self.mem, gp), False

    def globrunqget(self, pp: P, max_: int) -> G | None:
        """Take a batch from the global queue: min(runqsize/gomaxprocs+1, max, 128 ...)."""
        size = self.sched.runqsize
        if size == 0:
            return None
        n = min(size, size // self.gomaxprocs + 1)
        if max_ > 0 and n > max_:
            n = max_
        n = min(n, RUNQ_SIZE // 2)
        self.sched.runqsize = size - n
        gp = self._globrunqpop()
        for _ in range(n - 1):
            self.runqput(pp, self._globrunqpop(), False)
        return gp

    def _globrunqpop(self) -> G:
        q = self.sched.runq
        gp = G(self.mem, q.head)
        q.head = gp.schedlink
        if q.head == 0:
            q.tail = 0
        gp.schedlink = 0
        return gp

    # ---- scheduling ------------------------------------------------------------------------

    def schedule(self, mp: M) -> Gobuf:
        """Find a runnable G and execute it; returns the gobuf the M's CPU must gogo to."""
        pp = P(self.mem, mp.p)
        gp, inherit = self.find_runnable(mp, pp)
        if gp is None:
            raise Deadlock()  # one M: nothing else can make a G runnable (checkdead)
        if gp.lockedm:
            # startlockedm hands the P to the G's own M, whose schedule() runs it through
            # stoplockedm and execute(lockedg, inheritTime=false). goemu has one M: same effect.
            inherit = False
        return self.execute(mp, gp, inherit)

    def find_runnable(self, mp: M, pp: P) -> tuple[G | None, bool]:
        """findRunnable's first steps: fairness check of the global queue, local, then global."""
        if pp.schedtick % 61 == 0 and self.sched.runqsize > 0:
            gp = self.globrunqget(pp, 1)
            if gp is not None:
                return gp, False
        gp, inherit = self.runqget(pp)
        if gp is not None:
            return gp, inherit
        return self.globrunqget(pp, 0), False

    def curg(self, mp: M) -> G:
        return G(self.mem, mp.curg)

    def mcall(self, mp: M, frame: Frame) -> G:
        """What mcall's assembly does before calling fn(g) on g0: save the caller's PC, SP and BP
        in g.sched. (goemu runs fn in Python; the switch to g0's stack is gateresume's.)"""
        gp = self.curg(mp)
        gp.sched.pc = frame.return_pc
        gp.sched.sp = frame.sp + 8
        gp.sched.bp = frame.bp
        return gp

    def dropg(self, mp: M) -> None:
        G(self.mem, mp.curg).m = 0
        mp.curg = 0

    def globrunqput(self, gp: G) -> None:
        self.globrunqputbatch([gp.addr])

    def gopark(self, mp: M, frame: Frame, gate_name: str, reason: int) -> Gobuf:
        """Park the calling goroutine inside a gate: mcall(park_m), with g.sched set so that the
        G, when readied and run again, enters the gate's resume entry (the code after gopark)
        with the caller's return address still on its stack."""
        gp = self.curg(mp)
        gp.sched.pc = self.syms.resume[gate_name]
        gp.sched.sp = frame.sp
        gp.sched.bp = frame.bp
        return self.park_m(mp, gp, reason)

    def park_m(self, mp: M, gp: G, reason: int) -> Gobuf:
        gp.atomicstatus = const._Gwaiting
        gp.waitreason = reason
        self.dropg(mp)
        return self.schedule(mp)

    def goready(self, mp: M, gp: G) -> None:
        """ready(gp, next=true): the woken G goes to the current P's runnext."""
        if gp.atomicstatus != const._Gwaiting:
            raise Throw("bad g->status in ready")
        gp.atomicstatus = const._Grunnable
        self.runqput(P(self.mem, mp.p), gp, True)

    def gosched_m(self, mp: M, gp: G) -> Gobuf:
        """goschedImpl: the G goes to the tail of the global queue (not the local one)."""
        gp.atomicstatus = const._Grunnable
        self.dropg(mp)
        self.globrunqput(gp)
        return self.schedule(mp)

    def goexit0(self, mp: M, gp: G) -> Gobuf:
        gp.atomicstatus = const._Gdead
        gp.m = 0
        gp.lockedm = 0
        gp.preemptStop = gp.paniconfault = False
        gp._defer = gp._panic = 0
        gp.waitreason = 0
        gp.param = gp.labels = gp.timer = 0
        self.dropg(mp)
        self.gfput(P(self.mem, mp.p), gp)
        return self.schedule(mp)

    def execute(self, mp: M, gp: G, inherit_time: bool) -> Gobuf:
        mp.curg, gp.m = gp.addr, mp.addr
        gp.atomicstatus = const._Grunning
        gp.waitsince = 0
        gp.preempt = False
        gp.stackguard0 = gp.stack.lo + const._StackGuard
        if not inherit_time:
            pp = P(self.mem, mp.p)
            pp.schedtick += 1
        return gp.sched


def gostartcallfn(buf: Gobuf, fn: Funcval) -> None:
    """Adjust buf as if the function executed a call to fn and then stopped before its first
    instruction: push buf.pc (goexit+1) as the return address, start at fn.fn, ctxt = fn."""
    sp = buf.sp - PTR_SIZE
    store(buf.mem, sp, PTR_SIZE, buf.pc)
    buf.sp = sp
    buf.pc = fn.fn
    buf.ctxt = fn.addr


# ---- the runtime's Go API, entered through gates ----------------------------------------------


@gate("runtime.Gosched")
def Gosched(rt: Runtime, mp: M, frame: Frame) -> Gobuf:
    """Yield the processor: mcall(gosched_m)."""
    return rt.gosched_m(mp, rt.mcall(mp, frame))


@gate("runtime.goexit1")
def goexit1(rt: Runtime, mp: M, frame: Frame) -> Gobuf:
    """The goroutine's function returned into goexit: mcall(goexit0)."""
    return rt.goexit0(mp, rt.mcall(mp, frame))


@gate("runtime.Goexit")
def Goexit(rt: Runtime, mp: M, frame: Frame) -> Gobuf:
    """Terminate the calling goroutine (no deferred calls to run: goemu has no defer)."""
    return goexit1(rt, mp, frame)


@gate("runtime.newproc", args=8)
def newproc(rt: Runtime, mp: M, frame: Frame) -> None:
    """The go statement: newproc(fn *funcval); the new G goes to runnext."""
    rt.newproc(mp, Funcval(rt.mem, frame.u64(0)), callerpc=frame.return_pc)


@gate("runtime.goparkunlock", args=24, resume=lambda rt, mp, frame: None)
def goparkunlock(rt: Runtime, mp: M, frame: Frame) -> Gobuf:
    """goparkunlock(lock *mutex, reason waitReason, traceEv byte, traceskip int): park until
    readied (goemu has one M, so the lock needs no unlocking)."""
    return rt.gopark(mp, frame, "runtime.goparkunlock", frame.u64(8) & 0xFF)


@gate("runtime.NumGoroutine", args=8)
def NumGoroutine(rt: Runtime, mp: M, frame: Frame) -> None:
    """gcount(): all Gs but the free ones and the runtime's own (sched.ngsys)."""
    free = rt.sched.gFree.n + sum(pp.gFree.n for pp in rt.allp)
    frame.set_u64(0, len(rt.allgs) - free - rt.sched.ngsys)


@gate("runtime.mallocgc", args=32)
def mallocgc(rt: Runtime, mp: M, frame: Frame) -> None:
    """mallocgc(size uintptr, typ *_type, needzero bool) unsafe.Pointer: memory from the arena,
    always zeroed (fresh pages); never freed, as goemu has no garbage collector."""
    size = frame.u64(0)
    if size == 0:
        frame.set_u64(24, rt.zerobase)
        return
    align = 8 if size >= 8 else 1 << (size - 1).bit_length()
    try:
        frame.set_u64(24, rt.arena.alloc(size, align))
    except OutOfMemory:
        raise Throw("out of memory") from None


@gate("runtime.lockOSThread")
def lockOSThread(rt: Runtime, mp: M, frame: Frame) -> None:
    """The runtime's internal lock of the calling G to its M (m.lockedInt counts the nesting)."""
    mp.lockedInt += 1
    gp = rt.curg(mp)
    mp.lockedg, gp.lockedm = gp.addr, mp.addr


@gate("runtime.unlockOSThread")
def unlockOSThread(rt: Runtime, mp: M, frame: Frame) -> None:
    if mp.lockedInt == 0:
        raise Throw("unlockOSThread: unmatched")
    mp.lockedInt -= 1
    if mp.lockedInt == 0 and mp.lockedExt == 0:
        rt.curg(mp).lockedm = 0
        mp.lockedg = 0
