"""Goroutine switches as the debugger sees them. A switch is an M at the entry of the assembled
runtime·gogo with a gobuf of another goroutine than the one its TLS g still names: the gate that
ran the scheduler (park_m, gosched_m, ...) left TLS alone and moved SP to g0's stack, and gogo is
about to load the new goroutine. The M's g0 in TLS means it was idle (stopm, a new M)."""

from __future__ import annotations

from dataclasses import dataclass

from runtime.layout import G, Gobuf, const
from runtime.memory import load

from .. import traceback
from ..run import Process

# What a switch away from a runnable goroutine was, by the runtime call its M made last.
CAUSES = {
    "runtime.Gosched": "Gosched (gosched_m)",
    "runtime.asyncPreempt2": "preempted (gopreempt_m)",
    "runtime.newstack": "preempted (gopreempt_m)",
    "runtime.goexit1": "goexit (goexit0)",
    "runtime.Goexit": "goexit (goexit0)",
    "runtime.exitsyscall": "exitsyscall (exitsyscall0)",
}


@dataclass(frozen=True)
class Switch:
    cpu: int
    old: int  # the goroutine leaving (its g's address); 0: the M was idle
    new: int  # the goroutine gogo enters


def tls_g(proc: Process, index: int) -> int:
    machine = proc.machine
    return load(machine.space, machine.g_slot(machine.cpus[index]), 8)


def running_g(proc: Process, index: int) -> int:
    """The goroutine the CPU runs for: TLS g, or m.curg while the M is on g0."""
    g = tls_g(proc, index)
    mp = proc.runtime.allm[index]
    return mp.curg if g == mp.g0 and mp.curg else g


def at_gogo(proc: Process, index: int) -> Switch | None:
    """The switch a CPU standing at gogo's entry is making, or None (the same goroutine again:
    newstack, a Gosched with nothing else to run)."""
    space = proc.machine.space
    buf = Gobuf(space, load(space, proc.machine.cpus[index].reg("rsp") + 8, 8))
    old, new = tls_g(proc, index), buf.g
    if old == new:
        return None
    return Switch(index, 0 if old == proc.runtime.allm[index].g0 else old, new)


def parking(proc: Process, sw: Switch, reason: str) -> bool:
    """Whether the goroutine leaving parks with the wait reason `reason` (Go's words for it)."""
    if not sw.old:
        return False
    g = G(proc.machine.space, sw.old)
    return g.atomicstatus & ~const._Gscan == const._Gwaiting and traceback.status(g).removesuffix(" (scan)") == reason


def describe(proc: Process, sw: Switch, last_call: dict[int, str]) -> str:
    """`g3 -> g5 on M0: chan receive (park_m)`: the cause is the leaving goroutine's state, or for
    a runnable one the runtime call its M made (CAUSES)."""
    space = proc.machine.space
    mp = proc.runtime.allm[sw.cpu]
    new = G(space, sw.new).goid
    if not sw.old:
        return f"idle -> g{new} on M{mp.id}: schedule"
    g = G(space, sw.old)
    status = g.atomicstatus
    if status == const._Gwaiting:
        cause = f"{traceback.status(g)} (park_m)"
    elif status == const._Gpreempted:
        cause = "preempted (preemptPark)"
    elif status == const._Gdead:
        cause = "goexit (goexit0)"
    else:
        cause = CAUSES.get(last_call.get(mp.id, ""), "schedule")
    return f"g{g.goid} -> g{new} on M{mp.id}: {cause}"
