"""`goemu run`: assemble and link the program with the runtime, boot it, run it to its exit.

Data flow (DESIGN.md): the program's files and runtime/*.s are linked into one image; runtime
functions the image calls but no assembly defines live on the gate page, where a code hook limited
to that page hands them to Python; the runtime's rt0_go builds m0, g0, P0 and the main goroutine in
guest memory, and schedule() returns the gobuf the CPU enters through the assembled gogo.

One M with one P for now: runtime functions written in Python (runtime/gates.py), system calls
write and exit_group, panics, deadlock and faults in Go's words. A runtime function the program
calls that goemu does not implement yet stops it with a message naming it.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from unicorn import (
    UC_HOOK_CODE,
    UC_HOOK_INSN,
    UC_HOOK_MEM_INVALID,
    UC_MEM_FETCH_PROT,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_READ_PROT,
    UC_MEM_WRITE_PROT,
)
from unicorn import x86_const as x86

import runtime.api  # noqa: F401  (registers the gates)
from asm import AsmError, Object, Options, Pos, assemble_file, link
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
)
from runtime.layout import G, const
from runtime.malloc import Arena
from runtime.memory import MemoryFault
from runtime.proc import G0_STACK_SIZE, Deadlock, GoPanic, Runtime, Symbols, Throw
from runtime.stubs import assemble_stubs

from . import traceback
from .machine import CPU, Machine
from .memory import ARENA_BASE, G0_STACKS_BASE, GATE_BASE, PAGE

ARENA_SIZE = 16 << 30  # mapped NORESERVE: only the pages touched cost host memory
GATE_SLOT = 16  # bytes per gate function on the gate page
SLICE = 100_000  # instructions per emu_start in deterministic mode
NEVER = 1 << 63  # emu_start's `until`: a non-canonical address no instruction is ever at (0 would
# stop a jump to address 0 silently instead of faulting)
SYS_WRITE, SYS_EXIT_GROUP = 1, 231
ENOSYS, EBADF = 38, 9
_PROT_ACCESS = (UC_MEM_READ_PROT, UC_MEM_WRITE_PROT, UC_MEM_FETCH_PROT)


@dataclass
class Limits:
    max_insns: int = 0  # 0: no limit


@dataclass
class Process:
    """One run of a program: the machine, the runtime over its memory, and what the program wrote."""

    machine: Machine
    runtime: Runtime
    gates: dict[int, GateFn | str]  # trigger address -> Python function, or the name of a missing one
    stdout: BinaryIO
    stderr: BinaryIO
    status: int | None = None
    fault: tuple[int, int] | None = None  # (access, address) of the last invalid memory access
    executed: int = 0
    hooks: list[Callable] = field(default_factory=list)  # keeps Unicorn's callbacks alive


def gate_symbols(objects: list[Object]) -> dict[str, int]:
    """A trigger address on the gate page for every gate (by its trigger symbol), and for every
    runtime symbol the objects reference that nothing defines (reaching one is reported)."""
    defined = {t.name for o in objects for t in o.texts} | {d.name for o in objects for d in o.datas}
    referenced = {r.symbol for o in objects for s in (*o.texts, *o.datas) for r in s.relocs if r.symbol}
    names = sorted(entries())
    names += sorted(n for n in referenced - defined if n.startswith("runtime."))
    return {name: GATE_BASE + i * GATE_SLOT for i, name in enumerate(names)}


def build(files: list[str], options: Options | None = None):  # type: ignore[no-untyped-def]
    objects = [assemble_file(f, options) for f in files] + assemble_stubs()
    gates = gate_symbols(objects)
    image = link(objects, externals=gates)
    if "main.main" not in image.symbols:
        raise AsmError("function main is undeclared in the main package (no TEXT main·main(SB))", Pos("", 0))
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


def boot(image, gates: dict[str, int], stdout: BinaryIO, stderr: BinaryIO, gomaxprocs: int = 1) -> Process:  # type: ignore[no-untyped-def]
    m = Machine(image, ncpu=1)
    page = _gate_page(image, gates)
    m.map("gates", GATE_BASE, len(page), "rx")
    m.space.write(GATE_BASE, page)
    m.map("arena", ARENA_BASE, ARENA_SIZE, "rw")
    m.map("g0stacks", G0_STACKS_BASE, len(m.cpus) * G0_STACK_SIZE, "rw")
    syms = Symbols(
        goexit=image.symbols["runtime.goexit"].addr,
        main_pc=image.symbols["runtime.mainPC"].addr,
        resume={g.name: image.symbols[resume_symbol(g.name)].addr for g in GATES.values() if g.resume},
        system_pcs=frozenset(
            s.addr for s in image.funcs if s.name.startswith("runtime.") and s.name != "runtime.main"
        ),
    )
    rt = Runtime(m.space, Arena(ARENA_BASE, ARENA_SIZE), syms, G0_STACKS_BASE, gomaxprocs=gomaxprocs)
    rt.write = lambda fd, data: (stdout if fd == 1 else stderr).write(data)
    handlers = entries()
    by_trigger = {a: handlers.get(n, n) for n, a in gates.items()}
    proc = Process(m, rt, by_trigger, stdout, stderr)
    cpu = m.cpus[0]
    _install_hooks(proc, cpu)
    m0 = rt.rt0_go()
    buf = rt.schedule(m0)
    _enter_gogo(proc, cpu, m0.g0, buf.addr)
    return proc


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


def _install_hooks(proc: Process, cpu: CPU) -> None:
    uc = cpu.uc

    def on_syscall(uc, _data):  # type: ignore[no-untyped-def]
        nr = uc.reg_read(x86.UC_X86_REG_RAX)
        a1, a2, a3 = (uc.reg_read(r) for r in (x86.UC_X86_REG_RDI, x86.UC_X86_REG_RSI, x86.UC_X86_REG_RDX))
        if nr == SYS_WRITE:
            ret = _sys_write(proc, a1, a2, a3)
        elif nr == SYS_EXIT_GROUP:
            proc.status = a1 & 0xFF
            uc.emu_stop()
            return
        else:
            ret = -ENOSYS
        uc.reg_write(x86.UC_X86_REG_RAX, ret & ((1 << 64) - 1))

    space = proc.machine.space

    def slot(off: int) -> int:
        return cpu.fs_base + fs_offset(off)

    def on_gate(uc, address, _size, _data):  # type: ignore[no-untyped-def]
        target = proc.gates.get(address)
        if isinstance(target, str) or target is None:
            proc.status = -1
            what = target or f"gate page address {address:#x}"
            proc.stderr.write(f"goemu: {what} is not implemented yet (runtime gate)\n".encode())
            uc.emu_stop()
            return
        sp, bp = space.load(slot(SLOT_SP), 8), space.load(slot(SLOT_BP), 8)
        mp = proc.runtime.allm[cpu.index]  # M i runs on CPU i
        frame = Frame(space, sp, bp)
        try:
            buf = target(proc.runtime, mp, frame)
        except GoPanic as p:
            gp = proc.runtime.curg(mp)
            _die(proc, uc, [f"panic: {p}", "", *traceback.goroutine(proc.machine.image, space, gp, frame.return_pc)])
            return
        except Deadlock as t:
            _die(proc, uc, [f"fatal error: {t}", *_others(proc)])
            return
        except Throw as t:
            _die(proc, uc, [f"fatal error: {t}"])
            return
        except Exception as e:  # a bug in goemu's runtime: say so, without a Python traceback
            _die(proc, uc, [f"fatal error: goemu internal error in the runtime: {type(e).__name__}: {e}"])
            return
        if buf is not None:
            g0 = G(space, mp.g0)
            g0sp = g0.sched.sp - 16
            space.store(g0sp + 8, 8, buf.addr)
            space.store(slot(SLOT_G0SP), 8, g0sp)
            space.store(slot(SLOT_SWITCH), 8, 1)

    def on_invalid(uc, access, address, _size, _value, _data):  # type: ignore[no-untyped-def]
        proc.fault = (access, address)
        return False

    gate_end = GATE_BASE + len(proc.gates) * GATE_SLOT - 1
    proc.hooks = [on_syscall, on_gate, on_invalid]
    uc.hook_add(UC_HOOK_INSN, on_syscall, None, 1, 0, x86.UC_X86_INS_SYSCALL)
    uc.hook_add(UC_HOOK_CODE, on_gate, None, GATE_BASE, gate_end)
    uc.hook_add(UC_HOOK_MEM_INVALID, on_invalid)


def _die(proc: Process, uc, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
    """End the program with Go's fatal output on standard error and exit status 2."""
    proc.status = -1
    proc.stderr.write(("\n".join(lines) + "\n").encode())
    uc.emu_stop()


def _others(proc: Process) -> list[str]:
    """Every live goroutine's traceback, each after a blank line (tracebackothers)."""
    out: list[str] = []
    for g in (G(proc.machine.space, a) for a in proc.runtime.allgs):
        if g.atomicstatus != const._Gdead and not proc.runtime.is_system_goroutine(g):
            out += ["", *traceback.goroutine(proc.machine.image, proc.machine.space, g)]
    return out


def _sys_write(proc: Process, fd: int, p: int, n: int) -> int:
    """write(2) to the program's standard output and error only: the guest never touches files."""
    out = {1: proc.stdout, 2: proc.stderr}.get(fd)
    if out is None:
        return -EBADF
    try:
        data = proc.machine.space.read(p, n)
    except MemoryFault:
        return -14  # EFAULT
    out.write(data)
    return n


def run_process(proc: Process, limits: Limits) -> int:
    """Run the main M in slices of SLICE instructions until the program exits."""
    cpu = proc.machine.cpus[0]
    while proc.status is None:
        pc = cpu.reg("rip")
        budget = SLICE
        if limits.max_insns:
            budget = min(budget, limits.max_insns - proc.executed)
            if budget <= 0:
                proc.stderr.write(
                    f"goemu: stopped after --max-insns {limits.max_insns} instructions (pc={pc:#x})\n".encode()
                )
                return 2
        stop = cpu.run(pc, NEVER, count=budget)
        proc.executed += budget  # deterministic accounting: slices are counted whole
        if stop.error is not None:
            return _fault(proc, cpu, stop.pc)
    if proc.status < 0:
        return 2
    return proc.status


def _fault(proc: Process, cpu: CPU, pc: int) -> int:
    """A fault in Go's words (sigpanic): below 0x1000 a nil dereference panic, else a fatal fault."""
    access, addr = proc.fault or (UC_MEM_FETCH_UNMAPPED, pc)
    code = 0x2 if access in _PROT_ACCESS else 0x1  # SEGV_ACCERR / SEGV_MAPERR
    signal = f"[signal SIGSEGV: segmentation violation code={code:#x} addr={addr:#x} pc={pc:#x}]"
    if addr < 0x1000:
        lines = ["panic: runtime error: invalid memory address or nil pointer dereference", signal]
    else:
        lines = [f"unexpected fault address {addr:#x}", "fatal error: fault", signal]
    space, image = proc.machine.space, proc.machine.image
    gaddr = cpu.reg("r14")
    if space.region_at(gaddr):
        lines += ["", *traceback.goroutine(image, space, G(space, gaddr), pc, return_pc=False)]
    proc.stderr.write(("\n".join(lines) + "\n").encode())
    return 2


def run(files: list[str], options: Options | None, limits: Limits, stdout: BinaryIO, stderr: BinaryIO) -> int:
    image, gates = build(files, options)
    try:
        proc = boot(image, gates, stdout, stderr)
    except Throw as t:
        stderr.write(f"fatal error: {t}\n".encode())
        return 2
    try:
        return run_process(proc, limits)
    finally:
        stdout.flush()
        stderr.flush()
        proc.machine.close()


def main_streams() -> tuple[BinaryIO, BinaryIO]:
    return sys.stdout.buffer, sys.stderr.buffer
