"""Stepping over calls, by source line and out of a function: loops of the engine's exact steps
that follow one goroutine, whichever M runs it. Frames are told apart by their depth below the
goroutine's stack top (of their CFA, the SP above the return address), which copystack keeps when
it moves a stack."""

from __future__ import annotations

from runtime.layout import G
from runtime.memory import MemoryFault

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


def call_return(engine: Engine, index: int, pc: int | None = None) -> int | None:
    """The return address if the CPU is at a CALL (at pc, if given: where its hook stands), else
    None."""
    pc = engine.cpu(index).reg("rip") if pc is None else pc
    here = list(context.instructions(engine, pc, pc + 32))[:2]
    return here[1][0] if len(here) == 2 and here[0][1].startswith("CALL") else None


def run_to_return(engine: Engine, g: int, ret: int, sp: int) -> Event:
    """Run until goroutine g is back at ret with SP at or above sp."""
    limit = depth(engine, g, sp)

    def until(i: int, pc: int) -> bool:
        return pc == ret and engine.running_g(i) == g and depth(engine, g, engine.cpu(i).reg("rsp")) <= limit

    return engine.forward(until)


# Bytes that may come before a CALL's opcode (E8, or FF /2 /3 by its ModRM byte): REX, operand and
# address size, segments, repeats. Anything else is not a CALL, without disassembling it.
_PREFIXES = frozenset({*range(0x40, 0x50), 0x66, 0x67, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65})


def maybe_call(engine: Engine, pc: int) -> bool:
    """A quick look at the opcode at pc: False when it cannot be a CALL."""
    try:
        view, off = engine.proc.machine.space.locate(pc, 1)
    except MemoryFault:
        return False
    end = min(off + 15, len(view))
    at = next((a for a in range(off, end) if view[a] not in _PREFIXES), end)
    if at >= end or view[at] != 0xFF:
        return at < end and view[at] == 0xE8
    return at + 1 < end and (view[at + 1] >> 3) & 7 in (2, 3)  # FF /2, FF /3: the other FFs are not


def nexti(engine: Engine, index: int, g: int, n: int = 1) -> Event:
    """n instructions of the M, a CALL counting as one, run to its return (by goroutine g, on any
    M), in one run of the engine: breakpoints stop it on the way, as they stop stepi."""
    cur, done = index, 0
    last = engine.state.counts[index]  # the M's count when the steps were last counted
    waiting: tuple[int, int] | None = None  # in a CALL: its return address, the frame's depth

    def enter(i: int, pc: int) -> None:
        nonlocal waiting
        ret = call_return(engine, i, pc) if maybe_call(engine, pc) else None
        waiting = None if ret is None else (ret, depth(engine, g, engine.cpu(i).reg("rsp")))

    def until(i: int, pc: int) -> bool:
        nonlocal cur, done, last
        if waiting is not None:
            ret, limit = waiting
            if pc != ret or engine.running_g(i) != g or depth(engine, g, engine.cpu(i).reg("rsp")) > limit:
                return False
            cur, done, last = i, done + 1, engine.state.counts[i]
        elif i == cur:
            done, last = done + engine.state.counts[cur] - last, engine.state.counts[cur]
        else:
            return False
        if done >= n:
            return True
        enter(i, pc)
        return False

    enter(index, engine.cpu(index).reg("rip"))
    return engine.forward(until)


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
