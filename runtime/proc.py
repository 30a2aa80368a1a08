"""The scheduler, after Go 1.19's runtime/proc.go: bootstrap, goroutines, run queues, Ms and Ps.

Functions keep their Go names; a one-line comment marks where goemu's version differs. All state
is in guest memory at Go's offsets (G, M, P, Schedt views); the Python objects here hold only
addresses, the allocator and what Go keeps in globals (allp, allgs, the idle and timer P masks).
Covered: rt0_go, schedinit, procresize, newproc (goid batches, gfget/gfput free lists), the local
run queue (runnext, the 256-slot ring, runqputslow to the global queue), globrunqget's batch,
schedule and findRunnable (timers, schedtick%61 fairness, stealWork, netpoll for the next timer,
stopm), idle Ps and Ms, wakep/startm/handoffp, locked Gs, checkdead, execute, gopark/goready,
Gosched, goexit, GOMAXPROCS, entersyscall/exitsyscall.

An M that blocks (notesleep on m.park, netpoll) cannot wait inside Python: block() records how
it sleeps and what it does once woken (a Park), and raises Blocked, which unwinds to the
emulator; the M's CPU stops until the emulator sees the wait is over and runs Park.resume. Every
caller of schedule() returns its result at once, so unwinding loses no work. Python runs one M at
a time, so the runtime's locks and atomics need no more than plain loads and stores, except
those held across a CPU's instructions (debuglock: printlock to printunlock).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from math import gcd
from typing import NoReturn

from . import stack, sysmon, time
from .debug import DebugVars
from .errors import Deadlock, LimitReached, Throw
from .gates import Frame, gate
from .layout import Funcval, G, Gobuf, M, P, Schedt, const
from .malloc import Arena
from .memory import Memory, load, store
from .symtab import Functab
from .trace import Trace

PTR_SIZE = 8
MASK64 = (1 << 64) - 1
RUNQ_SIZE = 256  # len(p.runq)
G0_STACK_SIZE = 64 << 10  # m0's g0 stack (Go's m0 runs on the OS stack; other Ms' g0 have 16 KiB)
# The deterministic clock starts where the Go playground's fake time does (2009-11-10 23:00 UTC).
CLOCK_START = 1257894000_000000000


@dataclass
class Park:
    """How an M sleeps: on its note m.park (stopm, stoplockedm), or in netpoll until a time."""

    resume: Callable[[], Gobuf | None]  # the M's code once woken, up to the G it executes
    note: int = 0  # the note's address: woken when its key is set (notewakeup)
    until: int = 0  # a deadline on the clock (netpoll's, a nanosleep's), with note 0
    poll: bool = False  # in netpoll: netpollBreak wakes it too
    lock: int = 0  # a runtime mutex it waits for: woken when its key is 0 (unlocked)


class Blocked(Exception):
    """The M goes to sleep: its CPU stops where it is until Runtime.wake runs park.resume."""

    def __init__(self, mp: M, park: Park) -> None:
        super().__init__(f"m{mp.id} sleeps")
        self.mp, self.park = mp, park


class RandomOrder:
    """randomOrder: enumerates 0..count-1 from a random start with a random coprime stride, the
    order in which stealWork visits the Ps."""

    def __init__(self) -> None:
        self.count = 0
        self.coprimes: list[int] = []

    def reset(self, count: int) -> None:
        self.count = count
        self.coprimes = [i for i in range(1, count + 1) if gcd(i, count) == 1]

    def enum(self, i: int) -> Iterator[int]:
        pos, inc = i % self.count, self.coprimes[i % len(self.coprimes)]
        for _ in range(self.count):
            yield pos
            pos = (pos + inc) % self.count


@dataclass
class Symbols:
    """Addresses of the runtime's assembly the scheduler needs (from the linked image)."""

    goexit: int
    main_pc: int  # runtime·mainPC: the funcval of the main goroutine's function
    resume: dict[str, int] = field(default_factory=dict)  # gate name -> its resume entry (gopark)
    system_pcs: frozenset[int] = frozenset()  # entries of runtime functions other than runtime.main
    main_started: int = 0  # runtime.mainStarted (bool)
    goroutine_ready: int = 0  # runtime.goroutineReadyPC: the funcval of sleep timers
    functab: Functab = field(default_factory=lambda: Functab([]))
    async_preempt: int = 0  # runtime.asyncPreempt, the call a preemption signal injects
    async_preempt_stack: int = 0  # asyncPreemptStack


@dataclass
class Runtime:
    mem: Memory
    arena: Arena
    syms: Symbols
    g0_stack_base: int  # where the emulator mapped the g0 stacks, G0_STACK_SIZE each
    gomaxprocs: int = 1  # what GOMAXPROCS asks at start; then the number of Ps
    write: Callable[[int, bytes], int] = lambda fd, data: 0  # the process's stdout/stderr: 0 or -errno
    newosproc: Callable[[M], None] = lambda mp: None  # the emulator gives a new M its CPU
    clock: int = CLOCK_START  # nanotime(): advanced by the emulator as instructions execute
    now: Callable[[], int] | None = None  # a host clock instead (goemu run --fast)
    parked: dict[int, Park] = field(default_factory=dict)  # sleeping Ms by address
    netpoll_inited: bool = False  # netpollGenericInit ran (the first timer)
    netpoll_break: bool = False  # netpollBreak: the M in netpoll returns early
    idlep_mask: int = 0  # idlepMask and timerpMask, Go's bitmasks over allp (globals in Go)
    timerp_mask: int = 0
    steal_order: RandomOrder = field(default_factory=RandomOrder)
    sched: Schedt = field(init=False)
    allm: list[M] = field(default_factory=list)
    allp: list[P] = field(default_factory=list)
    allgs: list[int] = field(default_factory=list)  # every G ever made, by address (Go's []*g)
    sudog_free: list[int] = field(default_factory=list)  # released sudogs (Go keeps per-P caches)
    semtable: int = 0  # address of the semaphore roots, allocated on first use
    debug: DebugVars = field(default_factory=DebugVars)  # GODEBUG
    forcePreemptNS: int = sysmon.FORCE_PREEMPT_NS  # goemu run --timeslice
    maxgoroutines: int = 0  # goemu run --max-goroutines; 0: no limit
    maxstacksize: int = stack.MAX_STACK  # goemu run --max-stack (debug.SetMaxStack)
    stackpool: dict[int, list[int]] = field(default_factory=dict)  # freed stacks by size
    sigpending: set[int] = field(default_factory=set)  # Ms (by address) a SIGURG was sent to
    sysmon: sysmon.Sysmon = field(default_factory=sysmon.Sysmon)
    # goemu debug's freeze: these Gs (by address) are not run; one schedule picks is set aside
    # (still _Grunnable) until thawed. Go has no such thing.
    frozen: set[int] = field(default_factory=set)
    frozen_aside: list[int] = field(default_factory=list)
    trace: Trace | None = None  # the execution tracer (goemu run --trace, --stats): trace.enabled

    def __post_init__(self) -> None:
        half = self.arena.size // 2
        self.stacks = Arena(self.arena.base + half, half, budget=self.arena.budget)
        self.arena = Arena(self.arena.base, half, budget=self.arena.budget)
        self.sched = Schedt(self.mem, self.arena.alloc(Schedt.STRUCT.size, 64))
        self.zerobase = self.arena.alloc(8, 8)  # runtime.zerobase: the address of every 0-byte object
        self.debuglock = self.arena.alloc(8, 8)  # the mutex of print's output

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
        self.sched.lastpoll = self.nanotime()
        # runtime.main's newm(sysmon) takes m1 and counts in nmsys; goemu's sysmon runs between
        # slices (no M of its own), so the id and the count are reserved here.
        self.sched.mnext += 1
        self.sched.nmsys += 1
        nprocs, self.gomaxprocs = self.gomaxprocs, 0
        self.procresize(m0, nprocs)

    def mcommoninit(self, mp: M) -> None:
        if self.sched.mnext - self.sched.nmfreed >= self.sched.maxmcount:
            raise Throw(f"thread exhaustion (program exceeds {self.sched.maxmcount}-thread limit)")
        mp.id = self.sched.mnext
        self.sched.mnext += 1
        # Go seeds fastrand from the id and the CPU tick counter; goemu from the id alone.
        mp.fastrand = splitmix64(mp.id) or 1
        self.allm.append(mp)

    def procresize(self, mp: M, nprocs: int) -> list[P]:
        """Create or destroy Ps to have nprocs, keep the current M on its P (or P0), make the rest
        idle; returns the Ps with work for startTheWorld to run."""
        old = self.gomaxprocs
        while len(self.allp) < nprocs:
            self.allp.append(self.new(P))
        for i in range(old, nprocs):
            pp = self.allp[i]
            pp.id, pp.status = i, const._Pgcstop  # p.init
            # It may get timers once it runs, without going through pidleget (P0 at start-up).
            self.timerp_mask |= 1 << i
            self.idlep_mask &= ~(1 << i)
        if mp.p and P(self.mem, mp.p).id < nprocs:
            P(self.mem, mp.p).status = const._Prunning
        else:
            if mp.p:
                P(self.mem, mp.p).m = 0
            mp.p = 0
            p0 = self.allp[0]
            p0.m, p0.status = 0, const._Pidle
            self.acquirep(mp, p0)
        for pp in self.allp[nprocs:old]:
            self.pdestroy(mp, pp)
        del self.allp[nprocs:]
        self.idlep_mask &= (1 << nprocs) - 1
        self.timerp_mask &= (1 << nprocs) - 1
        runnable: list[P] = []
        for pp in reversed(self.allp):
            if pp.addr == mp.p:
                continue
            pp.status = const._Pidle
            if self.runqempty(pp):
                self.pidleput(pp)
            else:
                nm = self.mget()
                pp.m = nm.addr if nm is not None else 0
                runnable.insert(0, pp)
        self.steal_order.reset(nprocs)
        self.gomaxprocs = nprocs
        return runnable

    def pdestroy(self, mp: M, pp: P) -> None:
        """p.destroy: its Gs go to the head of the global queue, its timers to the current P,
        its free Gs to the global lists; the P is dead."""
        while pp.runqhead != pp.runqtail:
            pp.runqtail = (pp.runqtail - 1) & 0xFFFFFFFF
            self.globrunqputhead(G(self.mem, pp.runq[pp.runqtail % RUNQ_SIZE]))
        if pp.runnext:
            self.globrunqputhead(G(self.mem, pp.runnext))
            pp.runnext = 0
        time.moveTimers(self, P(self.mem, mp.p), pp)
        self.gfree_to_global(pp, keep=0)  # gfpurge
        pp.status = const._Pdead

    def stopTheWorld(self, mp: M) -> None:
        """Every P but the caller's to _Pgcstop. The other CPUs are between slices whenever Python
        runs, but a G running on one of them cannot be stopped without preemption (issue 4)."""
        self.sched.gcwaiting = 1
        P(self.mem, mp.p).status = const._Pgcstop
        for pp in self.allp:
            if pp.status == const._Prunning:
                raise Throw("goemu: stopping the world while other Ps run Gs needs preemption (not implemented yet)")
        while (pp := self.pidleget()) is not None:
            pp.status = const._Pgcstop
        for pp in self.allp:
            if pp.status == const._Psyscall:
                pp.status = const._Pgcstop

    def startTheWorld(self, mp: M, procs: int) -> None:
        for pp in self.procresize(mp, procs):
            if pp.m:
                nm = M(self.mem, pp.m)
                pp.m = 0
                nm.nextp = pp.addr
                self.notewakeup(nm.addr_of("park"))
            else:
                self.newm(False, pp)
        self.sched.gcwaiting = 0
        sysmon.wake_deep_sleep(self)
        self.wakep()

    # ---- goroutines ------------------------------------------------------------------------

    def malg(self, stacksize: int) -> G:
        newg = self.new(G)
        lo = stack.stackalloc(self, stacksize)
        newg.stack.lo, newg.stack.hi = lo, lo + stacksize
        newg.stackguard0 = lo + const._StackGuard
        newg.stackguard1 = (1 << 64) - 1
        return newg

    def newproc(self, mp: M, fn: Funcval, callerpc: int = 0) -> G:
        """The go statement: a runnable G for fn in the current P's runnext."""
        system = fn.fn in self.syms.system_pcs  # counted apart, as NumGoroutine does
        if self.maxgoroutines and not system and self.gcount() >= self.maxgoroutines:  # goemu's, not Go's
            raise LimitReached(f"--max-goroutines {self.maxgoroutines}")
        pp = P(self.mem, mp.p)
        newg = self.newproc1(fn, pp, callerpc)
        if self.trace:
            self.trace.GoCreate(mp, pp, newg, system)
        self.runqput(pp, newg, True)
        if self.mainStarted():
            self.wakep()
        return newg

    def newproc1(self, fn: Funcval, pp: P, callerpc: int) -> G:
        newg = self.gfget(pp)
        if newg is None:
            newg = self.malg(const._StackMin)
            newg.atomicstatus = const._Gdead
            self.allgs.append(newg.addr)  # allgadd: publishes the G before it can run
        total = 4 * PTR_SIZE  # totalSize: extra space in case of reads slightly beyond frame
        sp = newg.stack.hi - total
        sched = newg.sched
        sched.clear()
        sched.sp = sp
        newg.stktopsp = sp
        sched.pc = self.syms.goexit + 1  # + PCQuantum, so that the traceback sees goexit
        sched.g = newg.addr
        gostartcallfn(sched, fn)
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

    def gcount(self) -> int:
        """The goroutines alive: all Gs but the free ones and the runtime's own (sched.ngsys)."""
        free = self.sched.gFree.n + sum(pp.gFree.n for pp in self.allp)
        return len(self.allgs) - free - self.sched.ngsys

    def is_system_goroutine(self, gp: G) -> bool:
        """isSystemGoroutine: started at a runtime function other than runtime.main (known by the
        entry addresses the emulator collected from the image)."""
        return gp.startpc in self.syms.system_pcs

    # ---- free Gs ---------------------------------------------------------------------------

    def gfput(self, pp: P, gp: G) -> None:
        """Put a dead G on pp's free list; past 64, move them down to 32 onto the global lists."""
        if gp.atomicstatus != const._Gdead:
            raise Throw("gfput: bad status (not Gdead)")
        stk = gp.stack
        stksize = stk.hi - stk.lo
        if stksize != const._StackMin:
            # A grown stack is freed; gfget gives the G a new one of the starting size.
            stack.stackfree(self, stk.lo, stksize)
            stk.lo = stk.hi = gp.stackguard0 = 0
        free = pp.gFree
        self._gpush(free.gList, gp)
        free.n += 1
        if free.n >= 64:
            self.gfree_to_global(pp, keep=31)

    def gfree_to_global(self, pp: P, keep: int) -> None:
        """Move pp's free Gs to the global lists (with and without stacks) until keep are left."""
        free, sfree = pp.gFree, self.sched.gFree
        while free.n > keep:
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
        stk = gp.stack
        if stk.lo == 0:
            lo = stack.stackalloc(self, const._StackMin)
            stk.lo, stk.hi = lo, lo + const._StackMin
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

    def runqempty(self, pp: P) -> bool:
        return pp.runqhead == pp.runqtail and not pp.runnext

    def runqgrab(self, pp: P, batch_head: int, from_: P, steal_runnext: bool) -> int:
        """Take half of from_'s local queue (rounded up) into pp's ring at batch_head; with an
        empty queue and steal_runnext, its runnext. (Go sleeps 3us before taking the runnext of a
        running P, to let it schedule the G itself: instantaneous here.)"""
        h, t = from_.runqhead, from_.runqtail
        n = (t - h) & 0xFFFFFFFF
        n -= n // 2
        if n == 0:
            if steal_runnext and from_.runnext:
                pp.runq[batch_head % RUNQ_SIZE] = from_.runnext
                from_.runnext = 0
                return 1
            return 0
        for i in range(n):
            pp.runq[(batch_head + i) % RUNQ_SIZE] = from_.runq[(h + i) % RUNQ_SIZE]
        from_.runqhead = (h + n) & 0xFFFFFFFF
        return n

    def runqsteal(self, pp: P, p2: P, steal_runnext: bool) -> G | None:
        """Steal half of p2's Gs into pp's queue; returns one of them to run."""
        t = pp.runqtail
        n = self.runqgrab(pp, t, p2, steal_runnext)
        if n == 0:
            return None
        n -= 1
        gp = G(self.mem, pp.runq[(t + n) % RUNQ_SIZE])
        if n == 0:
            return gp
        if ((t - pp.runqhead) & 0xFFFFFFFF) + n >= RUNQ_SIZE:
            raise Throw("runqsteal: runq overflow")
        pp.runqtail = (t + n) & 0xFFFFFFFF
        return gp

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

    # ---- scheduling ----------------------------------------------------------------------

    def schedule(self, mp: M) -> Gobuf:
        """One round of scheduling: find a runnable G and execute it. Returns the gobuf the M's CPU
        must gogo to; raises Blocked when the M goes to sleep instead (its CPU stops)."""
        if mp.lockedg:
            self.stoplockedm(mp)
        while True:
            pp = P(self.mem, mp.p)
            pp.preempt = False
            if mp.spinning and not self.runqempty(pp):
                raise Throw("schedule: spinning with local work")
            gp, inherit, try_wakep = self.find_runnable(mp)
            if mp.spinning:
                self.resetspinning(mp)
            if try_wakep:
                self.wakep()
            if gp.addr in self.frozen:  # goemu debug: a frozen G waits aside until thawed
                self.frozen_aside.append(gp.addr)
                continue
            if gp.lockedm:
                # Hand our P to the G's own M, then sleep until given one (goto top afterwards).
                self.startlockedm(mp, gp)
                continue
            return self.execute(mp, gp, inherit)

    def find_runnable(self, mp: M) -> tuple[G, bool, bool]:
        """findRunnable: a G to run (and whether it inherits the time slice), after timers, the
        global queue's fairness turn, the local and global queues and stealing; with nothing to
        do, the M gives up its P and sleeps (stopm) or waits in netpoll for the next timer."""
        while True:
            pp = P(self.mem, mp.p)
            now, poll_until, _ = time.checkTimers(self, mp, pp, 0)
            if pp.schedtick % 61 == 0 and self.sched.runqsize > 0:
                gp = self.globrunqget(pp, 1)
                if gp is not None:
                    return gp, False, False
            gp, inherit = self.runqget(pp)
            if gp is not None:
                return gp, inherit, False
            if self.sched.runqsize:
                gp = self.globrunqget(pp, 0)
                if gp is not None:
                    return gp, False, False
            procs = self.gomaxprocs
            if mp.spinning or 2 * self.sched.nmspinning < procs - self.sched.npidle:
                if not mp.spinning:
                    mp.spinning = True
                    self.sched.nmspinning += 1
                gp, inherit, now, w, new_work = self.stealWork(mp, now)
                if gp is not None:
                    return gp, inherit, False
                if new_work:
                    continue
                if w and (poll_until == 0 or w < poll_until):
                    poll_until = w
            # We have nothing to do: return the P and block.
            if self.sched.runqsize:
                return self.globrunqget(pp, 0), False, False  # type: ignore[return-value]
            if self.releasep(mp) != pp.addr:
                raise Throw("findrunnable: wrong p")
            self.pidleput(pp)
            was_spinning = bool(mp.spinning)
            if mp.spinning:
                mp.spinning = False
                self.sched.nmspinning -= 1
                p2 = self.checkRunqsNoP()
                if p2 is not None:
                    self.acquirep(mp, p2)
                    mp.spinning = True
                    self.sched.nmspinning += 1
                    continue
                poll_until = time.checkTimersNoP(self, poll_until)
            if self.netpoll_inited and poll_until and self.sched.lastpoll:
                self.sched.lastpoll = 0
                self.sched.pollUntil = poll_until
                # netpoll(delay): the M waits for the next timer (no network: nothing else wakes it
                # but netpollBreak). The deterministic clock jumps there when every M sleeps.
                resume = functools.partial(self.after_netpoll, mp, was_spinning)
                self.block(mp, Park(resume, until=poll_until, poll=True))
            self.stopm(mp)

    def after_netpoll(self, mp: M, was_spinning: bool) -> Gobuf:
        """findRunnable after netpoll returned: take an idle P and look again, or sleep."""
        self.sched.pollUntil = 0
        self.sched.lastpoll = self.nanotime()
        pp = self.pidleget()
        if pp is None:
            self.stopm(mp)  # raises Blocked; the M continues in schedule() when woken
        self.acquirep(mp, pp)  # type: ignore[arg-type]
        if was_spinning:
            mp.spinning = True
            self.sched.nmspinning += 1
        return self.schedule(mp)

    def resetspinning(self, mp: M) -> None:
        """The M found work and stops spinning; the last spinning M wakes another (wakep)."""
        mp.spinning = False
        if self.sched.nmspinning == 0:
            raise Throw("findrunnable: negative nmspinning")
        self.sched.nmspinning -= 1
        self.wakep()

    def stealWork(self, mp: M, now: int) -> tuple[G | None, bool, int, int, bool]:
        """Four passes over the other Ps in a random order: steal half of a local run queue (the
        last pass also runnext, and runs the timers of the Ps that have some)."""
        pp = P(self.mem, mp.p)
        ran_timer = False
        poll_until = 0
        steal_tries = 4
        for i in range(steal_tries):
            steal_timers_or_runnext = i == steal_tries - 1
            for pos in self.steal_order.enum(self.fastrand(mp)):
                p2 = self.allp[pos]
                if p2.addr == pp.addr:
                    continue
                if steal_timers_or_runnext and self.timerp_mask >> pos & 1:
                    now, w, ran = time.checkTimers(self, mp, p2, now)
                    if w and (poll_until == 0 or w < poll_until):
                        poll_until = w
                    if ran:
                        gp, inherit = self.runqget(pp)
                        if gp is not None:
                            return gp, inherit, now, poll_until, ran_timer
                        ran_timer = True
                if not self.idlep_mask >> pos & 1:
                    tail = pp.runqtail
                    gp = self.runqsteal(pp, p2, steal_timers_or_runnext)
                    if gp is not None:
                        if self.trace:  # goemu's: Go does not trace steals
                            self.trace.Steal(mp, pp, p2, ((pp.runqtail - tail) & 0xFFFFFFFF) + 1)
                        return gp, False, now, poll_until, ran_timer
        return None, False, now, poll_until, ran_timer

    def checkRunqsNoP(self) -> P | None:
        """A spinning M turning idle looks once more for a P with work; it takes an idle P for it."""
        for p2 in self.allp:
            if not self.idlep_mask >> p2.id & 1 and not self.runqempty(p2):
                return self.pidleget()
        return None

    def fastrand(self, mp: M) -> int:
        """Go 1.19's per-M wyrand (m.fastrand)."""
        mp.fastrand = (mp.fastrand + 0xA0761D6478BD642F) & MASK64
        prod = mp.fastrand * (mp.fastrand ^ 0xE7037ED1A0B428DB)
        return ((prod >> 64) ^ prod) & 0xFFFFFFFF

    def curg(self, mp: M) -> G:
        return G(self.mem, mp.curg)

    def mcall(self, mp: M, frame: Frame) -> G:
        """What mcall's assembly does before calling fn(g) on g0: save the caller's PC, SP and BP
        in g.sched. (goemu runs fn in Python; the switch to g0's stack is gateresume's.)"""
        gp = self.curg(mp)
        sched = gp.sched
        sched.pc = frame.return_pc
        sched.sp = frame.sp + 8
        sched.bp = frame.bp
        return gp

    def dropg(self, mp: M) -> None:
        G(self.mem, mp.curg).m = 0
        mp.curg = 0

    def globrunqput(self, gp: G) -> None:
        self.globrunqputbatch([gp.addr])

    def globrunqputhead(self, gp: G) -> None:
        q = self.sched.runq
        gp.schedlink = q.head
        q.head = gp.addr
        if not q.tail:
            q.tail = gp.addr
        self.sched.runqsize += 1

    def gopark(
        self, mp: M, frame: Frame, gate_name: str, reason: int, unlockf: Callable[[G], bool] | None = None
    ) -> Gobuf:
        """Park the calling goroutine inside a gate: mcall(park_m), with g.sched set so that the
        G, when readied and run again, enters the gate's resume entry (the code after gopark)
        with the caller's return address still on its stack."""
        return self.park_m(mp, self.save_resume(mp, frame, gate_name), reason, unlockf)

    def save_resume(self, mp: M, frame: Frame, gate_name: str) -> G:
        """mcall from inside a gate: g.sched enters the gate's resume entry (the code after the
        mcall) with the caller's return address still on the stack."""
        gp = self.curg(mp)
        sched = gp.sched
        sched.pc = self.syms.resume[gate_name]
        sched.sp = frame.sp
        sched.bp = frame.bp
        return gp

    def park_m(self, mp: M, gp: G, reason: int, unlockf: Callable[[G], bool] | None = None) -> Gobuf:
        if self.trace:
            self.trace.GoPark(mp, P(self.mem, mp.p), gp, reason)
        gp.atomicstatus = const._Gwaiting
        gp.waitreason = reason
        self.dropg(mp)
        if unlockf is not None and not unlockf(gp):
            gp.atomicstatus = const._Grunnable
            return self.execute(mp, gp, True)  # schedule it right back
        return self.schedule(mp)

    def goready(self, mp: M, gp: G) -> None:
        """ready(gp, next=true): the woken G goes to the current P's runnext; wake an idle P."""
        if gp.atomicstatus != const._Gwaiting:
            raise Throw("bad g->status in ready")
        gp.atomicstatus = const._Grunnable
        if self.trace:
            self.trace.GoUnpark(mp, P(self.mem, mp.p) if mp.p else None, gp)
        self.runqput(P(self.mem, mp.p), gp, True)
        self.wakep()

    def gosched_m(self, mp: M, gp: G) -> Gobuf:
        if self.trace:
            self.trace.GoSched(mp, P(self.mem, mp.p), gp)
        return self.goschedImpl(mp, gp)

    def goschedImpl(self, mp: M, gp: G) -> Gobuf:
        """The G goes to the tail of the global queue (not the local one)."""
        gp.atomicstatus = const._Grunnable
        self.dropg(mp)
        self.globrunqput(gp)
        return self.schedule(mp)

    def goexit0(self, mp: M, gp: G) -> Gobuf:
        if self.trace:  # goexit1's traceGoEnd
            self.trace.GoEnd(mp, P(self.mem, mp.p), gp)
        gp.atomicstatus = const._Gdead
        if self.is_system_goroutine(gp):
            self.sched.ngsys -= 1
        gp.m = 0
        gp.lockedm = 0  # a G exiting locked would take its thread with it (mexit): not modelled
        mp.lockedg = 0
        gp.preemptStop = gp.paniconfault = False
        gp._defer = gp._panic = 0
        gp.waitreason = 0
        gp.param = gp.labels = gp.timer = 0
        self.dropg(mp)
        if mp.lockedInt:
            raise Throw("internal lockOSThread error")
        self.gfput(P(self.mem, mp.p), gp)
        return self.schedule(mp)

    def execute(self, mp: M, gp: G, inherit_time: bool) -> Gobuf:
        mp.curg, gp.m = gp.addr, mp.addr
        gp.atomicstatus = const._Grunning
        gp.waitsince = 0
        gp.preempt = False
        gp.stackguard0 = gp.stack.lo + const._StackGuard
        pp = P(self.mem, mp.p)
        if not inherit_time:
            pp.schedtick += 1
        if self.trace:
            self.trace.GoStart(mp, pp, gp)
        return gp.sched

    # ---- Ms and Ps: idle lists, starting and stopping Ms -------------------------------------

    def nanotime(self) -> int:
        return self.now() if self.now is not None else self.clock

    def mainStarted(self) -> bool:
        return bool(self.syms.main_started and load(self.mem, self.syms.main_started, 1))

    def allocm(self, nextp: int) -> M:
        """A new M with a g0 of 16 KiB from the heap (as allocm on linux) and its CPU."""
        mp = self.new(M)
        g0 = self.malg(16 << 10)
        g0.sched.sp = g0.stack.hi
        g0.m, mp.g0 = mp.addr, g0.addr
        mp.nextp = nextp
        return mp

    def newm(self, spinning: bool, pp: P | None) -> M:
        """newm + newosproc: the thread starts in mstart, which acquires nextp and schedules."""
        mp = self.allocm(pp.addr if pp is not None else 0)
        self.mcommoninit(mp)
        self.newosproc(mp)

        def mstart1() -> Gobuf:
            if spinning:
                mp.spinning = True  # mspinning
            return self.schedule_nextp(mp)

        self.parked[mp.addr] = Park(mstart1, note=mp.addr_of("park"))
        self.notewakeup(mp.addr_of("park"))  # the new thread runs at once
        return mp

    def lock(self, mp: M, mutex: int) -> None:
        """lock(&l) (lock_futex.go): take it, or sleep until it is free; the M then resumes at
        the instruction it stopped at, a gate, whose call takes the lock again."""
        if load(self.mem, mutex, 8) != 0:
            self.block(mp, Park(lambda: None, lock=mutex))
        store(self.mem, mutex, 8, 1)  # mutex_locked

    def unlock(self, mutex: int) -> None:
        store(self.mem, mutex, 8, 0)

    def notewakeup(self, note: int) -> None:
        store(self.mem, note, 8, 1)

    def mPark(self, mp: M, resume: Callable[[], Gobuf]) -> NoReturn:
        """notesleep(&m.park): the M's CPU stops; resume runs when another M wakes it."""
        self.block(mp, Park(resume, note=mp.addr_of("park")))

    def block(self, mp: M, park: Park) -> NoReturn:
        """The M sleeps from inside the runtime: Blocked unwinds to the emulator."""
        self.sleep(mp, park)
        raise Blocked(mp, park)

    def sleep(self, mp: M, park: Park) -> None:
        """The M sleeps: its CPU must stop now and stays stopped until the wait is over."""
        self.parked[mp.addr] = park

    def mput(self, mp: M) -> None:
        mp.schedlink = self.sched.midle
        self.sched.midle = mp.addr
        self.sched.nmidle += 1
        self.checkdead()

    def mget(self) -> M | None:
        if not self.sched.midle:
            return None
        mp = M(self.mem, self.sched.midle)
        self.sched.midle = mp.schedlink
        self.sched.nmidle -= 1
        return mp

    def stopm(self, mp: M) -> NoReturn:
        """Put the M on the idle list and sleep until startm hands it a P (in nextp); it then
        runs schedule() again."""
        if mp.p:
            raise Throw("stopm holding p")
        if mp.spinning:
            raise Throw("stopm spinning")
        self.mput(mp)

        self.mPark(mp, lambda: self.schedule_nextp(mp))

    def acquire_nextp(self, mp: M) -> None:
        """Take the P another M handed over in m.nextp (after notewakeup, or at thread start)."""
        self.acquirep(mp, P(self.mem, mp.nextp))
        mp.nextp = 0

    def schedule_nextp(self, mp: M) -> Gobuf:
        """An M woken with a P, or a new one: acquire it and look for work (goto top)."""
        self.acquire_nextp(mp)
        return self.schedule(mp)

    def startm(self, pp: P | None, spinning: bool) -> None:
        """Run pp (or an idle P) on an idle M, or on a new one."""
        if pp is None:
            pp = self.pidleget()
            if pp is None:
                if spinning:
                    self.sched.nmspinning -= 1
                return
        nmp = self.mget()
        if nmp is None:
            self.newm(spinning, pp)
            return
        if nmp.spinning:
            raise Throw("startm: m is spinning")
        if nmp.nextp:
            raise Throw("startm: m has p")
        if spinning and not self.runqempty(pp):
            raise Throw("startm: p has runnable gs")
        nmp.spinning = spinning
        nmp.nextp = pp.addr
        self.notewakeup(nmp.addr_of("park"))

    def wakep(self) -> None:
        """Start a spinning M for an idle P, unless one spins already."""
        if self.sched.npidle == 0 or self.sched.nmspinning != 0:
            return
        self.sched.nmspinning = 1
        self.startm(None, True)

    def handoffp(self, pp: P) -> None:
        """A P released by a blocking M: start an M for it if there is work, else make it idle."""
        if not self.runqempty(pp) or self.sched.runqsize:
            self.startm(pp, False)
            return
        if self.sched.nmspinning + self.sched.npidle == 0:
            self.sched.nmspinning = 1
            self.startm(pp, True)
            return
        if self.sched.npidle == self.gomaxprocs - 1 and self.sched.lastpoll:
            self.startm(pp, False)  # the last running P, and nobody polls: an M must wait for timers
            return
        when = time.nobarrierWakeTime(pp)
        self.pidleput(pp)
        if when:
            time.wakeNetPoller(self, when)

    def stoplockedm(self, mp: M) -> None:
        """The M's locked G blocked: give the P away and sleep until the G is runnable again."""
        lockedg = G(self.mem, mp.lockedg)
        if lockedg.lockedm != mp.addr:
            raise Throw("stoplockedm: inconsistent locking")
        if mp.p:
            self.handoffp(P(self.mem, self.releasep(mp)))
        self.incidlelocked(1)

        def resume() -> Gobuf:
            if G(self.mem, mp.lockedg).atomicstatus != const._Grunnable:
                raise Throw("stoplockedm: not runnable")
            self.acquire_nextp(mp)
            return self.execute(mp, G(self.mem, mp.lockedg), False)

        self.mPark(mp, resume)

    def startlockedm(self, mp: M, gp: G) -> NoReturn:
        """Hand the current P to gp's locked M and wake it; this M goes idle."""
        lm = M(self.mem, gp.lockedm)
        if lm.addr == mp.addr:
            raise Throw("startlockedm: locked to me")
        if lm.nextp:
            raise Throw("startlockedm: m has p")
        self.incidlelocked(-1)
        lm.nextp = self.releasep(mp)
        self.notewakeup(lm.addr_of("park"))
        self.stopm(mp)

    def incidlelocked(self, v: int) -> None:
        self.sched.nmidlelocked += v
        if v > 0:
            self.checkdead()

    def checkdead(self) -> None:
        """No M running: a deadlock unless a timer will fire (an M then waits in netpoll)."""
        run = self.sched.mnext - self.sched.nmfreed - self.sched.nmidle - self.sched.nmidlelocked - self.sched.nmsys
        if run > 0:
            return
        if run < 0:
            raise Throw("checkdead: inconsistent counts")
        if self.frozen_aside:  # goemu debug: not dead, the frozen Gs run once thawed
            return
        grunning = 0
        for gp in (G(self.mem, a) for a in self.allgs):
            if self.is_system_goroutine(gp):
                continue
            s = gp.atomicstatus & ~const._Gscan
            if s in (const._Gwaiting, const._Gpreempted):
                grunning += 1
            elif s in (const._Grunnable, const._Grunning, const._Gsyscall):
                raise Throw("checkdead: runnable g")
        if grunning == 0:
            raise Throw("no goroutines (main called runtime.Goexit) - deadlock!")
        if any(pp.numTimers for pp in self.allp):
            return
        raise Deadlock()

    def thaw(self, gp: G) -> None:
        """goemu debug's thaw: a G set aside while frozen goes to the global queue, and an idle P
        gets an M to run it."""
        self.frozen.discard(gp.addr)
        if gp.addr in self.frozen_aside:
            self.frozen_aside.remove(gp.addr)
            self.globrunqput(gp)
            if self.sched.npidle:
                self.wakep()

    def acquirep(self, mp: M, pp: P) -> None:
        """wirep: associate pp with the M."""
        if mp.p:
            raise Throw("wirep: already in go")
        if pp.m or pp.status != const._Pidle:
            raise Throw("wirep: invalid p state")
        mp.p, pp.m = pp.addr, mp.addr
        pp.status = const._Prunning
        if self.trace:
            self.trace.ProcStart(mp, pp)

    def releasep(self, mp: M) -> int:
        pp = P(self.mem, mp.p)
        if pp.m != mp.addr or pp.status != const._Prunning:
            raise Throw("releasep: invalid p state")
        if self.trace:
            self.trace.ProcStop(mp, pp)
        mp.p = 0
        pp.m = 0
        pp.status = const._Pidle
        return pp.addr

    def pidleput(self, pp: P) -> None:
        """Put pp on the idle P list (LIFO through p.link)."""
        if not self.runqempty(pp):
            raise Throw("pidleput: P has non-empty run queue")
        if pp.numTimers == 0:
            self.timerp_mask &= ~(1 << pp.id)  # updateTimerPMask
        self.idlep_mask |= 1 << pp.id
        pp.link = self.sched.pidle
        self.sched.pidle = pp.addr
        self.sched.npidle += 1

    def pidleget(self) -> P | None:
        if not self.sched.pidle:
            return None
        pp = P(self.mem, self.sched.pidle)
        self.timerp_mask |= 1 << pp.id
        self.idlep_mask &= ~(1 << pp.id)
        self.sched.pidle = pp.link
        self.sched.npidle -= 1
        return pp

    def woken(self, mp: M) -> bool:
        """Is the M asleep with its wait over (note posted, netpoll deadline reached or broken)?"""
        park = self.parked.get(mp.addr)
        return park is not None and self._over(park)

    def _over(self, park: Park) -> bool:
        if park.note:
            return load(self.mem, park.note, 8) != 0
        if park.lock:
            return load(self.mem, park.lock, 8) == 0
        return self.nanotime() >= park.until or (park.poll and self.netpoll_break)

    def several_awake(self) -> bool:
        """Do more than one M run or are about to (woken, not yet running again)? Asked at every
        runtime call: the sleeping Ms' waits are looked at only when the running ones are few."""
        missing = 2 - (len(self.allm) - len(self.parked))
        for park in self.parked.values():
            if missing <= 0:
                break
            if self._over(park):
                missing -= 1
        return missing <= 0

    def wake(self, mp: M) -> Gobuf | None:
        """Run a woken M up to the G it executes (its gobuf), or None to continue its CPU where it
        stopped. Raises Blocked when it goes back to sleep."""
        park = self.parked.pop(mp.addr)
        if park.note:
            store(self.mem, park.note, 8, 0)  # noteclear after notesleep
        elif park.poll:
            self.netpoll_break = False
        return park.resume()

    def next_deadline(self) -> int:
        """The earliest time a sleeping M waits for (0: none): where the clock jumps when every M
        sleeps."""
        return min((p.until for p in self.parked.values() if p.until), default=0)

def splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def gostartcallfn(buf: Gobuf, fn: Funcval) -> None:
    """Adjust buf as if the function executed a call to fn and then stopped before its first
    instruction: push buf.pc (goexit+1) as the return address, start at fn.fn, ctxt = fn."""
    sp = buf.sp - PTR_SIZE
    store(buf.mem, sp, PTR_SIZE, buf.pc)
    buf.sp = sp
    buf.pc = fn.fn
    buf.ctxt = fn.addr


# ---- the runtime's Go API, entered through gates ----------------------------------------------


@gate("runtime.startSysmon")
def startSysmon(rt: Runtime, mp: M, frame: Frame) -> None:
    """runtime.main's `systemstack(func() { newm(sysmon, nil, -1) })`: sysmon starts its loop."""
    sysmon.start(rt)


@gate("runtime.badmcall")
def badmcall(rt: Runtime, mp: M, frame: Frame) -> None:
    raise Throw("runtime: mcall called on m->g0 stack")


@gate("runtime.badmcall2")
def badmcall2(rt: Runtime, mp: M, frame: Frame) -> None:
    raise Throw("runtime: mcall function returned")


@gate("runtime.badsystemstack")
def badsystemstack(rt: Runtime, mp: M, frame: Frame) -> None:
    rt.write(2, b"fatal: systemstack called from unexpected goroutine")


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
    readied (the runtime's own goroutines pass no lock: nothing to unlock)."""
    return rt.gopark(mp, frame, "runtime.goparkunlock", frame.u64(8) & 0xFF)


@gate("runtime.NumGoroutine", args=8)
def NumGoroutine(rt: Runtime, mp: M, frame: Frame) -> None:
    """gcount(): the goroutines alive."""
    frame.set_u64(0, rt.gcount())


@gate("runtime.mallocgc", args=32)
def mallocgc(rt: Runtime, mp: M, frame: Frame) -> None:
    """mallocgc(size uintptr, typ *_type, needzero bool) unsafe.Pointer: memory from the arena,
    always zeroed (fresh pages); never freed, as goemu has no garbage collector."""
    size = frame.u64(0)
    if size == 0:
        frame.set_u64(24, rt.zerobase)
        return
    align = 8 if size >= 8 else 1 << (size - 1).bit_length()
    frame.set_u64(24, rt.arena.alloc(size, align))  # OutOfMemory: the emulator's fatal error


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


MAX_GOMAXPROCS = 256  # _MaxGomaxprocs: goemu's limit on Ps (Go's own is memory)


@gate("runtime.GOMAXPROCS", args=16)
def GOMAXPROCS(rt: Runtime, mp: M, frame: Frame) -> None:
    """GOMAXPROCS(n int) int: the previous setting; n > 0 changes the number of Ps with the
    world stopped (procresize)."""
    n, ret = frame.i64(0), rt.gomaxprocs
    frame.set_u64(8, ret)
    if n <= 0 or n == ret:
        return
    if n > MAX_GOMAXPROCS:
        raise Throw(f"goemu: GOMAXPROCS({n}): at most {MAX_GOMAXPROCS} Ps are supported")
    rt.stopTheWorld(mp)
    rt.startTheWorld(mp, n)


@gate("runtime.entersyscall")
def entersyscall(rt: Runtime, mp: M, frame: Frame) -> None:
    """The G enters a system call: _Gsyscall, its P left in _Psyscall without an M (sysmon's
    retake hands it to another M if the call blocks); stack growth is refused meanwhile
    (stackPreempt, throwsplit)."""
    gp = rt.curg(mp)
    pc, sp = frame.return_pc, frame.sp + 8  # the caller's (getcallerpc, getcallersp)
    gp.stackguard0 = const.stackPreempt
    gp.throwsplit = True
    gp.sched.pc, gp.sched.sp, gp.sched.lr, gp.sched.ret = pc, sp, 0, 0  # save
    gp.syscallsp, gp.syscallpc = sp, pc
    gp.atomicstatus = const._Gsyscall
    sysmon.wake_deep_sleep(rt)  # entersyscall_sysmon
    pp = P(rt.mem, mp.p)
    if rt.trace:
        rt.trace.GoSysCall(mp, pp, gp)
    mp.syscalltick = pp.syscalltick
    pp.m = 0
    mp.oldp, mp.p = pp.addr, 0
    pp.status = const._Psyscall


def _exitsyscall_done(rt: Runtime, mp: M, frame: Frame) -> None:
    """exitsyscall after the scheduler let the G run again (mcall(exitsyscall0) returned)."""
    gp = rt.curg(mp)
    gp.syscallsp = 0
    P(rt.mem, mp.p).syscalltick += 1
    gp.throwsplit = False


@gate("runtime.exitsyscall", resume=_exitsyscall_done)
def exitsyscall(rt: Runtime, mp: M, frame: Frame) -> Gobuf | None:
    """Back from the system call: on the old P if it is still ours, else an idle one, else the G
    waits in the global queue (exitsyscall0) and the M goes idle."""
    gp = rt.curg(mp)
    gp.waitsince = 0
    oldp = P(rt.mem, mp.oldp) if mp.oldp else None
    mp.oldp = 0
    if exitsyscallfast(rt, mp, oldp):
        P(rt.mem, mp.p).syscalltick += 1
        gp.atomicstatus = const._Grunning
        gp.syscallsp = 0
        gp.stackguard0 = const.stackPreempt if gp.preempt else gp.stack.lo + const._StackGuard
        gp.throwsplit = False
        if rt.trace and gp.goid in rt.trace.sysblocked:  # its P was taken: it starts anew
            rt.trace.GoStart(mp, P(rt.mem, mp.p), gp)
        return None
    return exitsyscall0(rt, mp, rt.save_resume(mp, frame, "runtime.exitsyscall"))


def exitsyscallfast(rt: Runtime, mp: M, oldp: P | None) -> bool:
    if oldp is not None and oldp.status == const._Psyscall:
        oldp.status = const._Pidle
        rt.acquirep(mp, oldp)
        if mp.syscalltick != oldp.syscalltick:
            oldp.syscalltick += 1  # exitsyscallfast_reacquired: the P was used meanwhile
        return True
    if rt.sched.pidle:
        pp = rt.pidleget()  # exitsyscallfast_pidle
        if pp is not None:
            sysmon.wake_deep_sleep(rt)
            rt.acquirep(mp, pp)
            return True
    return False


def exitsyscall0(rt: Runtime, mp: M, gp: G) -> Gobuf:
    gp.atomicstatus = const._Grunnable
    rt.dropg(mp)
    pp = rt.pidleget()
    if pp is not None:
        sysmon.wake_deep_sleep(rt)
        rt.acquirep(mp, pp)
        return rt.execute(mp, gp, False)
    rt.globrunqput(gp)
    if gp.lockedm:
        rt.stoplockedm(mp)  # raises Blocked: the M waits to run gp again
    rt.stopm(mp)
