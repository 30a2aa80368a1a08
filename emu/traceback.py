"""Goroutine tracebacks as Go 1.19 prints them by default (GOTRACEBACK=single): `goroutine N
[status]:`, every frame of the goroutine's stack innermost first, then `created by`.

Frames are found through the frame-pointer chain that cmd/asm's prologue builds (obj6.go): a
function with a frame saves its caller's BP in the top word of the frame and points BP at it, so
its return address is at 8(BP) and its caller's BP at 0(BP); a function without one (frame 0 or
NOFRAME) has its return address at 0(SP) and leaves BP alone. Go unwinds with its pcsp tables
instead; the two agree wherever BP is set up, and for the instructions where it is not (prologue,
epilogue), the instructions cmd/asm inserted say where the return address is, as pcsp would. A
program that overwrites a saved BP gets a shorter traceback here than from Go.

As in Go's gentraceback: runtime frames are walked but not printed (showframe); a return address
is looked up at pc-1 (the CALL), the frame a fault interrupted at its pc; at most 100 frames are
walked, counting the runtime's hidden ones, and `...additional frames elided...` follows only when
all 100 were printed (gentraceback returns the printed count, so with hidden frames it never is).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from asm.link import Image, Symbol
from asm.objfile import TextSymbol
from asm.textflag import TOPFRAME
from runtime.gates import GATES, resume_symbol
from runtime.layout import G, const, waitReasonStrings
from runtime.memory import Memory, MemoryFault, load

WAIT_REASONS = waitReasonStrings
G_STATUS_STRINGS = ["idle", "runnable", "running", "syscall", "waiting", "", "dead", "", "copystack", "preempted"]

MAX_FRAMES = 100  # _TracebackMaxFrames
PANIC_WALK_FRAMES = 1 << 20  # Go's walk for a panic's defers has no limit; a 1 GB stack holds 2^26 frames
ELIDED = "...additional frames elided..."
RUNTIME = "runtime."
# Runtime frames Go 1.19 has above the innermost program frame, which goemu's runtime (Python) does
# not put on the stack but which Go walks, hides and counts toward MAX_FRAMES; counting them cuts a
# deep stack after the same program frame as Go does (checked against Go 1.19's output).
SIGPANIC_FRAMES = 2  # a fault: runtime.gopanic, runtime.sigpanic (panicmem is inlined)
# Parked in (or panicking from) a runtime call: runtime.gopark (or gopanic), chansend, chansend1,
# as for every channel operation. Semaphores and sleeps differ, and there Go also prints frames of
# its own (sync.runtime_Semacquire, time.Sleep) that goemu's gates do not have.
RUNTIME_CALL_FRAMES = 3


def status(g: G) -> str:
    """goroutineheader's status: gStatusStrings, the wait reason of a waiting G, `(scan)`."""
    value = g.atomicstatus & ~const._Gscan
    text = G_STATUS_STRINGS[value] if value < len(G_STATUS_STRINGS) else "???"
    if value == const._Gwaiting and g.waitreason:
        text = WAIT_REASONS[g.waitreason] if g.waitreason < len(WAIT_REASONS) else "unknown wait reason"
    return text + (" (scan)" if g.atomicstatus & const._Gscan else "")


def header(g: G) -> str:
    """goroutineheader: `goroutine 5 [chan receive]:`."""
    return f"goroutine {g.goid} [{status(g)}]:"


@dataclass(frozen=True)
class Cursor:
    """One frame of the walk: its pc, and SP and BP as they are at that pc. trap: the frame was
    interrupted at pc (a fault) instead of calling out from it (pc is a return address)."""

    pc: int
    sp: int
    bp: int
    trap: bool = False


def goroutine(
    image: Image,
    mem: Memory,
    g: G,
    pc: int | None = None,
    return_pc: bool = True,
    sp: int | None = None,
    bp: int | None = None,
) -> list[str]:
    """The traceback of g. pc is where it faulted (return_pc=False), with sp and bp the CPU's
    registers there, or the return address of its call into the runtime, with sp and bp as they
    are once that call returns (SP just above the return address). Without sp and bp only pc's
    frame can be shown. Without pc, g is not running and is walked from g.sched."""
    head = header(g)
    if pc is not None and (sp is None or bp is None):
        return [head, *frame_lines(image, pc, return_pc), *created_by(image, g)]
    start, hidden = _start(image, mem, g, pc, return_pc, sp, bp)
    return [head, *_frames(image, mem, g, start, hidden), *created_by(image, g)]


def spwrite_function(
    image: Image, mem: Memory, g: G, pc: int | None = None, return_pc: bool = True, sp: int | None = None,
    bp: int | None = None,
) -> str | None:
    """The first function up g's stack (from where goroutine() would start) that writes SP:
    gopanic's walk for open-coded defers (addOneOpenDeferFrame) throws there, as it does at any
    frame past the one it starts from (gopanic's caller, a runtime function)."""
    if pc is not None and (sp is None or bp is None):
        return None
    start = _start(image, mem, g, pc, return_pc, sp, bp)[0]
    for fn, _ in walk(image, mem, g, start, PANIC_WALK_FRAMES, spwrite=True):
        if _text(fn).spwrite:
            return fn.name
    return None


def _start(
    image: Image, mem: Memory, g: G, pc: int | None, return_pc: bool, sp: int | None, bp: int | None
) -> tuple[Cursor, int]:
    """Where goroutine()'s walk starts, and how many runtime frames Go has walked before it."""
    if pc is None:
        return _from_sched(image, mem, g)
    assert sp is not None and bp is not None
    if return_pc:
        return Cursor(pc, sp, bp), RUNTIME_CALL_FRAMES
    return _from_fault(image, mem, g, Cursor(pc, sp, bp, trap=True)), SIGPANIC_FRAMES


def fault(image: Image, mem: Memory, g: G, pc: int, sp: int, bp: int, fatal: bool = False) -> list[str]:
    """The traceback of g, which faulted at pc with the CPU's SP and BP (sigpanic's view). With
    `fatal`, a fatal signal's (tracebacktrap): from pc itself, no sigpanic frames; after INT3,
    pc is the next instruction, and its line is the one Go shows."""
    if fatal:
        return [header(g), *_frames(image, mem, g, Cursor(pc, sp, bp, trap=True), 0), *created_by(image, g)]
    return goroutine(image, mem, g, pc, return_pc=False, sp=sp, bp=bp)


def frame_lines(image: Image, pc: int, return_pc: bool) -> list[str]:
    """`main.f()` and its location, or nothing for a pc outside every function."""
    at = Cursor(pc, 0, 0, trap=not return_pc)
    fn = _function(image, at)
    return _frame(image, fn, at) if fn is not None else []


def created_by(image: Image, g: G) -> list[str]:
    """printcreatedby: the function whose go statement started g and where (gopc is newproc's
    return address); nothing for the main goroutine or one the runtime started."""
    at = Cursor(g.gopc, 0, 0)
    fn = _function(image, at) if g.gopc else None
    if fn is None or g.goid == 1 or not _shown(fn.name):
        return []
    return [f"created by {fn.name}", _location(image, fn, at)]


def _from_sched(image: Image, mem: Memory, g: G) -> tuple[Cursor, int]:
    """Where a goroutine that is not running stopped, and how many runtime frames Go has there.
    Parked in a runtime call, g.sched.pc is the gate's resume entry, a NOFRAME stub, with g.sched.sp
    at the caller's return address and g.sched.bp the caller's BP; else (not started yet, or
    switched out by mcall) g.sched.pc is in the program itself."""
    sched = Cursor(g.sched.pc, g.sched.sp, g.sched.bp)
    fn = _function(image, sched)
    if fn is None or not _is_resume_entry(fn.name):
        return sched, 0
    return Cursor(_load(mem, sched.sp), sched.sp + 8, sched.bp), RUNTIME_CALL_FRAMES


def _is_resume_entry(name: str) -> bool:
    """Whether name is the entry a gate's parked goroutine resumes at (runtime.chansend1.resume)."""
    return any(gate.resume is not None and name == resume_symbol(gate.name) for gate in GATES.values())


def _from_fault(image: Image, mem: Memory, g: G, at: Cursor) -> Cursor:
    """A fault at a pc outside every function is a call through a bad func value (nil: pc 0):
    Go's sigpanic then takes the caller's frame, whose return address is at 0(SP), still as
    interrupted there (its line is that of the return address, not of the CALL)."""
    if _function(image, at) is not None or not _on_stack(g, at.sp, 8):
        return at
    return Cursor(_load(mem, at.sp), at.sp + 8, at.bp, trap=True)


def _frames(image: Image, mem: Memory, g: G, at: Cursor | None, hidden: int, everything: bool = False) -> list[str]:
    """gentraceback's printing loop from `at`, with `hidden` runtime frames already walked. The
    elision line comes only after 100 printed frames: gentraceback returns the printed count.
    As traceback1 does, a walk that printed nothing is printed again with the runtime's frames."""
    lines: list[str] = []
    printed = 0
    for fn, frame in walk(image, mem, g, at, MAX_FRAMES - hidden, spwrite=True):
        if everything or _shown(fn.name):
            lines += _frame(image, fn, frame)
            printed += 1
    if not printed and not everything:
        return _frames(image, mem, g, at, hidden, everything=True)
    if printed == MAX_FRAMES:
        lines.append(ELIDED)
    return lines


def walk(
    image: Image, mem: Memory, g: G, at: Cursor | None, limit: int = MAX_FRAMES, spwrite: bool = False
) -> Iterator[tuple[Symbol, Cursor]]:
    """The frames up g's stack from `at` (innermost first), runtime ones included, up to limit:
    gentraceback's unwinding without its printing rules (the debugger's backtrace). With
    `spwrite`, the walk ends at a function that writes SP, as Go's does (it cannot know where SP
    went); the debugger unwinds through them by the frame pointers, as Delve does."""
    for _ in range(limit):
        fn = _function(image, at) if at is not None else None
        if at is None or fn is None:
            return
        yield fn, at
        text = _text(fn)
        if text.flags & TOPFRAME or (spwrite and text.spwrite):  # TOPFRAME: runtime.goexit
            return
        at = _caller(mem, g, fn, at)


def from_sched(image: Image, mem: Memory, g: G) -> Cursor:
    """Where a goroutine that is not running stands, as its traceback starts (the caller of the
    runtime call it is parked in)."""
    return _from_sched(image, mem, g)[0]


def _caller(mem: Memory, g: G, fn: Symbol, at: Cursor) -> Cursor | None:
    """The frame fn returns to. None where the chain leaves g's stack or stops going up it, so that
    a corrupt BP or return address ends the walk instead of looping or faulting."""
    slot = _return_slot(_text(fn), tracepc(fn, at) - fn.addr)
    if slot is None:  # BP points at fn's saved BP, the return address above it
        if not (at.bp >= at.sp and _on_stack(g, at.bp, 16)):
            return None
        return Cursor(_load(mem, at.bp + 8), at.bp + 16, _load(mem, at.bp))
    ret = at.sp + slot
    if not _on_stack(g, ret, 8):
        return None
    # A frameless function that pushed BP and pointed BP at it (asyncPreempt) keeps the caller's
    # BP there. (The caller of asyncPreempt was interrupted at the pc asyncPreempt returns to; Go
    # 1.19's gentraceback still looks its line up at pc-1 there, as for a return address.)
    bp = _load(mem, at.bp) if at.bp == ret - 8 and _text(fn).frame <= 0 else at.bp
    return Cursor(_load(mem, ret), ret + 8, bp)


def _return_slot(fn: TextSymbol, off: int) -> int | None:
    """Where fn's return address is while it executes the instruction at off: None once the
    prologue has pointed BP at the saved-BP slot (the address is at 8(BP)), else its offset from
    SP. In a function without a frame, the pcsp value (what its PUSHes and ADJSPs moved SP by).
    Otherwise read from the instructions cmd/asm inserted, as Go's pcsp table would say: 0 before the
    prologue's SUBQ $frame, SP (and in the morestack call), the frame size until BP is set, and
    again from the epilogue's restore of the caller's BP until its ADDQ. The program's own
    instructions run with BP set up."""
    if fn.frame <= 0 or fn.noframe:  # SP moves only by what the code pushes (asyncPreempt's saves)
        return next((ins.sp for ins in fn.instructions if ins.code and ins.offset <= off < ins.offset + len(ins.code)), 0)
    slot: int | None = 0
    for ins in fn.instructions:
        if not ins.code:
            continue
        if ins.inserted and ins.text.startswith("CALL\truntime.morestack"):
            slot = 0
        elif not ins.inserted:
            slot = None
        if ins.offset <= off < ins.offset + len(ins.code):
            return slot
        slot = _slot_after(ins.text, slot, fn.frame)
    return slot


def _slot_after(text: str, slot: int | None, frame: int) -> int | None:
    """The return address's place after a frame-building instruction of cmd/asm's (LEAQ n(SP), BP;
    MOVQ n(SP), BP; SUBQ/ADDQ $frame, SP); other instructions leave it where it was."""
    op, _, args = text.partition("\t")
    dst = args.rpartition(", ")[2]
    if dst == "BP" and args.endswith("(SP), BP"):
        return None if op == "LEAQ" else frame
    if dst == "SP" and args.startswith("$"):
        return frame if op == "SUBQ" else 0 if op == "ADDQ" else slot
    return slot


def _function(image: Image, at: Cursor) -> Symbol | None:
    """findfunc: the function holding pc. A return address just past its function's code (a CALL
    that never returns, last in it) still belongs to it: Go's function table gives it the padding
    up to the next function."""
    fn = image.symbol_at(at.pc)
    if (fn is None or fn.text is None) and not at.trap:
        fn = image.symbol_at(at.pc - 1)
    return fn if fn is not None and fn.text is not None else None


def _frame(image: Image, fn: Symbol, at: Cursor) -> list[str]:
    """`main.f()` and `\tfile:LINE +0xOFF`. Assembly functions carry no argument metadata, so Go
    prints no arguments for them."""
    return [f"{fn.name}()", _location(image, fn, at)]


def _location(image: Image, fn: Symbol, at: Cursor) -> str:
    """`\tfile:LINE +0xOFF`, the offset from the function's entry, left out at the entry itself."""
    file, line = image.line_at(tracepc(fn, at)) or ("?", 0)
    off = f" +{at.pc - fn.addr:#x}" if at.pc > fn.addr else ""
    return f"\t{file}:{line}{off}"


def tracepc(fn: Symbol, at: Cursor) -> int:
    """The pc a frame's line is looked up at: a return address backs up into its CALL."""
    return at.pc - 1 if not at.trap and at.pc > fn.addr else at.pc


def _shown(name: str) -> bool:
    """showfuncinfo: runtime functions are hidden, except exported ones (runtime.Gosched)."""
    if not name.startswith(RUNTIME):
        return "." in name
    return "A" <= name[len(RUNTIME) : len(RUNTIME) + 1] <= "Z"


def _text(fn: Symbol) -> TextSymbol:
    assert fn.text is not None  # _function returns text symbols only
    return fn.text


def _on_stack(g: G, addr: int, size: int) -> bool:
    return g.stack.lo <= addr and addr + size <= g.stack.hi


def _load(mem: Memory, addr: int) -> int:
    """A word of g's stack; 0 (no function's pc) if it cannot be read, which ends the walk."""
    try:
        return load(mem, addr, 8)
    except MemoryFault:
        return 0
