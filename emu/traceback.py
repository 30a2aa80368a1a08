"""Goroutine tracebacks in Go's format: `goroutine N [status]:`, frames, `created by`.

goemu prints the frame that called into the runtime (the innermost program frame) and, for
goroutines other than main, where they were created; walking further frames through the
frame-pointer chain comes with stack growth.
"""

from __future__ import annotations

from asm.link import Image
from runtime.layout import G, const
from runtime.memory import Memory, load

WAIT_REASONS = (
    "", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)", "dumping heap",
    "garbage collection", "garbage collection scan", "panicwait", "select", "select (no cases)",
    "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive", "chan send", "finalizer wait",
    "force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait", "timer goroutine (idle)",
    "trace reader (blocked)", "wait for GC cycle", "GC worker (idle)", "preempted", "debug call",
)  # fmt: skip
STATUS = {const._Grunnable: "runnable", const._Grunning: "running", const._Gsyscall: "syscall"}


def status(g: G) -> str:
    if g.atomicstatus == const._Gwaiting:
        return WAIT_REASONS[g.waitreason] if g.waitreason < len(WAIT_REASONS) else "waiting"
    return STATUS.get(g.atomicstatus, "unknown")


def _where(image: Image, pc: int, return_pc: bool) -> tuple[str, str] | None:
    """The function holding pc and `\tfile:LINE +0xOFF`; a return address is looked up at pc-1
    (the call), as Go does. None for a pc outside every function (a call through a nil func)."""
    at = pc - 1 if return_pc else pc
    sym = image.symbol_at(at)
    if sym is None:
        return None
    file, line = image.line_at(at) or ("?", 0)
    return sym.name, f"\t{file}:{line} +{pc - sym.addr:#x}"


def frame_lines(image: Image, pc: int, return_pc: bool) -> list[str]:
    """`main.f()` and its location, or nothing for a pc outside every function."""
    where = _where(image, pc, return_pc)
    return [f"{where[0]}()", where[1]] if where else []


def created_by(image: Image, gopc: int) -> list[str]:
    """`created by main.f` and the location of its go statement (gopc is newproc's return pc)."""
    where = _where(image, gopc, return_pc=True) if gopc else None
    return [f"created by {where[0]}", where[1]] if where else []


def goroutine(image: Image, mem: Memory, g: G, pc: int | None = None, return_pc: bool = True) -> list[str]:
    """The traceback of g: at pc (where it faulted, or its caller's return address at a runtime
    call), or from g.sched for a parked G."""
    if pc is None:
        pc = load(mem, g.sched.sp, 8)  # a parked G keeps its caller's return address
    return [f"goroutine {g.goid} [{status(g)}]:", *frame_lines(image, pc, return_pc), *created_by(image, g.gopc)]
