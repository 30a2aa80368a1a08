"""The runtime's function table (runtime.symtab) built from the linked image."""

from __future__ import annotations

from asm.link import Image
from asm.objfile import TextSymbol
from runtime.stubs import is_runtime_file
from runtime.symtab import Func, Functab

UNSAFE_POINT_BEGIN = "PCDATA\t$0, $-2"  # _PCDATA_UnsafePoint = _PCDATA_UnsafePointUnsafe
UNSAFE_POINT_END = "PCDATA\t$0, $-1"  # back to _PCDATA_UnsafePointSafe


def functab(image: Image) -> Functab:
    funcs = []
    for sym in image.funcs:
        if sym.text is None:
            continue
        funcs.append(
            Func(
                name=sym.name,
                entry=sym.addr,
                end=sym.addr + sym.size,
                max_sp_delta=sym.text.max_sp_delta,
                program=not is_runtime_file(sym.pos.file),
                unsafe=tuple((sym.addr + lo, sym.addr + hi) for lo, hi in unsafe_ranges(sym.text)),
            )
        )
    return Functab(funcs)


def unsafe_ranges(fn: TextSymbol) -> list[tuple[int, int]]:
    """Offsets where fn must not be preempted asynchronously: the prologue cmd/asm inserted (up
    to the first instruction of the program's own), and the unsafe-point PCDATA regions."""
    out: list[tuple[int, int]] = []
    body = next((i.offset for i in fn.instructions if i.code and not i.inserted), fn.size)
    if body:
        out.append((0, body))
    start = -1
    for ins in fn.instructions:
        if ins.text == UNSAFE_POINT_BEGIN and start < 0:
            start = ins.offset
        elif ins.text == UNSAFE_POINT_END and start >= 0:
            if ins.offset > start:
                out.append((start, ins.offset))
            start = -1
    if start >= 0:
        out.append((start, fn.size))
    return out
