"""May Unicorn's timeout end --fast slices? Only for an image with no read-modify-write of memory.

Unicorn 2 stops an emulation asynchronously (emu_start's timeout, or emu_stop from another
thread) by checking for the request after every memory access, and then restores the CPU to the
start of the instruction that made the access (check_exit_request -> cpu_loop_exit_restore). The
instruction runs again when the CPU restarts: harmless for one that only loads, or stores a value
it does not compute from the stored-to memory (MOV, PUSH, CALL: it stores the same bytes again),
but an instruction that reads, modifies and writes memory (INCQ n-8(SP), ADDQ AX, x(SB), XCHG,
CMPXCHG, XADD) takes effect twice. A slice that ends by instruction count stops between
instructions, exactly, at some 4x the cost per instruction (Unicorn counts with a hook on each).
"""

from __future__ import annotations

from collections.abc import Iterator

import capstone
from capstone import CS_AC_READ, CS_AC_WRITE
from capstone import x86 as cs_x86

from asm.link import Image

_RMW = CS_AC_READ | CS_AC_WRITE
# Capstone marks the memory operand of these as read only: they also write it.
_EXCHANGES = frozenset({
    cs_x86.X86_INS_CMPXCHG, cs_x86.X86_INS_CMPXCHG8B, cs_x86.X86_INS_CMPXCHG16B, cs_x86.X86_INS_XADD,
    cs_x86.X86_INS_XCHG,
})  # fmt: skip


def _rmw(insn: capstone.CsInsn) -> bool:
    mem = [op for op in insn.operands if op.type == cs_x86.X86_OP_MEM]
    return any(op.access & _RMW == _RMW for op in mem) or bool(mem and insn.id in _EXCHANGES)


def instructions(image: Image) -> Iterator[tuple[str, capstone.CsInsn]]:
    """(function, instruction, decoded in detail) of every function of the image."""
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    md.detail = True
    for f in image.funcs:
        for insn in md.disasm(image.read(f.addr, f.size) if f.size else b"", f.addr):
            yield f.name, insn


def rmw_instructions(image: Image) -> Iterator[tuple[str, int, str]]:
    """(function, address, instruction) of each instruction that reads and writes the same memory
    operand, in every function of the image."""
    for name, insn in instructions(image):
        if _rmw(insn):
            yield name, insn.address, f"{insn.mnemonic} {insn.op_str}"


def timeout_safe(image: Image) -> bool:
    """Can a timeout stop anywhere in this image without an instruction taking effect twice?"""
    return next(rmw_instructions(image), None) is None
