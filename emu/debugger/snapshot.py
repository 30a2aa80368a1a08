"""Snapshots of a running process: every CPU's registers, the guest memory in use, and the Python
state of the runtime and the emulator, so that the debugger can go back to an earlier instruction
and, the run being deterministic, replay forward from there to any later one exactly.

Guest memory is copied where the program can have written it: the writable sections of the image,
m0's g0 stack, the TLS block of each CPU, and the two halves of the heap arena up to their
allocators' high-water marks (nothing is ever allocated above them; a program that writes past
what the runtime gave it, into memory no one allocated, is not undone).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ..machine import TLS_BLOCK
from ..memory import TLS_BASE
from ..run import Process, _install_hooks

WRITABLE_SECTIONS = ("noptrdata", "data", "bss", "noptrbss", "g0stack")
CHUNK = 16 << 10  # the unit of memory shared between successive snapshots


@dataclass
class Snapshot:
    counted: int  # the position: instructions run since boot
    contexts: list[Any]  # each CPU's Unicorn context (its registers)
    extents: list[tuple[int, int]]  # (address, length) of the memory in use
    pages: dict[int, bytes]  # its bytes, a chunk of up to CHUNK per address; unchanged ones shared
    runtime: dict[str, Any]  # the Runtime's fields (deep copies; views and callables shared)
    process: dict[str, Any]  # the Process's own state (round, status, counts)
    extra: Any = None  # the debugger's own state at this point
    pinned: bool = False  # kept when snapshots are thinned (boot, checkpoints, interventions)
    label: str = ""
    size: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.size = sum(len(b) for b in self.pages.values())


_PROCESS_FIELDS = ("status", "fault", "trap", "executed", "stopped_early", "round", "counted", "break_request")


def _shared(proc: Process) -> dict[int, Any]:
    """Objects a copy of the state refers to as they are: the machine, the image, the streams."""
    rt = proc.runtime
    keep = (proc, rt, rt.mem, rt.syms, proc.machine, proc.machine.image, proc.stdout, proc.stderr)
    return {id(o): o for o in keep}


def _extents(proc: Process) -> list[tuple[int, int]]:
    rt, space = proc.runtime, proc.machine.space
    out = [(r.base, r.size) for r in space.regions if r.name in WRITABLE_SECTIONS]
    out.append((TLS_BASE, len(proc.machine.cpus) * TLS_BLOCK))
    for arena in (rt.arena, rt.stacks):
        out.append((arena.base, arena.next - arena.base))
    return [(a, n) for a, n in out if n > 0]


def take(proc: Process, extra: Any = None, base: Snapshot | None = None) -> Snapshot:
    """The process's state now; chunks of memory equal to base's are base's own bytes objects, so
    a series of snapshots costs little more memory than what changed between them."""
    space = proc.machine.space
    extents = _extents(proc)
    old = base.pages if base is not None else {}
    pages: dict[int, bytes] = {}
    for addr, n in extents:
        view, off = space.locate(addr, n)
        for at in range(0, n, CHUNK):
            chunk = bytes(view[off + at : off + min(n, at + CHUNK)])
            prev = old.get(addr + at)
            pages[addr + at] = prev if prev == chunk else chunk
    memo = _shared(proc)
    cpus = proc.machine.cpus
    return Snapshot(
        counted=proc.counted,
        contexts=[c.uc.context_save() for c in cpus],
        extents=extents,
        pages=pages,
        runtime=copy.deepcopy(dict(vars(proc.runtime)), memo),
        process=copy.deepcopy({k: getattr(proc, k) for k in _PROCESS_FIELDS}, memo),
        extra=copy.deepcopy(extra, memo),
    )


def restore(proc: Process, snap: Snapshot) -> Any:
    """Put the process back in the snapshot's state; returns (a copy of) the debugger's state."""
    machine, rt = proc.machine, proc.runtime
    _zero_above(proc, snap)
    space = machine.space
    for addr, data in snap.pages.items():
        view, off = space.locate(addr, len(data))
        view[off : off + len(data)] = data
    del machine.cpus[len(snap.contexts) :]
    while len(machine.cpus) < len(snap.contexts):  # a later snapshot than the present: more Ms
        _install_hooks(proc, machine.add_cpu())
    for cpu, ctx in zip(machine.cpus, snap.contexts, strict=True):
        cpu.uc.context_restore(ctx)
    memo = _shared(proc)
    vars(rt).update(copy.deepcopy(snap.runtime, memo))
    for k, v in copy.deepcopy(snap.process, memo).items():
        setattr(proc, k, v)
    return copy.deepcopy(snap.extra, memo)


def _zero_above(proc: Process, snap: Snapshot) -> None:
    """Clear what was allocated (or TLS used) after the snapshot: it was zero then."""
    space = proc.machine.space
    then = dict(snap.extents)
    for addr, n in _extents(proc):
        old = then.get(addr, 0)
        if n > old:
            view, off = space.locate(addr + old, n - old)
            view[off : off + n - old] = bytes(n - old)
