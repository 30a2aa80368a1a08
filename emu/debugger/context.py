"""What the debugger shows at each stop, in the manner of pwndbg and gef: the registers (changed
ones marked), the Plan 9 disassembly around the pc with the source line, the top of the stack,
and which M, P and G the CPU is running and on whose stack SP is."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import capstone

from runtime.layout import G, P
from runtime.memory import MemoryFault, load

from ..machine import GP_REGS
from ..objdump import disassemble, symbol_lookup
from .engine import Engine
from .views import plan9_name, symbol_offset

SHOWN_REGS = GP_REGS[:-1]  # every general register, rip and rflags (fs_base is in `regs -a`)
FLAG_BITS = {0: "CF", 2: "PF", 4: "AF", 6: "ZF", 7: "SF", 8: "TF", 9: "IF", 10: "DF", 11: "OF"}
CODE_BEFORE, CODE_AFTER = 3, 6  # instructions shown around the pc
STACK_WORDS = 6


def flags(value: int) -> str:
    """rflags as gdb shows it: `[ ZF PF IF ]`."""
    names = [name for bit, name in sorted(FLAG_BITS.items(), reverse=True) if value >> bit & 1]
    return "[ " + " ".join(names) + " ]" if names else "[ ]"


def read_regs(engine: Engine, index: int) -> dict[str, int]:
    cpu = engine.cpu(index)
    return {name: cpu.reg(name) for name in GP_REGS}


RED, GREEN, RESET = "\x1b[31m", "\x1b[32m", "\x1b[0m"


def registers(engine: Engine, index: int, changed: frozenset[str], colour: bool = False) -> list[str]:
    """Three registers a line, `*` before the ones the last command changed (and red on a
    terminal)."""
    regs = read_regs(engine, index)
    cells = []
    for name in SHOWN_REGS:
        mark = "*" if name in changed else " "
        value = f"{regs[name]:#018x}"
        if name == "rip":
            value += f" <{symbolic(engine, regs[name])}>"
        elif name == "rflags":
            value = f"{regs[name]:#x} {flags(regs[name])}"
        cells.append(f"{mark}{name:<6} {value}")
    lines, row = [], []
    for cell in cells:
        row.append(cell)
        if len(row) == 3 or cell.lstrip("* ").startswith(("rip", "rflags")):
            padded = [f"{c:<25}" for c in row]
            if colour:
                padded = [f"{RED}{c}{RESET}" if c.startswith("*") else c for c in padded]
            lines.append("  ".join(padded).rstrip())
            row = []
    return lines


def symbolic(engine: Engine, pc: int) -> str:
    """`main·player+0x12`, `runtime·Gosched (gate)` on the gate page, or the bare address."""
    if pc in engine.gate_names:
        return plan9_name(engine.gate_names[pc]) + " (gate)"
    sym = engine.image.symbol_at(pc)
    return f"{pc:#x}" if sym is None else symbol_offset(sym, pc)


def instructions(engine: Engine, start: int, end: int, intel: bool = False) -> Iterator[tuple[int, str]]:
    """(pc, text) of the code in [start, end), read from guest memory (the gate page too)."""
    space = engine.proc.machine.space
    try:
        view, off = space.locate(start, end - start)
    except MemoryFault:
        return
    code = bytes(view[off : off + end - start])
    if intel:
        for insn in _capstone().disasm(code, start):
            yield insn.address, f"{insn.mnemonic} {insn.op_str}".strip()
        return
    for pc, _size, text in disassemble(code, start, _lookup(engine)):
        yield pc, text


@functools.cache
def _capstone() -> capstone.Cs:
    return capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)


def _lookup(engine: Engine):  # type: ignore[no-untyped-def]
    if not hasattr(engine, "_symname"):
        engine._symname = symbol_lookup(engine.image)  # type: ignore[attr-defined]
    return engine._symname  # type: ignore[attr-defined]


def function_bounds(engine: Engine, pc: int) -> tuple[int, int]:
    """The function holding pc, or the gate's slot on the gate page, or a few bytes around pc."""
    sym = engine.image.symbol_at(pc)
    if sym is not None and sym.section == "text":
        return sym.addr, sym.addr + sym.size
    if pc in engine.gate_names:
        return pc, pc + 5
    return pc, pc + 32


def code(engine: Engine, pc: int) -> list[str]:
    start, end = function_bounds(engine, pc)
    listing = list(instructions(engine, start, end))
    at = next((i for i, (p, _) in enumerate(listing) if p == pc), 0)
    lines = []
    for p, text in listing[max(0, at - CODE_BEFORE) : at + CODE_AFTER + 1]:
        mark = "=>" if p == pc else "  "
        where = engine.image.line_at(p)
        loc = f"  {where[0]}:{where[1]}" if where else ""
        lines.append(f"{mark} {p:#x} {'<' + symbolic(engine, p) + '>':<28} {text:<36}{loc}".rstrip())
    if pc in engine.gate_names:
        lines.append(f"   (the gate's trigger: {engine.gate_names[pc]} runs in Python here)")
    return lines


def source(engine: Engine, pc: int) -> list[str]:
    where = engine.image.line_at(pc)
    if where is None:
        return []
    text = source_line(*where)
    return [f"{where[1]}\t{text}"] if text is not None else []


@functools.cache
def _file_lines(path: str) -> list[str] | None:
    for candidate in (Path(path), Path(__file__).resolve().parents[2] / path):
        try:
            return candidate.read_text().splitlines()
        except OSError:
            continue
    return None


def source_line(path: str, line: int) -> str | None:
    lines = _file_lines(path)
    if lines is None or not 0 < line <= len(lines):
        return None
    return lines[line - 1].strip()


def stack(engine: Engine, index: int) -> list[str]:
    sp = engine.cpu(index).reg("rsp")
    space = engine.proc.machine.space
    out = []
    for i in range(STACK_WORDS):
        addr = sp + 8 * i
        try:
            word = load(space, addr, 8)
        except MemoryFault:
            break
        sym = engine.image.symbol_at(word)
        label = f" <{symbolic(engine, word)}>" if sym is not None and sym.section == "text" else ""
        out.append(f"{addr:#x}{' (sp)' if i == 0 else '     '}: {word:#018x}{label}")
    return out


def whose_stack(engine: Engine, index: int, sp: int) -> str:
    """`g3's stack`, `g0's stack (M0)`, or where else SP points."""
    rt, space = engine.proc.runtime, engine.proc.machine.space
    for addr in [m.g0 for m in rt.allm] + rt.allgs:
        g = G(space, addr)
        if g.stack.lo <= sp <= g.stack.hi:
            owner = next((m for m in rt.allm if m.g0 == addr), None)
            name = f"g0's stack (M{owner.id})" if owner is not None else f"g{g.goid}'s stack"
            return f"{name} [{g.stack.lo:#x}, {g.stack.hi:#x})"
    return "no goroutine's stack"


def machine_line(engine: Engine, index: int) -> list[str]:
    rt, space = engine.proc.runtime, engine.proc.machine.space
    mp = rt.allm[index]
    p = f"P{P(space, mp.p).id}" if mp.p else "no P"
    tls = engine.tls_g(index)
    g = "g0" if tls == mp.g0 else (f"g{G(space, tls).goid}" if tls else "no g")
    curg = f"g{G(space, mp.curg).goid}" if mp.curg else "none"
    sp = engine.cpu(index).reg("rsp")
    state = "sleeping" if mp.addr in rt.parked else "running"
    return [
        f"M{mp.id} ({state})  {p}  g (TLS): {g}  curg: {curg}  at position {engine.position}",
        f"SP {sp:#x} on {whose_stack(engine, index, sp)}",
    ]


def context(engine: Engine, index: int, changed: frozenset[str], colour: bool = False) -> list[str]:
    pc = engine.cpu(index).reg("rip")
    out = [_title("registers"), *registers(engine, index, changed, colour)]
    listing = code(engine, pc)
    if colour:
        listing = [f"{GREEN}{line}{RESET}" if line.startswith("=>") else line for line in listing]
    out += [_title("code"), *listing]
    src = source(engine, pc)
    if src:
        out += [_title("source"), *src]
    out += [_title("stack"), *stack(engine, index), _title("goroutine"), *machine_line(engine, index)]
    return out


def _title(name: str) -> str:
    return f"── {name} " + "─" * (60 - len(name))
