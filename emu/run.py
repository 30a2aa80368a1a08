"""`goemu run`: assemble and link the program with the runtime, boot it, run it to its exit.

Data flow (DESIGN.md): the program's files and runtime/*.s are linked into one image; runtime
functions the image calls but no assembly defines live on the gate page, where a block hook limited
to that page hands them to Python; the runtime's rt0_go builds m0, g0, P0 and the main goroutine in
guest memory, and schedule() returns the gobuf the CPU enters through the assembled gogo.

Each M has its own CPU; the Ms run round-robin in slices of instructions (deterministic mode),
and an M that sleeps (no work, a locked G's M waiting, netpoll until a timer, nanosleep) stops its
CPU until the runtime wakes it. A runtime function the program calls that goemu does not
implement yet stops it with a message naming it.
"""

from __future__ import annotations

import math
import os
import signal as host_signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from errno import EIO
from typing import Any, BinaryIO, TextIO

from unicorn import (
    UC_ERR_INSN_INVALID,
    UC_HOOK_BLOCK,
    UC_HOOK_CODE,
    UC_HOOK_INSN,
    UC_HOOK_INTR,
    UC_HOOK_MEM_INVALID,
    UC_MEM_FETCH_PROT,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_READ_PROT,
    UC_MEM_WRITE_PROT,
)
from unicorn import x86_const as x86

import runtime.api  # noqa: F401  (registers the gates)
from asm import AsmError, Object, Options, Pos, assemble_file, link
from runtime import schedtrace, stack, sysmon
from runtime.debug import DebugVars
from runtime.errors import Deadlock, GoPanic, LimitReached, Throw
from runtime.gates import (
    GATES,
    SLOT_BP,
    SLOT_G0SP,
    SLOT_SP,
    SLOT_SWITCH,
    Frame,
    GateFn,
    entries,
    fs_offset,
    resume_symbol,
    trigger_names,
)
from runtime.layout import G, Gobuf, M, const, go_asm_h
from runtime.malloc import Arena, OutOfMemory
from runtime.memory import MemoryFault
from runtime.preempt import async_preempt_stack
from runtime.proc import CLOCK_START, G0_STACK_SIZE, Blocked, Runtime, Symbols
from runtime.stubs import assemble_stubs
from runtime.symtab import Functab
from runtime.trace import Trace

from . import signals, syscalls, traceback, traps
from .functab import functab
from .insncount import InsnCounter
from .machine import CPU, TLS_BLOCK, Machine
from .memory import ARENA_BASE, G0_STACKS_BASE, GATE_BASE, PAGE
from .progress import Progress, on_terminal
from .stats import Stats
from .stopsafe import timeout_safe
from .tracefile import TraceWriter

ARENA_SIZE = 16 << 30  # mapped NORESERVE: only the pages touched cost host memory
GATE_SLOT = 16  # bytes per gate function on the gate page
SLICE = 100_000  # instructions per emu_start in deterministic mode
NEVER = 1 << 63  # emu_start's `until`: a non-canonical address no instruction is ever at (0 would
# stop a jump to address 0 silently instead of faulting)
NS_PER_INSN = 1  # the deterministic clock: one nanosecond per instruction (a 1 GHz CPU, IPC 1)
CALL_INSNS = 1000  # what a round counts when every M's slice ended at a runtime call
NCPU = 4  # the emulated machine's CPUs (--ncpu): GOMAXPROCS's default
FAST_SLICE_US = 10_000  # --fast: host microseconds per slice
FAST_SLICE_INSNS = 1_000_000  # --fast, for an image a timeout could break (emu/stopsafe.py): about as long
_PROT_ACCESS = (UC_MEM_READ_PROT, UC_MEM_WRITE_PROT, UC_MEM_FETCH_PROT)


@dataclass
class Limits:
    max_insns: int = 0  # 0: no limit
    timeout: float = 0  # seconds of host time; 0: no limit


@dataclass
class Config:
    """The emulated machine: its CPU count, and the GOMAXPROCS the runtime starts with."""

    ncpu: int = NCPU
    gomaxprocs: int = 0  # 0: ncpu, or the GOMAXPROCS environment variable (schedinit)
    fast: bool = False  # wall-clock slices and time instead of the deterministic clock
    debug: DebugVars = field(default_factory=DebugVars)  # GODEBUG
    timeslice: int = sysmon.FORCE_PREEMPT_NS  # forcePreemptNS, in nanoseconds
    max_stack: int = stack.MAX_STACK  # maxstacksize, in bytes
    max_memory: int = 0  # --max-memory: the heap and stacks together, in bytes; 0: the arena's size
    max_goroutines: int = 0  # --max-goroutines: goroutines alive at once; 0: no limit
    max_output: int = 0  # --max-output: bytes written to standard output and error; 0: no limit

    def __post_init__(self) -> None:
        if self.gomaxprocs <= 0:
            self.gomaxprocs = self.ncpu


def gomaxprocs_from_env(environ: Mapping[str, str]) -> int:
    """schedinit's reading of GOMAXPROCS: a positive decimal int32, else ignored (0)."""
    value = environ.get("GOMAXPROCS", "")
    if value.isdigit() and 0 < int(value) < 1 << 31:
        return int(value)
    return 0


@dataclass
class Round:
    """Where the round-robin of the Ms stands, so that a run can stop mid-slice and go on."""

    length: int = 0  # this round's slice length; 0: no round under way
    next: int = 0  # the index of the CPU whose slice runs (or starts) next
    left: int = 0  # what is left of that CPU's slice once it started; 0: not started
    ran: bool = False  # some CPU ran in this round
    full: bool = False  # some slice ran its whole length


@dataclass
class Process:
    """One run of a program: the machine, the runtime over its memory, and what the program wrote."""

    machine: Machine
    runtime: Runtime
    gates: dict[int, GateFn | str]  # trigger address -> Python function, or the name of a missing one
    gate_names: dict[int, str]  # trigger address -> the runtime function's Go name (runtime.Gosched)
    stdout: BinaryIO
    stderr: BinaryIO
    status: int | None = None
    fault: tuple[int, int] | None = None  # (access, address) of the last invalid memory access
    trap: traps.Trap | None = None  # the CPU exception that ended the run (not a memory access)
    privileged: frozenset[int] = frozenset()  # the instructions a level-3 thread may not run
    executed: int = 0
    hooks: list[Callable] = field(default_factory=list)  # keeps Unicorn's callbacks alive
    stopped_early: bool = False  # the current slice ended before its instruction count
    fast: bool = False
    timeouts: bool = False  # --fast slices end by Unicorn's timeout (emu/stopsafe.py), else by count
    round: Round = field(default_factory=lambda: Round())
    started: float = field(default_factory=time.monotonic)  # host time, for --timeout
    # The debugger's per-instruction hook (made for each CPU, installed before every other hook so
    # that it sees each instruction Unicorn counts): it keeps `counted` and may break the run.
    on_insn: Callable[[CPU], Callable] | None = None
    counted: int = 0
    break_request: bool = False
    progress: Progress | None = None  # the progress line on a terminal (goemu run)
    interrupted: bool = False  # Ctrl-C arrived (goemu run): the loop raises KeyboardInterrupt
    counter: InsnCounter | None = None  # exact instruction counts, while tracing (--trace, --stats)


def gate_symbols(objects: list[Object]) -> dict[str, int]:
    """A trigger address on the gate page for every gate (by its trigger symbol), and for every
    runtime symbol the objects reference that nothing defines (reaching one is reported)."""
    defined = {t.name for o in objects for t in o.texts} | {d.name for o in objects for d in o.datas}
    referenced = {r.symbol for o in objects for s in (*o.texts, *o.datas) for r in s.relocs if r.symbol}
    names = sorted(entries())
    names += sorted(n for n in referenced - defined if n.startswith("runtime."))
    return {name: GATE_BASE + i * GATE_SLOT for i, name in enumerate(names)}


def build(files: list[str], options: Options | None = None):  # type: ignore[no-untyped-def]
    """Assemble the program (go_asm.h built in: the runtime's struct offsets, for programs that
    look at their g or m) and the runtime, and link them."""
    options = options or Options()
    options = replace(options, headers={"go_asm.h": go_asm_h(), **options.headers})
    program = [assemble_file(f, options) for f in files]
    if not any(t.name == "main.main" for obj in program for t in obj.texts):  # before runtime.main's reference fails
        raise AsmError("function main is undeclared in the main package (no TEXT main·main(SB))", Pos("", 0))
    objects = program + assemble_stubs()
    gates = gate_symbols(objects)
    image = link(objects, externals=gates)
    return image, gates


def _gate_page(image, gates: dict[str, int]) -> bytes:  # type: ignore[no-untyped-def]
    """INT3 everywhere but the triggers of Python functions: `JMP runtime·gateresume`."""
    size = (len(gates) * GATE_SLOT + PAGE - 1) // PAGE * PAGE or PAGE
    page = bytearray(b"\xcc" * size)
    resume = image.symbols["runtime.gateresume"].addr
    for name, addr in gates.items():
        if name.startswith("gate."):
            off = addr - GATE_BASE
            page[off : off + 5] = b"\xe9" + struct.pack("<i", resume - (addr + 5))
    return bytes(page)


def boot(image, gates: dict[str, int], stdout: BinaryIO, stderr: BinaryIO, config: Config | None = None, on_insn: Callable[[CPU], Callable] | None = None, tracing: bool = False) -> Process:  # type: ignore[no-untyped-def]
    """A process ready to run the program. With tracing, the runtime records trace events
    (rt.trace, which has no consumers yet) and the CPUs count their instructions exactly."""
    config = config or Config()
    m = Machine(image)
    page = _gate_page(image, gates)
    m.map("gates", GATE_BASE, len(page), "rx")
    m.space.write(GATE_BASE, page)
    m.map("arena", ARENA_BASE, ARENA_SIZE, "rw")
    m.map("g0stack", G0_STACKS_BASE, G0_STACK_SIZE, "rw")  # m0's; other Ms' g0 stacks are in the heap
    table = functab(image)
    syms = Symbols(
        goexit=image.symbols["runtime.goexit"].addr,
        main_pc=image.symbols["runtime.mainPC"].addr,
        resume={g.name: image.symbols[resume_symbol(g.name)].addr for g in GATES.values() if g.resume},
        system_pcs=frozenset(
            s.addr for s in image.funcs if s.name.startswith("runtime.") and s.name != "runtime.main"
        ),
        main_started=image.symbols["runtime.mainStarted"].addr,
        goroutine_ready=image.symbols["runtime.goroutineReadyPC"].addr,
        functab=table,
        async_preempt=image.symbols["runtime.asyncPreempt"].addr,
        async_preempt_stack=async_preempt_stack(table),
    )
    rt = Runtime(m.space, Arena(ARENA_BASE, ARENA_SIZE), syms, G0_STACKS_BASE, gomaxprocs=config.gomaxprocs)
    rt.debug, rt.forcePreemptNS, rt.maxstacksize = config.debug, config.timeslice, config.max_stack
    rt.arena.budget.limit = config.max_memory
    rt.write = _output(stdout, stderr, config.max_output)
    rt.maxgoroutines = config.max_goroutines
    handlers = entries()
    by_trigger = {a: handlers.get(n, n) for n, a in gates.items()}
    names = trigger_names()
    proc = Process(m, rt, by_trigger, {a: names.get(n, n) for n, a in gates.items()}, stdout, stderr,
                   fast=config.fast, on_insn=on_insn, privileged=frozenset(traps.privileged(image)))  # fmt: skip
    if config.fast:
        proc.timeouts = timeout_safe(image)
        origin = time.monotonic_ns()
        rt.now = lambda: CLOCK_START + time.monotonic_ns() - origin
    if tracing:
        proc.counter = InsnCounter(GATE_BASE + len(page))
        funcname = lambda pc: f.name if (f := table.findfunc(pc)) else f"{pc:#x}"  # noqa: E731
        counter = proc.counter
        rt.trace = Trace(funcname, lambda: rt.sched.runqsize, lambda mp: counter.in_round(_cpu_index(rt, mp)))
    _install_hooks(proc, m.add_cpu())  # m0's CPU; every M that newm creates gets the next one
    rt.newosproc = lambda mp: _install_hooks(proc, m.add_cpu())
    m0 = rt.rt0_go()
    buf = rt.schedule(m0)
    _enter_gogo(proc, m.cpus[0], m0.g0, buf.addr)
    return proc


def _cpu_index(rt: Runtime, mp: M) -> int:
    """The CPU an M runs on: M i of allm runs on CPU i."""
    return next(i for i, m in enumerate(rt.allm) if m.addr == mp.addr)


def _enter_gogo(proc: Process, cpu: CPU, g0_addr: int, buf_addr: int) -> None:
    """Start the CPU in runtime·gogo(buf) on g0's stack, as mstart's schedule() would."""
    g0 = G(proc.machine.space, g0_addr)
    sp = g0.sched.sp - 16
    space = proc.machine.space
    space.store(sp, 8, 0)  # return PC (never used)
    space.store(sp + 8, 8, buf_addr)  # gogo's argument
    space.store(proc.machine.g_slot(cpu), 8, g0_addr)
    cpu.set_reg("rsp", sp)
    cpu.set_reg("r14", g0_addr)
    cpu.set_reg("rip", proc.machine.image.symbols["runtime.gogo"].addr)


def _call_runtime(proc: Process, uc, mp: M | None, fn: Callable[[], Gobuf | None], frame: Frame | None = None):  # type: ignore[no-untyped-def]
    """Run a runtime function for the M on this CPU (called at frame, for a gate); returns (ok,
    its result). A sleeping M's CPU stops; a panic, a throw or a deadlock end the program in
    Go's words."""
    space = proc.machine.space
    try:
        return True, fn()
    except Blocked:
        _stop(proc, uc)
    except GoPanic as p:
        assert mp is not None  # only a goroutine's call into the runtime panics
        _die(proc, uc, _gopanic(proc, mp, [f"panic: {p}"], proc.runtime.curg(mp), **_call_site(frame)))
    except LimitReached as e:  # where the call returns to; sysmon (its schedtrace lines) has no CPU
        _die(proc, uc, [_stopped(proc, str(e), frame.return_pc if frame else _pc(uc) if uc else None)])
    except MemoryFault as f:  # the runtime's own code faulted (a bad pointer the program gave it)
        _die(proc, uc, ["fatal error: unexpected signal during runtime execution",
                        *_startpanic(proc, mp, THROW_RUNTIME),  # pc: the runtime function's gate
                        f"[signal SIGSEGV: segmentation violation code=0x1 addr={f.addr:#x} pc={_pc(uc):#x}]",
                        *_running(proc, mp, frame)])  # fmt: skip
    except OutOfMemory as e:  # mallocgc's message, then its throw
        _die(proc, uc, [f"runtime: out of memory: {e}", "fatal error: out of memory",
                        *_startpanic(proc, mp, THROW_RUNTIME), *_running(proc, mp, frame)])  # fmt: skip
    except Deadlock as t:
        _die(proc, uc, [f"fatal error: {t}", *_startpanic(proc, mp, THROW_USER), *_others(proc)])
    except Throw as t:
        if t.g:
            where = ["", *traceback.goroutine(proc.machine.image, space, G(space, t.g))]
        else:  # thrown in a call the goroutine made on its own stack (not on g0, like newstack)
            where = _running(proc, mp, frame) if _on_curg_stack(proc, mp, frame) else []
        _die(proc, uc, [f"fatal error: {t}", *_startpanic(proc, mp, THROW_RUNTIME), *where])
    except Exception as e:  # a bug in goemu's runtime: say so, without a Python traceback
        _die(proc, uc, [f"fatal error: goemu internal error in the runtime: {type(e).__name__}: {e}"])
    return False, None


def _pc(uc) -> int:  # type: ignore[no-untyped-def]
    """The CPU's pc, or 0 for the runtime's work between slices (sysmon), which has none."""
    return uc.reg_read(x86.UC_X86_REG_RIP) if uc is not None else 0


def _on_curg_stack(proc: Process, mp: M | None, frame: Frame | None) -> bool:
    """Whether the runtime call at frame was made by m.curg on its own stack."""
    if mp is None or not mp.curg or frame is None:
        return False
    stack = G(proc.machine.space, mp.curg).stack
    return stack.lo <= frame.sp < stack.hi


def _running(proc: Process, mp: M | None, frame: Frame | None) -> list[str]:
    """A blank line and the traceback of the goroutine that called into the runtime, if any."""
    return ["", *_caller(proc, mp, frame)] if mp is not None and mp.curg else []


def _gopanic(proc: Process, mp: M, message: list[str], g: G | None, **at: Any) -> list[str]:
    """A panic's output: its message, then g's traceback from `at` (traceback.goroutine's
    arguments). Unless gopanic's first walk up the stack (addOneOpenDeferFrame) meets a function
    that writes SP: it cannot follow SP there and throws."""
    image, space = proc.machine.image, proc.machine.space
    if g is None:
        return [*_startpanic(proc, mp), *message]
    where = ["", *traceback.goroutine(image, space, g, **at)]
    spwrite = traceback.spwrite_function(image, space, g, **at)
    if spwrite is not None:
        return [f"traceback: unexpected SPWRITE function {spwrite}", "fatal error: traceback",
                *_startpanic(proc, mp, THROW_RUNTIME), *where]  # fmt: skip
    return [*_startpanic(proc, mp), *message, *where]


def _caller(proc: Process, mp: M, frame: Frame | None) -> list[str]:
    """The traceback of the goroutine that called into the runtime at frame."""
    return traceback.goroutine(proc.machine.image, proc.machine.space, proc.runtime.curg(mp), **_call_site(frame))


def _call_site(frame: Frame | None) -> dict[str, int]:
    """traceback.goroutine's start for a goroutine that called into the runtime at frame: its
    caller as it is once the call returns (without a frame: nothing, so from its g.sched)."""
    return {} if frame is None else {"pc": frame.return_pc, "sp": frame.sp + 8, "bp": frame.bp}


def _install_hooks(proc: Process, cpu: CPU) -> None:
    uc = cpu.uc
    space = proc.machine.space
    if proc.on_insn is not None:
        counter = proc.on_insn(cpu)
        proc.hooks.append(counter)
        uc.hook_add(UC_HOOK_CODE, counter, None, 1, 0)
    if proc.counter is not None:
        on_block = proc.counter.hook(cpu)
        proc.hooks.append(on_block)
        uc.hook_add(UC_HOOK_BLOCK, on_block, None, 1, 0)

    def on_syscall(uc, _data):  # type: ignore[no-untyped-def]
        nr = uc.reg_read(x86.UC_X86_REG_RAX)
        args = [uc.reg_read(r) for r in (x86.UC_X86_REG_RDI, x86.UC_X86_REG_RSI, x86.UC_X86_REG_RDX)]
        mp = proc.runtime.allm[cpu.index]
        try:
            ret = syscalls.dispatch(proc, mp, nr, args)
        except LimitReached as e:  # the program stops at the SYSCALL
            _die(proc, uc, [_stopped(proc, str(e), uc.reg_read(x86.UC_X86_REG_RIP))])
            return
        if ret is None:  # the process exits, or the thread sleeps
            _stop(proc, uc)
            if proc.status is not None:
                return
            ret = 0
        uc.reg_write(x86.UC_X86_REG_RAX, ret & ((1 << 64) - 1))

    # The M's TLS block as words: tls[sp_word] is the gate's SP slot (FS:-16), and so on.
    view, off = space.locate(cpu.tls_block, TLS_BLOCK)
    tls = view[off : off + TLS_BLOCK].cast("Q")
    sp_word, bp_word, g0sp_word, switch_word = (
        (TLS_BLOCK + fs_offset(slot)) // 8 for slot in (SLOT_SP, SLOT_BP, SLOT_G0SP, SLOT_SWITCH)
    )

    def on_gate(uc, address, _size, _data):  # type: ignore[no-untyped-def]
        target = proc.gates.get(address)
        if isinstance(target, str) or target is None:  # CALLed directly: no stub, no SLOT_SP
            proc.status = -1
            what = target or f"gate page address {address:#x}"
            proc.stderr.write(f"goemu: {what} is not implemented yet (runtime gate)\n".encode())
            uc.emu_stop()
            return
        sp = tls[sp_word]
        if not sp:  # this call's Python ran, then the slice ended (or timed out): go on to its answer
            return
        mp = proc.runtime.allm[cpu.index]  # M i runs on CPU i
        frame = Frame(space, sp, tls[bp_word])
        ok, buf = _call_runtime(proc, uc, mp, lambda: target(proc.runtime, mp, frame), frame)
        if not ok:  # an M blocked in the call (lock) runs it again when woken: SLOT_SP stays
            return
        tls[sp_word] = 0  # answered: the stub writes it anew at the next call
        if buf is not None:
            g0sp = G(space, mp.g0).sched.sp - 16
            space.store(g0sp + 8, 8, buf.addr)
            tls[g0sp_word] = g0sp
            tls[switch_word] = 1
        if not proc.fast and proc.runtime.several_awake():
            # Ms meet only in the runtime: ending the slice at each call lets the other CPUs
            # catch up, so their races resolve as on parallel hardware, in a fixed order. (--fast
            # has no order to keep: its Ms take turns by time, and a restart costs a timer thread.)
            _stop(proc, uc)

    def on_invalid(uc, access, address, _size, _value, _data):  # type: ignore[no-untyped-def]
        proc.fault = (access, address)
        return False

    def on_interrupt(uc, intno, _data):  # type: ignore[no-untyped-def]
        proc.trap = traps.interrupt(space, intno, uc.reg_read(x86.UC_X86_REG_RIP))
        uc.emu_stop()

    def on_privileged(uc, address, _size, _data):  # type: ignore[no-untyped-def]
        if address in proc.privileged:  # stopped before it runs: Unicorn would let it
            proc.trap = traps.general_protection(address)
            uc.emu_stop()

    gate_end = GATE_BASE + len(proc.gates) * GATE_SLOT - 1
    proc.hooks += [on_syscall, on_gate, on_invalid, on_interrupt, on_privileged]
    uc.hook_add(UC_HOOK_INSN, on_syscall, None, 1, 0, x86.UC_X86_INS_SYSCALL)
    # A block hook: each trigger is a translation block of one instruction (reached by a jump),
    # so it runs where a code hook would, and a ranged code hook slows every instruction by ~30%.
    # Under the debugger, whose per-instruction hook must see the gate's jump before the gate's
    # Python runs (its positions count it), a code hook: it runs after that one.
    uc.hook_add(UC_HOOK_CODE if proc.on_insn else UC_HOOK_BLOCK, on_gate, None, GATE_BASE, gate_end)
    uc.hook_add(UC_HOOK_MEM_INVALID, on_invalid)
    uc.hook_add(UC_HOOK_INTR, on_interrupt)
    if proc.privileged:  # a code hook, which slows every instruction in its range: only if needed
        uc.hook_add(UC_HOOK_CODE, on_privileged, None, min(proc.privileged), max(proc.privileged))


def _stop(proc: Process, uc) -> None:  # type: ignore[no-untyped-def]
    """End the CPU's slice at the current instruction (before it executes)."""
    proc.stopped_early = True
    uc.emu_stop()


def _die(proc: Process, uc, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
    """End the program with Go's fatal output on standard error and exit status 2."""
    proc.status = -1
    proc.stderr.write(("\n".join(lines) + "\n").encode())
    if uc is not None:
        uc.emu_stop()


THROW_USER, THROW_RUNTIME = 1, 2  # throwType: fatal() (the program's fault), throw() (the runtime's)


def _startpanic(proc: Process, mp: M | None, throwing: int = 0) -> list[str]:
    """startpanic_m on the dying M (it counts a malloc, is dying, holds paniclk; fatalthrow has
    set m.throwing), and with GODEBUG schedtrace or scheddetail set, the scheduler's state as
    schedtrace(true) prints it there (sched.lock held too)."""
    rt = proc.runtime
    if mp is not None:
        mp.throwing = mp.throwing or throwing
        mp.mallocing += 1
        mp.dying = 1
        mp.locks += 1
    if rt.debug.schedtrace <= 0 and rt.debug.scheddetail <= 0:
        return []
    if mp is not None:
        mp.locks += 1
    out = schedtrace.lines(rt, detailed=True)
    if mp is not None:
        mp.locks -= 1
    return out


def _others(proc: Process, current: int = 0) -> list[str]:
    """Every live goroutine's traceback but the current one's, each after a blank line
    (tracebackothers)."""
    out: list[str] = []
    for g in (G(proc.machine.space, a) for a in proc.runtime.allgs if a != current):
        if g.atomicstatus != const._Gdead and not proc.runtime.is_system_goroutine(g):
            out += ["", *traceback.goroutine(proc.machine.image, proc.machine.space, g)]
    return out


def run_process(proc: Process, limits: Limits) -> int:
    """Run the program to its exit; its exit status (2 for a fatal error or a limit reached)."""
    status = advance(proc, limits)
    assert status is not None  # no budget and no breakpoint hook: only the exit ends the run
    return status


def advance(proc: Process, limits: Limits, budget: int | None = None) -> int | None:
    """Run the Ms round-robin, a slice of SLICE instructions each per round (less if sysmon wakes
    sooner), in the order they were created, until the program exits: returns its status. The
    clock advances by a slice per round (the CPUs run in parallel); sysmon runs between rounds once
    the clock reaches its wake time; when every M sleeps the clock jumps to the earliest deadline
    one waits for (or to sysmon's wake time). A signal sent to an M is handled before its next
    slice. With --fast, slices are FAST_SLICE_US of host time (FAST_SLICE_INSNS instructions if
    the image has an instruction a timeout could run twice) and sleeping waits for the host's clock.

    The debugger runs the same rounds in pieces: with a budget (instructions, counted exactly by
    its per-instruction hook, proc.counted) or when its hook breaks (proc.break_request), this
    returns None right after the last instruction run, and the next call goes on from there
    (proc.round), so a run stopped any number of times executes exactly as one that is not."""
    rt, cpus, rnd = proc.runtime, proc.machine.cpus, proc.round
    while proc.status is None:
        if not rnd.length:
            _sysmon(proc)
            _stamp(proc, 0)
            if proc.status is not None:
                break
            if proc.counter is not None:
                proc.counter.start_round()
            # A round ends when sysmon wakes, so that it looks at the Ps on time.
            rnd.length = max(1, min(SLICE, rt.sysmon.wake - rt.clock)) if rt.sysmon.wake else SLICE
            rnd.next = rnd.left = 0
            rnd.ran = rnd.full = False
        while rnd.next < len(cpus) and proc.status is None:
            cpu, mp = cpus[rnd.next], rt.allm[rnd.next]
            if not rnd.left:
                signals.deliver(proc.machine, rt, cpu, mp)
                if mp.addr in rt.parked and not _wake(proc, cpu, mp):
                    rnd.next += 1
                    continue
                if proc.status is not None:
                    break
                if limits.timeout and time.monotonic() - proc.started > limits.timeout:
                    return _limit_reached(proc, cpu, f"--timeout {limits.timeout:g}s")
                rnd.left = min(rnd.length, limits.max_insns - proc.executed) if limits.max_insns else rnd.length
                if rnd.left <= 0:
                    return _limit_reached(proc, cpu, f"--max-insns {limits.max_insns} instructions")
            if budget is not None and budget <= 0:
                return None
            stop = _run_piece(proc, cpu, budget)
            rnd.ran = True
            if proc.interrupted:
                raise KeyboardInterrupt
            if stop.pc == NEVER and proc.trap is None:  # a jump there ends emu_start, not a fetch fault
                proc.trap = traps.general_protection(NEVER)
            if stop.error is not None or proc.trap is not None:
                return _fault(proc, cpu, stop)
            if proc.break_request:
                return None
            if budget is not None:
                budget -= stop.counted
        if proc.status is not None:
            break
        ran, full, length = rnd.ran, rnd.full, rnd.length
        rnd.length = 0
        if ran:
            # The CPUs ran in parallel: a round lasts a slice, or a runtime call's worth when
            # every M stopped at one.
            duration = (length if full else min(length, CALL_INSNS)) * NS_PER_INSN
            _stamp(proc, duration)
            rt.clock += duration
            if proc.progress is not None:
                proc.progress.update(proc.executed, rt.nanotime() - CLOCK_START)
            continue
        _stamp(proc, 0)
        deadline = rt.next_deadline()
        if not deadline and rt.frozen_aside:  # goemu debug: only frozen goroutines could run
            proc.break_request = True
            return None
        if not deadline:
            _die(proc, None, ["fatal error: goemu: every M sleeps and nothing can wake one"])
            break
        if rt.sysmon.wake:
            deadline = min(deadline, rt.sysmon.wake)
        if proc.interrupted:
            raise KeyboardInterrupt
        left = limits.timeout - (time.monotonic() - proc.started) if limits.timeout else math.inf
        if left <= 0:  # every M sleeps: no CPU to say where it stands
            proc.stderr.write(f"goemu: stopped after --timeout {limits.timeout:g}s (every M asleep)\n".encode())
            return 2
        if proc.fast:
            time.sleep(min(max(0, deadline - rt.nanotime()) / 1e9, left))
        else:
            rt.clock = max(rt.clock, deadline)
    return 2 if proc.status < 0 else proc.status


@dataclass
class Piece:
    pc: int
    error: object | None
    counted: int  # instructions run, exact when proc.counted is kept by a per-instruction hook


def _run_piece(proc: Process, cpu: CPU, budget: int | None) -> Piece:
    """Run the current slice on, all of what is left of it or `budget` instructions; the slice
    is over once all of it has run or it ended early at a runtime call (proc.round.next moves on)."""
    rnd = proc.round
    if proc.fast:
        if proc.timeouts:
            stop = cpu.run(cpu.reg("rip"), NEVER, timeout_us=FAST_SLICE_US)
        else:
            stop = cpu.run(cpu.reg("rip"), NEVER, count=FAST_SLICE_INSNS)
        rnd.left, rnd.next = 0, rnd.next + 1
        return Piece(stop.pc, stop.error, 0)
    count = rnd.left if budget is None else min(rnd.left, budget)
    proc.stopped_early = proc.break_request = False
    before = proc.counted
    if proc.counter is not None:
        total = proc.counter.total[cpu.index]
    stop = cpu.run(cpu.reg("rip"), NEVER, count=count)
    if proc.counter is not None:
        whole = not (proc.stopped_early or proc.break_request or stop.error)
        proc.counter.piece_done(cpu.index, total, count, whole, stop.pc)
    counted = proc.counted - before if proc.on_insn else count
    if proc.stopped_early or proc.break_request:
        # Unicorn does not tell how many instructions ran: without the debugger's count, a slice
        # that ended at a runtime call counts as a call's worth (deterministic either way).
        proc.executed += counted if proc.on_insn else min(count, CALL_INSNS)
        rnd.left -= counted
    else:
        proc.executed += count
        rnd.left -= count
        rnd.full = rnd.full or rnd.left == 0
    if proc.stopped_early or rnd.left <= 0:
        rnd.left, rnd.next = 0, rnd.next + 1
    return Piece(stop.pc, stop.error, counted)


def _stamp(proc: Process, duration: int) -> None:
    """The round that began at the clock lasted `duration`: time-stamp the trace events it made."""
    trace = proc.runtime.trace
    if trace is not None and trace.pending:
        trace.stamp(proc.runtime.clock, duration, proc.counter.longest() if proc.counter else 0)


def _sysmon(proc: Process) -> None:
    """Run sysmon's loop for every wake time the clock has reached."""
    rt = proc.runtime
    while proc.status is None and rt.sysmon.wake and rt.nanotime() >= rt.sysmon.wake:
        _call_runtime(proc, None, None, lambda: sysmon.tick(rt))


def _limit_reached(proc: Process, cpu: CPU, what: str) -> int:
    """Stop the program, saying where the CPU next to run stands."""
    proc.stderr.write((_stopped(proc, what, cpu.reg("rip")) + "\n").encode())
    return 2


def _stopped(proc: Process, what: str, pc: int | None) -> str:
    """`goemu: stopped after <what> (pc=0x401034 main.main+0x34)`, or `(in sysmon)` without a pc."""
    if pc is None:
        return f"goemu: stopped after {what} (in sysmon)"
    sym = proc.machine.image.symbol_at(pc)
    where = "" if sym is None else f" {sym.name}" + (f"+{pc - sym.addr:#x}" if pc > sym.addr else "")
    return f"goemu: stopped after {what} (pc={pc:#x}{where})"


def _output(stdout: BinaryIO, stderr: BinaryIO, limit: int) -> Callable[[int, bytes], int]:
    """The runtime's write to fd 1 or 2; past `limit` bytes in all (0: none) it writes what fits
    and stops the program (LimitReached)."""
    written = 0

    def write(fd: int, data: bytes) -> int:
        nonlocal written
        stream = stdout if fd == 1 else stderr
        if limit and written + len(data) > limit:
            kept = data[: limit - written]
            _write(stream, kept + b"\n" if fd == 2 and kept and not kept.endswith(b"\n") else kept)
            written = limit  # the message that follows on standard error starts a line of its own
            raise LimitReached(f"--max-output {limit} bytes")
        written += len(data)
        return _write(stream, data)

    return write


def _write(stream: BinaryIO, data: bytes) -> int:
    """Write to the host's stream: 0, or -errno as the write system call would return it (a full
    disk, a closed pipe), which the program sees and println ignores. Flushed at once: each write
    of Go's reaches the file (or pipe) when it is made."""
    try:
        stream.write(data)
        stream.flush()
    except OSError as e:
        return -(e.errno or EIO)
    return 0


def _wake(proc: Process, cpu: CPU, mp: M) -> bool:
    """Let a sleeping M whose wait is over run again: into gogo to the G it picked, or on from
    where its CPU stopped. False if it sleeps on."""
    rt = proc.runtime
    if not rt.woken(mp):
        return False
    ok, buf = _call_runtime(proc, cpu.uc, mp, lambda: rt.wake(mp))
    if not ok:
        return False
    if buf is not None:
        _enter_gogo(proc, cpu, mp.g0, buf.addr)
    return True


SIGNAL_NAMES = {  # sigtable's names
    "SIGSEGV": "SIGSEGV: segmentation violation",
    "SIGFPE": "SIGFPE: floating-point exception",
    "SIGILL": "SIGILL: illegal instruction",
    "SIGTRAP": "SIGTRAP: trace trap",
}
USER_CS = 0x33  # the code segment selector of a Linux user thread, as dumpregs prints it
DUMPREGS = ("rax", "rbx", "rcx", "rdx", "rdi", "rsi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
            "r14", "r15", "rip", "rflags")  # fmt: skip


def _fault(proc: Process, cpu: CPU, stop: Piece) -> int:
    """A CPU exception in Go's words: sigpanic's panic or throw (SIGSEGV, SIGFPE), or the dump of
    a fatal signal (SIGILL, SIGTRAP); exit status 2."""
    trap = proc.trap or _memory_trap(proc, stop)
    mp = proc.runtime.allm[cpu.index]
    space, image = proc.machine.space, proc.machine.image
    gaddr = space.load(proc.machine.g_slot(cpu), 8)  # the signal handler's g: TLS's, whatever R14 holds
    g = G(space, gaddr) if space.region_at(gaddr) else None
    sp, bp = cpu.reg("rsp"), cpu.reg("rbp")
    if trap.signal in ("SIGILL", "SIGTRAP"):
        here = [] if g is None else traceback.fault(image, space, g, trap.pc, sp, bp, fatal=True)
        lines = [*_startpanic(proc, mp, THROW_RUNTIME), SIGNAL_NAMES[trap.signal],
                 f"PC={trap.pc:#x} m={mp.id} sigcode={trap.code}", *_instruction_bytes(space, trap), "",
                 *here, *_others(proc, gaddr), "", *_dumpregs(cpu)]  # fmt: skip
    else:
        signal = f"[signal {SIGNAL_NAMES[trap.signal]} code={trap.code:#x} addr={trap.addr:#x} pc={trap.pc:#x}]"
        at = {"pc": trap.pc, "return_pc": False, "sp": sp, "bp": bp}
        if (unusable := _preparePanic_faults(space, proc.runtime.syms.functab, trap.pc, sp)) is not None:
            lines = [f"goemu: {SIGNAL_NAMES[trap.signal]} at pc={trap.pc:#x} with SP={sp:#x}: Go's signal handler "
                     f"cannot {unusable}; it faults in turn and the kernel kills the process with SIGSEGV, "
                     "before Go prints anything"]  # fmt: skip
        elif trap.signal == "SIGFPE":
            lines = _gopanic(proc, mp, ["panic: runtime error: integer divide by zero", signal], g, **at)
        elif trap.code in (1, 2) and trap.addr < 0x1000:  # SEGV_MAPERR, SEGV_ACCERR
            nil = "panic: runtime error: invalid memory address or nil pointer dereference"
            lines = _gopanic(proc, mp, [nil, signal], g, **at)
        else:
            lines = [f"unexpected fault address {trap.addr:#x}", "fatal error: fault",
                     *_startpanic(proc, mp, THROW_RUNTIME), signal]  # fmt: skip
            if g is not None:
                lines += ["", *traceback.fault(image, space, g, trap.pc, sp, bp)]
    proc.stderr.write(("\n".join(lines) + "\n").encode())
    return 2


def _preparePanic_faults(space, table: Functab, pc: int, sp: int) -> str | None:  # type: ignore[no-untyped-def]
    """What preparePanic cannot do on the faulting goroutine's stack, if anything: it reads the
    word at SP, then (shouldPushSigpanic) pushes the pc as sigpanic's return address, unless pc
    is 0 or outside every function with a return address at SP that is not."""
    if not _accessible(space, sp, "r"):
        return "read the word at SP"
    push = pc != 0 and (table.findfunc(pc) is not None or table.findfunc(space.load(sp, 8)) is None)
    if push and not _accessible(space, sp - 8, "w"):
        return "push sigpanic's return address"
    return None


def _accessible(space, addr: int, perm: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether the word at addr may be accessed so (r, w) without a fault."""
    region = space.region_at(addr)
    return region is not None and perm in region.perms and addr + 8 <= region.end


def _memory_trap(proc: Process, stop: Piece) -> traps.Trap:
    """The trap of a run that Unicorn ended with an error: an invalid opcode or a memory access."""
    if getattr(stop.error, "errno", None) == UC_ERR_INSN_INVALID:
        return traps.invalid_opcode(stop.pc)
    if not traps.canonical(stop.pc):  # a jump there: the CPU's general-protection fault
        return traps.general_protection(stop.pc)
    access, addr = proc.fault or (UC_MEM_FETCH_UNMAPPED, stop.pc)
    if access in (UC_MEM_FETCH_UNMAPPED, UC_MEM_FETCH_PROT):
        addr = stop.pc  # Unicorn reports the low 48 bits of the address only
    return traps.Trap("SIGSEGV", 0x2 if access in _PROT_ACCESS else 0x1, addr, stop.pc)  # SEGV_ACCERR / MAPERR


def _instruction_bytes(space, trap: traps.Trap) -> list[str]:  # type: ignore[no-untyped-def]
    """sighandler's `instruction bytes:` line for SIGILL: the 16 bytes at the pc (fewer if the
    page ends first)."""
    if trap.signal != "SIGILL":
        return []
    n = 16
    region = space.region_at(trap.pc)
    if region is not None:
        n = min(n, region.end - trap.pc)
    data = space.read(trap.pc, n) if region is not None else b""
    return ["instruction bytes:" + "".join(f" {b:#x}" for b in data)]


def _dumpregs(cpu: CPU) -> list[str]:
    """dumpregs: the general registers, rip, rflags and the segment selectors."""
    regs = [(name, cpu.reg(name)) for name in DUMPREGS] + [("cs", USER_CS), ("fs", 0), ("gs", 0)]
    return [f"{name:<7}{value:#x}" for name, value in regs]


@dataclass
class Observe:
    """What `goemu run` records besides the program's output."""

    trace: str | TextIO | None = None  # --trace: the JSON file's path (made once the program
    # assembled), or a stream open for writing
    stats: bool = False  # --stats


def run(
    files: list[str],
    options: Options | None,
    limits: Limits,
    stdout: BinaryIO,
    stderr: BinaryIO,
    config: Config | None = None,
    observe: Observe | None = None,
) -> int:
    image, gates = build(files, options)
    observe = observe or Observe()
    if not isinstance(observe.trace, str):
        return _run_image(image, gates, " ".join(files), limits, stdout, stderr, config, observe)
    try:
        f = open(observe.trace, "w", encoding="utf-8")
    except OSError as e:
        stderr.write(f"goemu run: cannot write the trace: {observe.trace}: {e.strerror}\n".encode())
        return 2
    with f:
        return _run_image(image, gates, " ".join(files), limits, stdout, stderr, config, replace(observe, trace=f))


def _run_image(image, gates: dict[str, int], program: str, limits: Limits, stdout: BinaryIO, stderr: BinaryIO, config: Config | None, observe: Observe) -> int:  # type: ignore[no-untyped-def]
    progress = Progress(stderr) if on_terminal(stderr) and not (config and config.fast) else None
    if progress is not None:
        stdout, stderr = progress.guard(stdout), progress.guard(stderr)  # type: ignore[assignment]
    tracing = observe.trace is not None or observe.stats
    started = time.monotonic()
    try:
        proc = boot(image, gates, stdout, stderr, config, tracing=tracing)
    except Throw as t:
        stderr.write(f"fatal error: {t}\n".encode())
        return 2
    except OutOfMemory as e:  # --max-memory below what the runtime takes to start
        stderr.write(f"runtime: out of memory: {e}\nfatal error: out of memory\n".encode())
        return 2
    proc.progress = progress
    rt = proc.runtime
    writer = stats = None
    if rt.trace is not None and observe.trace is not None:
        assert not isinstance(observe.trace, str)
        other = {"generator": "goemu", "program": program, "gomaxprocs": rt.gomaxprocs, "clock": "virtual"}
        writer = TraceWriter(observe.trace, other, CLOCK_START)
        rt.trace.consumers.append(writer.consume)
    if rt.trace is not None and observe.stats:
        stats = Stats()
        rt.trace.consumers.append(stats.consume)
    try:
        proc.started = time.monotonic()
        with _interruptible(proc):
            return run_process(proc, limits)
    finally:
        if progress is not None:
            progress.erase()
        if rt.trace is not None and proc.counter is not None:
            end = rt.clock + proc.counter.longest()  # the round the program ended in, so far
            _stamp(proc, proc.counter.longest())
            if writer is not None:
                writer.close(end)
            if stats is not None:
                insns = sum(proc.counter.total)
                wall = time.monotonic() - started
                table = stats.table(insns, end - CLOCK_START, wall, rt.arena.used, rt.stacks.used)
                stderr.write(table.encode())
        stdout.flush()
        stderr.flush()
        proc.machine.close()


@contextmanager
def _interruptible(proc: Process) -> Iterator[None]:
    """Ctrl-C stops the CPUs and lets the run loop raise KeyboardInterrupt. Python's own handler
    would raise it inside whatever hook runs at the time, and ctypes swallows an exception raised
    in a Unicorn callback ("Exception ignored"), so the program would run on."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(_signum: int, _frame: object) -> None:
        proc.interrupted = True
        for cpu in proc.machine.cpus:
            cpu.uc.emu_stop()

    previous = host_signal.signal(host_signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        host_signal.signal(host_signal.SIGINT, previous)


def silence(stream: TextIO | BinaryIO) -> None:
    """Point the stream's descriptor at /dev/null (a closed pipe, a full disk), so that the
    interpreter's own flush at exit does not fail again over what is still buffered (Python's
    advice for SIGPIPE)."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main_streams() -> tuple[BinaryIO, BinaryIO]:
    return sys.stdout.buffer, sys.stderr.buffer
