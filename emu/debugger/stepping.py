"""Stepping over calls, by source line and out of a function: loops of the engine's exact steps
that follow one goroutine, whichever M runs it. Frames are told apart by their depth below the
goroutine's stack top (of their CFA, the SP above the return address), which copystack keeps when
it moves a stack."""

from __future__ import annotations

from runtime.layout import G

from .. import traceback
from . import context
from .engine import DebugError, Engine, Event


def depth(engine: Engine, g: int, sp: int) -> int:
    return G(engine.proc.machine.space, g).stack.hi - sp


def frames(engine: Engine, index: int, limit: int) -> list[tuple[object, traceback.Cursor]]:
    """The innermost frames of the goroutine the CPU runs, from its live registers."""
    space, cpu = engine.proc.machine.space, engine.cpu(index)
    g = G(space, engine.running_g(index))
    at = traceback.Cursor(cpu.reg("rip"), cpu.reg("rsp"), cpu.reg("rbp"), trap=True)
    return list(traceback.walk(engine.image, space, g, at, limit))


def frame_depth(engine: Engine, index: int) -> int | None:
    """The depth of the frame the CPU is in; None for the outermost (no caller)."""
    found = frames(engine, index, 2)
    return depth(engine, engine.running_g(index), found[1][1].sp) if len(found) > 1 else None


def call_return(engine: Engine, index: int) -> int | None:
    """The return address if the CPU is at a CALL, else None."""
    pc = engine.cpu(index).reg("rip")
    here = list(context.instructions(engine, pc, pc + 32))[:2]
    return here[1][0] if len(here) == 2 and here[0][1].startswith("CALL") else None


def run_to_return(engine: Engine, g: int, ret: int, sp: int) -> Event:
    """Run until goroutine g is back at ret with SP at or above sp."""
    limit = depth(engine, g, sp)

    def until(i: int, pc: int) -> bool:
        return pc == ret and engine.running_g(i) == g and depth(engine, g, engine.cpu(i).reg("rsp")) <= limit

    return engine.forward(until)


def nexti(engine: Engine, index: int, g: int) -> Event:
    """One instruction of the M, a CALL run to its return (by goroutine g)."""
    ret = call_return(engine, index)
    if ret is None:
        return engine.stepi(index)
    return run_to_return(engine, g, ret, engine.cpu(index).reg("rsp"))


def line_step(engine: Engine, index: int, g: int, over: bool) -> Event:
    """To goroutine g's next line of the program: in a function it calls (step), or in this frame
    or a caller's (next). Calls into the runtime run to their return either way."""
    functab = engine.proc.runtime.syms.functab
    start_line = engine.image.line_at(engine.cpu(index).reg("rip"))
    start = frame_depth(engine, index)
    while True:
        ret = call_return(engine, index)
        sp = engine.cpu(index).reg("rsp")
        event = run_to_return(engine, g, ret, sp) if ret is not None and over else engine.stepi(index)
        if event.kind != "step":
            return event
        index = event.cpu
        pc = engine.cpu(index).reg("rip")
        fn = functab.findfunc(pc)
        if ret is not None and not over and (fn is None or not fn.program):
            event = run_to_return(engine, g, ret, sp)  # stepped into the runtime: back out
            if event.kind != "step":
                return event
            index = event.cpu
            pc = engine.cpu(index).reg("rip")
            fn = functab.findfunc(pc)
        line = engine.image.line_at(pc)
        if fn is None or not fn.program or line is None:
            continue
        here = frame_depth(engine, index)
        if here != start and (not over or start is None or (here is not None and here < start)):
            return event  # another frame: a callee (step) or a caller
        if here == start and line != start_line:
            return event


def caller(engine: Engine, index: int) -> tuple[str, traceback.Cursor]:
    """The function the CPU is in and the frame it returns to (finish's destination)."""
    found = frames(engine, index, 2)
    if len(found) < 2:
        raise DebugError('"finish" not meaningful in the outermost frame.')
    return context.symbolic(engine, found[0][1].pc), found[1][1]
