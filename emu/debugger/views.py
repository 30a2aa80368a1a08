"""What the debugger shell prints about a stopped process: the goroutine list (Delve's layout), the
scheduler's tables (`info ps|ms|sched|timers`), the registers (gdb's `info registers`) and memory
(gdb's `x/FMT`).

Every view reads the process as it is: G, M, P and schedt through the layout views over guest
memory, the CPUs' registers from Unicorn, nothing cached, so what is shown is what the emulated
machine holds at that instant. Each returns the lines to print, without colour (the shell adds it);
a user's mistake raises ViewError with the words gdb would use, never a Python traceback.

Two naming styles, each where its model tool uses it: the Go-flavoured views (goroutines, info)
name functions as the assembly source spells them (`main·main+0x1c`, offsets in hex, as Go's
tracebacks); the gdb-flavoured ones (registers, x) as gdb does (`<main.main+52>`, decimal).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from unicorn import x86_const as x86

from asm.link import Image, Symbol
from emu import objdump, traceback
from emu.machine import CPU, GP_REGS
from runtime.layout import CONSTANTS, G, M, P, Timer, const
from runtime.memory import Memory, MemoryFault, load
from runtime.proc import CLOCK_START, PTR_SIZE, Runtime

if TYPE_CHECKING:
    from emu.run import Process


class ViewError(Exception):
    """A user error, in gdb's words where gdb has some. `lines` is what was printed before it (gdb
    shows the units of an `x` that it could read, then the error)."""

    def __init__(self, message: str, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.lines = lines or []


# ---- names, times, tables ---------------------------------------------------------------------

P_STATUS = {CONSTANTS[n]: n for n in ("_Pidle", "_Prunning", "_Psyscall", "_Pgcstop", "_Pdead")}
TIMER_STATUS = {
    CONSTANTS[n]: n
    for n in (
        "timerNoStatus", "timerWaiting", "timerRunning", "timerDeleted", "timerRemoving", "timerRemoved",
        "timerModifying", "timerModifiedEarlier", "timerModifiedLater", "timerMoving",
    )
}  # fmt: skip
# gStatusStrings for the states emu.traceback.status does not name (Go prints these words).
G_STATUS = {
    const._Gidle: "idle",
    const._Gdead: "dead",
    const._Gcopystack: "copystack",
    const._Gpreempted: "preempted",
}


def plan9_name(name: str) -> str:
    """A linker name as Plan 9 assembly writes it: the package separator is a middle dot
    (main.main -> main·main, a/b.f -> a/b·f); the rest of the name keeps its dots."""
    head, slash, tail = name.rpartition("/")
    return head + slash + tail.replace(".", "·", 1)


def go_duration(ns: int) -> str:
    """time.Duration.String: 0s, 999ns, 1.5µs, 10ms, 2m3.5s, -1h0m0s."""
    u, sign = abs(ns), "-" if ns < 0 else ""
    if u == 0:
        return "0s"
    if u < 1_000_000_000:
        prec, unit = (0, "ns") if u < 1000 else (3, "µs") if u < 1_000_000 else (6, "ms")
        frac, whole = _fmt_frac(u, prec)
        return f"{sign}{whole}{frac}{unit}"
    frac, secs = _fmt_frac(u, 9)
    text = f"{secs % 60}{frac}s"
    mins = secs // 60
    if mins:
        text = f"{mins % 60}m" + text
        if mins // 60:
            text = f"{mins // 60}h" + text
    return sign + text


def _fmt_frac(v: int, prec: int) -> tuple[str, int]:
    """fmtFrac: v/10**prec split into its fraction, written ".123" without trailing zeros ("" when
    there is none), and its integer part."""
    whole, frac = divmod(v, 10**prec)
    digits = f"{frac:0{prec}d}".rstrip("0") if prec else ""
    return ("." + digits if digits else ""), whole


def relative(when: int, now: int) -> str:
    """A time on the runtime's clock as seen from now: +1ms ahead, -20µs behind."""
    d = go_duration(when - now)
    return d if d.startswith("-") else "+" + d


def _table(header: list[str], rows: list[list[str]], marks: list[str] | None = None) -> list[str]:
    """Left-aligned columns two spaces apart (gdb's `info threads`); with marks, a first column
    of `* ` for the current row and two spaces for the others."""
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in (header, *rows)]
    if marks is None:
        return lines
    return ["  " + lines[0], *(m + line for m, line in zip(marks, lines[1:], strict=True))]


def _ids(values: list[str]) -> str:
    """A list as Go's fmt prints a slice: [5 6 7]."""
    return "[" + " ".join(map(str, values)) + "]"


# ---- goroutines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """A frame as the Go-flavoured views show it: main·main+0x1c (samples/pingpong.s:23)."""

    fn: Symbol
    pc: int
    file: str
    line: int

    def __str__(self) -> str:
        return f"{symbol_offset(self.fn, self.pc)} ({self.file}:{self.line})"


def symbol_offset(fn: Symbol, pc: int) -> str:
    """`main·main+0x1c`: pc in fn, the offset left out at the entry."""
    off = pc - fn.addr
    return plan9_name(fn.name) + (f"+{off:#x}" if off > 0 else "")


def goroutines(proc: Process, selected: int = 0) -> list[str]:
    """Delve's `goroutines`: every goroutine that is not dead, by goid, at its innermost program
    frame, `* ` marking the selected one (by G address); then the count."""
    mem = proc.machine.space
    gs = sorted((G(mem, a) for a in proc.runtime.allgs), key=lambda g: g.goid)
    live = [g for g in gs if g.atomicstatus != const._Gdead]
    lines = []
    for g in live:
        mark = "* " if g.addr == selected else "  "
        where = innermost(proc, g)
        lines.append(f"{mark}Goroutine {g.goid} - {where or '?'} [{goroutine_status(proc, g)}]")
    return [*lines, f"[{len(live)} goroutines]"]


def goroutine_status(proc: Process, g: G) -> str:
    """Go's goroutine header word (the wait reason for a waiting one); a running one says on which
    M, as Delve says on which thread; `, frozen` for one the debugger froze."""
    status = g.atomicstatus & ~const._Gscan
    frozen = ", frozen" if g.addr in proc.runtime.frozen else ""
    if status == const._Grunning:
        return (f"running on M{_m_id(proc.machine.space, g.m)}" if g.m else "running") + frozen
    word = traceback.status(g)
    return (G_STATUS.get(status, "???") if word == "unknown" else word) + frozen


def innermost(proc: Process, g: G) -> Location | None:
    """Where g stands, as Delve's goroutine list shows it: the first frame its Go traceback prints
    (runtime frames are hidden), or the innermost frame when all are the runtime's (the runtime's
    own goroutines); None if not even that is in a function."""
    first = None
    for fn, at in frames(proc, g):
        first = first or (fn, at)
        if traceback._shown(fn.name):
            return _location(proc.machine.image, fn, at)
    return _location(proc.machine.image, *first) if first else None


def frames(proc: Process, g: G) -> Iterator[tuple[Symbol, traceback.Cursor]]:
    """g's frames innermost first, runtime ones included: from its CPU's registers if it runs on
    one, else from g.sched, as its traceback would start."""
    image, mem = proc.machine.image, proc.machine.space
    start = _live_cursor(proc, g) or traceback.from_sched(image, mem, g)
    return traceback.walk(image, mem, g, start)


def _live_cursor(proc: Process, g: G) -> traceback.Cursor | None:
    """The innermost frame of a G running on a CPU (its M's curg, CPU index = M index), read from
    the live registers. None when the CPU is not on g's stack: the scheduler chose g but the CPU
    has not gone through gogo yet (g.sched is then where g will start), or it is on g0 (morestack,
    which saved g's context in g.sched). At a pc outside every function (a gate's trigger, where
    the runtime call is under way), the call's return address is at 0(SP)."""
    rt, cpus = proc.runtime, proc.machine.cpus
    i = next((i for i, mp in enumerate(rt.allm) if mp.curg == g.addr), None)
    if i is None or i >= len(cpus):
        return None
    cpu = cpus[i]
    pc, sp, bp = cpu.reg("rip"), cpu.reg("rsp"), cpu.reg("rbp")
    if not g.stack.lo <= sp < g.stack.hi:
        return None
    fn = proc.machine.image.symbol_at(pc)
    if fn is not None and fn.text is not None:
        return traceback.Cursor(pc, sp, bp, trap=True)
    return traceback.Cursor(_word(proc.machine.space, sp), sp + 8, bp)


def _location(image: Image, fn: Symbol, at: traceback.Cursor) -> Location:
    """A frame's function, pc and line, the line as Go's traceback prints it (for a return
    address, that of the CALL): taken from traceback.frame_lines' `\\tfile:LINE +0xOFF`."""
    where = traceback.frame_lines(image, at.pc, return_pc=not at.trap)[1].strip().split(" +0x")[0]
    file, _, line = where.rpartition(":")
    return Location(fn, at.pc, file, int(line))


def _word(mem: Memory, addr: int) -> int:
    try:
        return load(mem, addr, 8)
    except MemoryFault:
        return 0


# ---- info ps | ms | sched | timers --------------------------------------------------------------


def info_ps(proc: Process) -> list[str]:
    """`info ps`: one line per P (allp), its status, M, ticks, run queue head to tail, runnext,
    free Gs and timer heap."""
    rt, mem = proc.runtime, proc.machine.space
    now = rt.nanotime()
    header = ["P", "status", "M", "schedtick", "syscalltick", "runnext", "gFree", "timers", "timer0When",
              "runqsize", "runq"]  # fmt: skip
    rows = []
    for pp in rt.allp:
        runq = local_runq(pp)
        rows.append([
            str(pp.id), P_STATUS.get(pp.status, str(pp.status)), _m_id(mem, pp.m), str(pp.schedtick),
            str(pp.syscalltick), _goid(mem, pp.runnext), str(pp.gFree.n), str(pp.timers.len),
            relative(pp.timer0When, now) if pp.timer0When else "-", str(len(runq)), _ids(_goids(mem, runq)),
        ])  # fmt: skip
    return _table(header, rows)


def info_ms(proc: Process, current: int = -1) -> list[str]:
    """`info ms`: one line per M (allm; `current` is the index of the shell's M, marked `*`),
    its P (and the one handed to it in nextp, the one it left for a system call in oldp), curg,
    lockedg, spinning, locks, preemption signals, how it sleeps if it does, and where its CPU
    stands."""
    rt, mem, cpus = proc.runtime, proc.machine.space, proc.machine.cpus
    header = ["M", "P", "nextp", "oldp", "curg", "lockedg", "spinning", "locks", "preemptGen", "signalPending",
              "parked", "pc"]  # fmt: skip
    rows = []
    for i, mp in enumerate(rt.allm):
        pc = pc_location(proc, cpus[i].reg("rip")) if i < len(cpus) else "-"
        rows.append([
            str(mp.id), _p_id(mem, mp.p), _p_id(mem, mp.nextp), _p_id(mem, mp.oldp), _goid(mem, mp.curg),
            _goid(mem, mp.lockedg),
            str(mp.spinning).lower(), str(mp.locks), str(mp.preemptGen), str(mp.signalPending),
            parked(rt, mp), pc,
        ])  # fmt: skip
    return _table(header, rows, ["* " if i == current else "  " for i in range(len(rows))])


def parked(rt: Runtime, mp: M) -> str:
    """How a sleeping M waits (runtime.proc.Park), `-` if it runs; `(woken)` once its wait is over
    but its CPU has not run again."""
    park = rt.parked.get(mp.addr)
    if park is None:
        return "-"
    now = rt.nanotime()
    if park.note:
        what = "notesleep(&m.park)" if park.note == mp.addr_of("park") else f"notesleep({park.note:#x})"
    elif park.lock:
        what = "lock(&debuglock)" if park.lock == rt.debuglock else f"lock({park.lock:#x})"
    elif park.poll:
        what = f"netpoll until {relative(park.until, now)}"
    else:
        what = f"nanosleep until {relative(park.until, now)}"
    return what + " (woken)" if rt.woken(mp) else what


def info_sched(proc: Process) -> list[str]:
    """`info sched`: the scheduler's globals (schedt and the Runtime's), one `name value` a line;
    times relative to the clock, lists as goids, M ids or P ids."""
    rt, mem = proc.runtime, proc.machine.space
    s, now = rt.sched, rt.nanotime()
    runq = global_runq(rt)
    rows = [
        ("clock", f"{now} ({go_duration(now - CLOCK_START)} since boot)"),
        ("gomaxprocs", str(rt.gomaxprocs)),
        ("goidgen", str(s.goidgen)),
        ("runqsize", str(s.runqsize)),
        ("runq", _ids(_goids(mem, runq))),
        ("npidle", str(s.npidle)),
        ("pidle", _ids([_p_id(mem, a) for a in _chain(s.pidle, lambda a: P(mem, a).link, len(rt.allp))])),
        ("nmspinning", str(s.nmspinning)),
        ("mnext", str(s.mnext)),
        ("nmidle", str(s.nmidle)),
        (
            "midle",
            _ids([_m_id(mem, a) for a in _chain(s.midle, lambda a: M(mem, a).schedlink, len(rt.allm))]),
        ),
        ("nmidlelocked", str(s.nmidlelocked)),
        ("nmsys", str(s.nmsys)),
        ("ngsys", str(s.ngsys)),
        ("gFree", _gfree(rt)),
        ("sysmonwait", str(s.sysmonwait)),
        ("sysmon wakes", relative(rt.sysmon.wake, now) if rt.sysmon.wake else "- (not started)"),
        ("lastpoll", relative(s.lastpoll, now) if s.lastpoll else "0 (an M is in netpoll)"),
        ("pollUntil", relative(s.pollUntil, now) if s.pollUntil else "0"),
        ("gcwaiting", str(s.gcwaiting)),
    ]
    width = max(len(name) for name, _ in rows)
    return [f"{name.ljust(width)}  {value}" for name, value in rows]


def _gfree(rt: Runtime) -> str:
    """The global free Gs: their count (gFree.n), split as the two lists hold them."""
    free, mem, bound = rt.sched.gFree, rt.mem, len(rt.allgs)
    stack = len(list(_chain(free.stack.head, lambda a: G(mem, a).schedlink, bound)))
    nostack = len(list(_chain(free.noStack.head, lambda a: G(mem, a).schedlink, bound)))
    return f"{free.n} ({stack} with stacks, {nostack} without)"


def info_timers(proc: Process) -> list[str]:
    """`info timers`: every P's timer heap in heap order (index 0 fires first), when relative to
    the clock, the function f (through its funcval) and its arg (a sleeping G's goid)."""
    rt = proc.runtime
    now = rt.nanotime()
    rows = []
    for pp in rt.allp:
        for i, t in enumerate(timers(rt, pp)):
            rows.append([
                str(pp.id), str(i), relative(t.when, now), go_duration(t.period), _func_name(proc, t.f),
                _arg(rt, t.arg.data), str(t.seq), TIMER_STATUS.get(t.status, str(t.status)),
            ])  # fmt: skip
    if not rows:
        return ["No timers."]
    return _table(["P", "i", "when", "period", "f", "arg", "seq", "status"], rows)


def timers(rt: Runtime, pp: P) -> list[Timer]:
    """pp.timers, the slice of *timer of its heap (read as runtime/time.py reads it), up to the
    first that cannot be read."""
    s, out = pp.timers, []
    for i in range(s.len):
        try:
            out.append(Timer(rt.mem, load(rt.mem, s.array + i * PTR_SIZE, PTR_SIZE)))
        except MemoryFault:
            break
    return out


def _func_name(proc: Process, funcval: int) -> str:
    """A func value's function (funcval.fn), or its address if that is no function."""
    fn = _word(proc.machine.space, funcval) if funcval else 0
    sym = proc.machine.image.symbol_at(fn) if fn else None
    if sym is None or sym.addr != fn:
        return f"{funcval:#x}"
    return plan9_name(sym.name)


def _arg(rt: Runtime, data: int) -> str:
    """A timer's arg (its eface data word), with the goid when it is a G (a sleep's timer)."""
    return f"{data:#x} (G{G(rt.mem, data).goid})" if data in rt.allgs else f"{data:#x}"


def local_runq(pp: P) -> list[int]:
    """The Gs of pp's local run queue, head to tail (runnext apart), by address."""
    n = (pp.runqtail - pp.runqhead) & 0xFFFFFFFF
    size = len(pp.runq)
    return [pp.runq[(pp.runqhead + i) % size] for i in range(min(n, size))]


def global_runq(rt: Runtime) -> list[int]:
    """The Gs of the global run queue, head to tail, by address."""
    return list(_chain(rt.sched.runq.head, lambda a: G(rt.mem, a).schedlink, len(rt.allgs)))


def _chain(head: int, link: Callable[[int], int], bound: int) -> Iterator[int]:
    """The addresses of a linked list from head, at most bound of them: a corrupt link that loops
    or leaves memory ends the listing instead of hanging the shell or raising."""
    addr = head
    for _ in range(bound):
        if not addr:
            return
        yield addr
        try:
            addr = link(addr)
        except MemoryFault:
            return


def _goids(mem: Memory, addrs: list[int]) -> list[str]:
    return [_goid(mem, a) for a in addrs]


def _goid(mem: Memory, addr: int) -> str:
    return _id(mem, G, addr, "goid")


def _m_id(mem: Memory, addr: int) -> str:
    return _id(mem, M, addr, "id")


def _p_id(mem: Memory, addr: int) -> str:
    return _id(mem, P, addr, "id")


def _id(mem: Memory, view: Callable[[Memory, int], Any], addr: int, field: str) -> str:
    """The goid or id of the G, M or P at addr: `-` for nil, `?0x...` where the pointer leads to
    no memory (the user wrote to the runtime's structures)."""
    if not addr:
        return "-"
    try:
        return str(getattr(view(mem, addr), field))
    except MemoryFault:
        return f"?{addr:#x}"


def pc_location(proc: Process, pc: int) -> str:
    """A CPU's pc as the Go-flavoured views show it: main·main+0x4c (samples/x.s:70), a gate's
    trigger by its symbol, else the bare address."""
    image = proc.machine.image
    fn = image.symbol_at(pc)
    if fn is not None and fn.text is not None:
        file, line = image.line_at(pc) or ("?", 0)
        return str(Location(fn, pc, file, line))
    gate = gate_names(proc).get(pc)
    return plan9_name(gate) if gate is not None else f"{pc:#x}"


def gate_names(proc: Process) -> dict[int, str]:
    """The trigger addresses of the gate page by the Go name of what runs there (runtime.Gosched),
    or of the runtime function a program called that goemu lacks: the image has no symbols there."""
    return proc.gate_names


# ---- info registers -----------------------------------------------------------------------------

# gdb's flags types (i386-tdep.c): the bits it names, shown lowest first.
RFLAGS_BITS = ((0, "CF"), (2, "PF"), (4, "AF"), (6, "ZF"), (7, "SF"), (8, "TF"), (9, "IF"), (10, "DF"),
               (11, "OF"), (14, "NT"), (16, "RF"), (17, "VM"), (18, "AC"), (19, "VIF"), (20, "VIP"),
               (21, "ID"))  # fmt: skip
MXCSR_BITS = ((0, "IE"), (1, "DE"), (2, "ZE"), (3, "OE"), (4, "UE"), (5, "PE"), (6, "DAZ"), (7, "IM"),
              (8, "DM"), (9, "ZM"), (10, "OM"), (11, "UM"), (12, "PM"), (15, "FZ"))  # fmt: skip
SEGMENTS = ("cs", "ss", "ds", "es", "fs", "gs")
POINTERS = frozenset({"rsp", "rbp"})  # gdb types them data_ptr: shown in hex
# gdb's columns (default_print_one_register_info): the hex value starts at 15, the natural one at
# 15 + 2 + 16 + 2 (room for 0x, 16 digits and two spaces), each after at least one space.
VALUE_COLUMN_1, VALUE_COLUMN_2 = 15, 35


REGISTER_ALIASES = {"pc": "rip", "sp": "rsp", "fp": "rbp", "eflags": "rflags"}  # gdb's names for them


def register_names(all: bool = False) -> list[str]:
    """The registers `info registers` lists, in its order (all: `info all-registers`'s)."""
    names = list(GP_REGS)
    if all:
        names[names.index("fs_base") + 1 : names.index("fs_base") + 1] = ["gs_base"]
        names[names.index("rflags") + 1 : names.index("rflags") + 1] = list(SEGMENTS)
        names += [*(f"xmm{i}" for i in range(16)), "mxcsr"]
    return names


def registers(
    cpu: CPU,
    all: bool = False,
    changed: frozenset[str] = frozenset(),
    symbolize: Callable[[int], str] | None = None,
    only: list[str] | None = None,
) -> list[str]:
    """gdb's `info registers` (all: `info all-registers`, less the x87 and AVX state): the name in
    15 columns (`*` after it if in changed), the value in hex to column 35, then its natural form:
    decimal, a pointer in hex, rip with `<main.main+52>` (symbolize(pc): gdb's symbol text, "" for
    none), flags as gdb decodes them. xmm registers show as gdb's v2_int64 view, low quadword first.
    only: the registers named (`rax`, `$rax`, gdb's `pc`, `sp`, `fp`, `eflags`), in that order;
    ViewError `Invalid register `foo'` at the first unknown one, with the lines before it."""
    names = register_names(all) if only is None else []
    known = register_names(True)
    for word in only or []:
        name = REGISTER_ALIASES.get(word.removeprefix("$"), word.removeprefix("$"))
        if name not in known:
            raise ViewError(f"Invalid register `{word.removeprefix('$')}'", _lines(cpu, names, changed, symbolize))
        names.append(name)
    return _lines(cpu, names, changed, symbolize)


def _lines(
    cpu: CPU, names: list[str], changed: frozenset[str], symbolize: Callable[[int], str] | None
) -> list[str]:
    return [
        _xmm(name, _reg(cpu, name), changed) if name.startswith("xmm") else
        _register(name, _reg(cpu, name), changed, symbolize)
        for name in names
    ]  # fmt: skip


def _reg(cpu: CPU, name: str) -> int:
    if name in GP_REGS:
        return cpu.reg(name)
    return cpu.uc.reg_read(getattr(x86, f"UC_X86_REG_{name.upper()}"))


def _register(name: str, value: int, changed: frozenset[str], symbolize: Callable[[int], str] | None) -> str:
    if name == "rip":
        sym = symbolize(value) if symbolize else ""
        natural = f"{value:#x}" + (f" <{sym}>" if sym else "")
    elif name == "rflags":
        natural = _flags(value, RFLAGS_BITS)
    elif name == "mxcsr":
        natural = _flags(value, MXCSR_BITS)
    elif name in POINTERS:
        natural = f"{value:#x}"
    else:
        natural = str(value - (1 << 64) if value >> 63 else value)
    return _pad(_pad(_name(name, changed), VALUE_COLUMN_1) + f"{value:#x}", VALUE_COLUMN_2) + natural


def _xmm(name: str, value: int, changed: frozenset[str]) -> str:
    lo, hi = value & ((1 << 64) - 1), value >> 64
    return _pad(_name(name, changed), VALUE_COLUMN_1) + f"{{v2_int64 = {{{lo:#x}, {hi:#x}}}}}"


def _pad(text: str, column: int) -> str:
    """gdb's pad_to_column: at least one space, then up to the column."""
    return (text + " ").ljust(column)


def _name(name: str, changed: frozenset[str]) -> str:
    return name + "*" if name in changed else name


def _flags(value: int, bits: tuple[tuple[int, str], ...]) -> str:
    return "[ " + "".join(f"{n} " for b, n in bits if value >> b & 1) + "]"


def symbolizer(proc: Process) -> Callable[[int], str]:
    """gdb's symbol text for an address: main.main+52, msg (a data symbol), a gate's trigger, or ""
    outside every symbol; for registers' rip and x's labels."""
    image, gates = proc.machine.image, gate_names(proc)

    def symbolize(addr: int) -> str:
        sym = image.symbol_at(addr)
        if sym is None:
            return gates.get(addr, "")
        off = addr - sym.addr
        return objdump.local_name(sym.name) + (f"+{off}" if off else "")

    return symbolize


# ---- x/FMT ADDR ---------------------------------------------------------------------------------

SIZES = {"b": 1, "h": 2, "w": 4, "g": 8}
FORMATS = frozenset("xduotacfsiz")
PER_LINE = {1: 8, 2: 8, 4: 4, 8: 2}  # do_examine's maxelts
MAX_STRING = 200  # gdb's `print elements` limit
MAX_INST_LEN = 15
MASK64 = (1 << 64) - 1


@dataclass
class Examine:
    """What gdb's x remembers from one use to the next: the format letter, the unit size, and the
    address after the last unit shown (where a bare `x` goes on)."""

    fmt: str = "x"
    size: str = "w"
    next_addr: int = 0


@dataclass(frozen=True)
class Format:
    """One `x/FMT`, defaults resolved: repeat count, format letter, unit size in bytes."""

    count: int
    letter: str
    size: int


def parse_format(spec: str, last: Examine) -> Format:
    """gdb's decode_format of `[N][xduotacfsiz][bhwg]` (letters in any order, the last of a kind
    wins), with its defaults from the last use: a's size is the pointer's, c's a byte, f's the
    last size if w or g else g."""
    m = re.fullmatch(r"(-?\d*)(.*)", spec.strip())
    assert m is not None  # the pattern matches every string
    digits, letters = m.groups()
    if digits.startswith("-"):
        raise ViewError("goemu: x with a negative count (reading backwards) is not supported")
    letter, size = last.fmt, ""
    for c in letters:
        if c in SIZES:
            size = c
        elif c in FORMATS:
            letter = c
        else:
            raise ViewError(f'Undefined output format "{c}".')
    if not size:
        size = {"a": "g", "c": "b", "s": "b", "i": "b"}.get(letter, last.size)
        if letter == "f" and size not in "wg":
            size = "g"
    if letter == "s" and size != "b":
        raise ViewError("goemu: x/s reads strings of bytes only")
    return Format(int(digits) if digits else 1, letter, SIZES[size])


def examine(
    proc: Process, spec: str, addr: int | None = None, last: Examine | None = None, pc: int | None = None
) -> list[str]:
    """examine_lines collected: the lines of `x/spec addr`, or ViewError with those read before the
    error."""
    lines: list[str] = []
    try:
        lines.extend(examine_lines(proc, spec, addr, last, pc))
    except ViewError as e:
        raise ViewError(str(e), lines) from None
    return lines


def examine_lines(
    proc: Process, spec: str, addr: int | None = None, last: Examine | None = None, pc: int | None = None
) -> Iterator[str]:
    """gdb's `x/spec addr`, a line at a time as gdb prints it (so that a huge count shows at once,
    stops at Ctrl-C and holds no more than a line): count units of memory from addr (None: where
    the last x stopped) in gdb's layout, `0xc000044f88:\t0x0000000000401234\t...` with a
    `<sym+off>` label for addresses in a symbol; x/s strings, x/i instructions in Plan 9 syntax
    (`=> ` at pc). `last` is updated as gdb updates its defaults, its next address as the lines go
    (past a line when the caller asks for the next, having shown it). Unreadable memory raises
    gdb's `Cannot access memory at address 0x...` (the first unreadable byte), after the units
    before it."""
    last = last if last is not None else Examine()
    fmt = parse_format(spec, last)
    start = (last.next_addr if addr is None else addr) & MASK64  # an expression's -8 is 0xff...f8
    last.fmt = fmt.letter
    if fmt.letter != "i":  # gdb keeps the size x/i ignored; x/s leaves it at b
        last.size = next(k for k, v in SIZES.items() if v == fmt.size)
    if fmt.letter == "s":
        produced = _strings(proc, start, fmt.count)
    elif fmt.letter == "i":
        produced = _instructions(proc, start, fmt.count, pc)
    else:
        produced = _units(proc, start, fmt)
    last.next_addr = start
    for line, end in produced:
        yield line
        last.next_addr = end


def _label(addr: int, symbolize: Callable[[int], str]) -> str:
    """gdb's print_address: 0x401034 <main.main+52>."""
    sym = symbolize(addr)
    return f"{addr:#x} <{sym}>" if sym else f"{addr:#x}"


def _read(proc: Process, addr: int, size: int) -> bytes:
    """size bytes at addr, or gdb's error naming the first byte that cannot be read (byte by byte
    where the bytes are not all in one region)."""
    space = proc.machine.space
    try:
        buf, off = space.locate(addr, size)
        return bytes(buf[off : off + size])
    except MemoryFault:
        pass
    out = bytearray()
    for at in range(addr, addr + size):
        try:
            buf, off = space.locate(at & MASK64, 1)
        except MemoryFault:
            raise ViewError(f"Cannot access memory at address {at & MASK64:#x}") from None
        out.append(buf[off])
    return bytes(out)


def _units(proc: Process, addr: int, fmt: Format) -> Iterator[tuple[str, int]]:
    """Numbers: PER_LINE[size] of them a line, each after a tab; (line, the address after it).
    A line that runs into unreadable memory shows its units before it, then the error."""
    symbolize = symbolizer(proc)
    for first in range(0, fmt.count, PER_LINE[fmt.size]):
        here = addr + first * fmt.size
        n = min(PER_LINE[fmt.size], fmt.count - first)
        cells: list[str] = []
        try:
            for i in range(n):
                data = _read(proc, here + i * fmt.size, fmt.size)
                cells.append(_unit(int.from_bytes(data, "little"), fmt.letter, fmt.size, symbolize))
        except ViewError:
            if cells:
                yield _label(here, symbolize) + ":" + "".join("\t" + c for c in cells), here + len(cells) * fmt.size
            raise
        yield _label(here, symbolize) + ":" + "".join("\t" + c for c in cells), here + n * fmt.size


def _unit(v: int, letter: str, size: int, symbolize: Callable[[int], str]) -> str:
    """One unit in gdb's print_scalar_formatted of a size-long integer."""
    bits = 8 * size
    signed = v - (1 << bits) if v >> (bits - 1) else v
    if letter in "xz":
        return f"0x{v:0{2 * size}x}"
    if letter == "t":
        return f"{v:0{bits}b}"
    if letter == "o":
        return f"0{v:o}" if v else "0"
    if letter == "u":
        return str(v)
    if letter == "a":
        sym = symbolize(v)
        return f"{v:#x}" + (f" <{sym}>" if sym else "")
    if letter == "c":
        return f"{signed} {_char(v & 0xFF)}" if size == 1 else str(signed)
    if letter == "f" and size in (4, 8):
        return _float(v, size)
    return str(signed)  # d, and f of a size no float has


ESCAPES = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}


def _char(b: int) -> str:
    """A byte as gdb prints a char: 'a', '\\n', '\\'', '\\000'."""
    return "'" + ("\\'" if b == 0x27 else '"' if b == 0x22 else _escaped(b)) + "'"


def _escaped(b: int) -> str:
    if b in ESCAPES:
        return ESCAPES[b]
    if b == 0x5C:
        return "\\\\"
    return chr(b) if 0x20 <= b < 0x7F else f"\\{b:03o}"


def _float(v: int, size: int) -> str:
    """gdb's %g with the type's digits (9 for float, 17 for double); NaNs with their mantissa."""
    x = struct.unpack("<f" if size == 4 else "<d", v.to_bytes(size, "little"))[0]
    if math.isnan(x):
        mant = v & ((1 << (23 if size == 4 else 52)) - 1)
        return f"{'-' if v >> (8 * size - 1) else ''}nan({mant:#x})"
    return f"{x:.{9 if size == 4 else 17}g}"


def _strings(proc: Process, addr: int, count: int) -> Iterator[tuple[str, int]]:
    """x/s: NUL-terminated strings, at most MAX_STRING bytes each (then `...`, and the next
    starts there, as gdb's does); (line, the address after it)."""
    symbolize = symbolizer(proc)
    for _ in range(count):
        chunk = _up_to(proc, addr, MAX_STRING + 1)
        nul = chunk.find(b"\0")
        text = chunk[: nul if nul >= 0 else MAX_STRING]
        quoted = '"' + "".join('\\"' if b == 0x22 else _escaped(b) for b in text) + '"'
        if nul < 0 and len(chunk) < MAX_STRING:  # the string runs into unmapped memory
            end = addr + len(chunk)
            yield f"{_label(addr, symbolize)}:\t{quoted}<error: Cannot access memory at address {end:#x}>", end
            addr = end
            continue
        line = f"{_label(addr, symbolize)}:\t{quoted}{'' if nul >= 0 else '...'}"
        addr += nul + 1 if nul >= 0 else MAX_STRING
        yield line, addr


def _instructions(proc: Process, addr: int, count: int, pc: int | None) -> Iterator[tuple[str, int]]:
    """x/i: instructions decoded from memory in Plan 9 syntax, as goemu objdump prints them (`?` for
    a byte Go's disassembler cannot decode); `=> ` marks pc."""
    symbolize, symname = symbolizer(proc), objdump.symbol_lookup(proc.machine.image)
    for _ in range(count):
        code = _up_to(proc, addr, MAX_INST_LEN)
        inst = objdump.decode(code, addr)
        text = objdump.go_syntax(inst, addr, symname) if inst is not None else "?"
        mark = "=> " if addr == pc else "   "
        line = f"{mark}{_label(addr, symbolize)}:\t{text}"
        addr += inst.length if inst is not None else 1
        yield line, addr


def _up_to(proc: Process, addr: int, n: int) -> bytes:
    """Up to n bytes from addr, fewer where its region ends (a string or an instruction may run
    into unmapped memory after its first byte)."""
    _read(proc, addr, 1)
    buf, off = proc.machine.space.locate(addr, 1)
    return bytes(buf[off : off + n])
