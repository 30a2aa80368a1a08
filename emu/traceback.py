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


def frame_lines(image: Image, pc: int, return_pc: bool) -> list[str]:
    """`main.f()` and `\\tfile:LINE +0xOFF`; a return address is looked up at pc-1, as Go does.
    A pc outside every function (a call through a nil func) prints no frame."""
    sym = image.symbol_at(pc - 1 if return_pc else pc)
    if sym is None:
        return []
    file, line = image.line_at(pc - 1 if return_pc and pc > sym.addr else pc) or ("?", 0)
    return [f"{sym.name}()", f"\t{file}:{line} +{pc - sym.addr:#x}"]


def created_by(image: Image, gopc: int) -> list[str]:
    if not gopc:
        return []
    sym = image.symbol_at(gopc - 1)
    if sym is None:
        return []
    file, line = image.line_at(gopc - 1) or ("?", 0)
    return [f"created by {sym.name}", f"\t{file}:{line} +{gopc - sym.addr:#x}"]


def goroutine(image: Image, mem: Memory, g: G, pc: int | None = None, return_pc: bool = True) -> list[str]:
    """The traceback of g: at pc (where it faulted, or its caller's return address at a runtime
    call), or from g.sched for a parked G."""
    if pc is None:
        pc = load(mem, g.sched.sp, 8)  # a parked G keeps its caller's return address
    return [f"goroutine {g.goid} [{status(g)}]:", *frame_lines(image, pc, return_pc), *created_by(image, g.gopc)]
