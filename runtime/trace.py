"""The execution tracer, after Go 1.19's runtime/trace.go: the scheduler calls these functions where
proc.go calls traceGoCreate, traceGoStart, traceGoPark..., and each records an Event named after
Go's traceEv (GoCreate, GoStart, GoPark...). goemu adds events Go does not trace (Steal, StackGrow,
PreemptRequest) and says whether a preemption was synchronous or asynchronous.

Timestamps are the run's virtual clock (the clock nanotime reads). The Ms run in rounds (emu/run.py):
an event happens `offset` instructions into its CPU's part of the round, exactly (the emulator
counts instructions while tracing), and is stamped when the round ends, at round start + offset.
A round the clock counts as shorter than the instructions its CPUs ran (slices that all ended at
runtime calls) has its offsets scaled down to fit. Stamping keeps causality: an event is never
earlier than the last event of its M, its P or its goroutine (Lamport clocks), so a P's slices
never overlap and a readied G starts after it was readied; an event that has to wait delays the
rest of its M's round by as much (the M could not have got there sooner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .layout import G, M, P, waitReasonStrings

Key = tuple[str, int]  # ("m", M id), ("p", P id) or ("g", goid): what an event orders against


@dataclass(slots=True)
class Event:
    type: str  # Go's event name without traceEv: GoCreate, GoStart, GoPark, ...
    p: int  # the P's id; -1: none (sysmon, or an M without a P)
    g: int  # the goid the event is about (GoCreate, GoUnblock: the new or readied G)
    args: dict[str, object]
    runqsize: int  # sched.runqsize right after the event
    m: int = -1  # the M (id) whose CPU it happened on; -1: between rounds (sysmon)
    offset: int = 0  # instructions into the CPU's part of the round
    keys: tuple[Key, ...] = ()
    ts: int = 0  # virtual ns, once stamped


@dataclass
class Trace:
    """Recording, on for `goemu run --trace` and `--stats`; consumers see each event once stamped,
    in the order the events happened."""

    goname: Callable[[int], str]  # a goroutine's start function, by its startpc
    runqsize: Callable[[], int]
    insns: Callable[[M], int] = lambda mp: 0  # instructions the M's CPU ran so far in this round
    consumers: list[Callable[[Event], None]] = field(default_factory=list)
    pending: list[Event] = field(default_factory=list)
    last: dict[Key, int] = field(default_factory=dict)
    origin: dict[int, int] = field(default_factory=dict)  # M id -> the time its round's offset 0 is at
    sysblocked: set[int] = field(default_factory=set)  # goids whose P sysmon took in a syscall

    def _emit(self, type_: str, mp: M | None, pp: P | None, g: int, keys: tuple[Key, ...] = (), **args: object) -> None:
        m = mp.id if mp is not None else -1
        p = pp.id if pp is not None else -1
        keys += ((("m", m),) if m >= 0 else ()) + ((("p", p),) if p >= 0 else ()) + ((("g", g),) if g else ())
        offset = self.insns(mp) if mp is not None else 0
        self.pending.append(Event(type_, p, g, args, self.runqsize(), m, offset, keys))

    def stamp(self, start: int, duration: int, longest: int) -> None:
        """The round that began at `start` lasted `duration` ns on the clock, and its busiest CPU
        ran `longest` instructions: time-stamp its events and hand them to the consumers."""
        origin = self.origin
        origin.clear()
        for ev in self.pending:
            offset = ev.offset if longest <= duration else ev.offset * duration // longest
            if ev.m not in origin:
                origin[ev.m] = max(start, self.last.get(("m", ev.m), 0))  # busy until its last event
            ts = max([origin[ev.m] + offset, *(self.last.get(k, 0) for k in ev.keys)])
            if ev.m >= 0:
                origin[ev.m] = ts - offset
            for k in ev.keys:
                self.last[k] = ts
            ev.ts = ts
            for consume in self.consumers:
                consume(ev)
        self.pending.clear()

    # ---- the events, named after Go's trace functions ------------------------------------------

    def ProcStart(self, mp: M, pp: P) -> None:
        self._emit("ProcStart", mp, pp, 0)

    def ProcStop(self, mp: M | None, pp: P) -> None:
        self._emit("ProcStop", mp, pp, 0)

    def GoCreate(self, mp: M | None, pp: P, newg: G, system: bool) -> None:
        """system: isSystemGoroutine(newg), as the runtime knows it."""
        self._emit("GoCreate", mp, pp, newg.goid, creator=_curgoid(mp), function=self.goname(newg.startpc), system=system)

    def GoStart(self, mp: M, pp: P, gp: G) -> None:
        if gp.goid in self.sysblocked:  # execute's traceGoSysExit for a G whose P was taken
            self.GoSysExit(mp, pp, gp)
        self._emit("GoStart", mp, pp, gp.goid, function=self.goname(gp.startpc))

    def GoEnd(self, mp: M, pp: P, gp: G) -> None:
        self._emit("GoEnd", mp, pp, gp.goid)

    def GoSched(self, mp: M, pp: P, gp: G) -> None:
        self._emit("GoSched", mp, pp, gp.goid)

    def GoPreempt(self, mp: M, pp: P, gp: G, kind: str) -> None:
        """kind: "async" (SIGURG), "sync" (the prologue's stack check) or "yield" (goyield_m)."""
        self._emit("GoPreempt", mp, pp, gp.goid, kind=kind)

    def GoPark(self, mp: M, pp: P, gp: G, reason: int) -> None:
        self._emit("GoPark", mp, pp, gp.goid, reason=waitReasonStrings[reason] if 0 <= reason < len(waitReasonStrings) else str(reason))

    def GoUnpark(self, mp: M, pp: P | None, gp: G) -> None:
        """traceGoUnpark: the GoUnblock event."""
        self._emit("GoUnblock", mp, pp, gp.goid, readier=_curgoid(mp))

    def GoSysCall(self, mp: M, pp: P, gp: G) -> None:
        self._emit("GoSysCall", mp, pp, gp.goid)

    def GoSysBlock(self, pp: P, gp: G) -> None:
        """sysmon took the P of gp, blocked in a system call (retake)."""
        self.sysblocked.add(gp.goid)
        self._emit("GoSysBlock", None, pp, gp.goid)

    def GoSysExit(self, mp: M, pp: P | None, gp: G) -> None:
        if gp.goid in self.sysblocked:
            self.sysblocked.discard(gp.goid)
            self._emit("GoSysExit", mp, pp, gp.goid)

    def Steal(self, mp: M, pp: P, victim: P, n: int) -> None:
        self._emit("Steal", mp, pp, 0, (("p", victim.id),), victim=victim.id, n=n)

    def StackGrow(self, mp: M, pp: P | None, gp: G, old: int, new: int) -> None:
        self._emit("StackGrow", mp, pp, gp.goid, old=old, new=new)

    def PreemptRequest(self, pp: P, gp: G) -> None:
        """sysmon's preemptone asked gp, running on pp too long, to stop."""
        self._emit("PreemptRequest", None, pp, gp.goid)


def _curgoid(mp: M | None) -> int:
    return G(mp.mem, mp.curg).goid if mp is not None and mp.curg else 0
