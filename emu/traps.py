"""CPU exceptions as Linux delivers them to a user thread: the signal, its si_code and si_addr.

Unicorn runs the guest at privilege level 0: it lets HLT, CLI, IN/OUT and the other privileged
instructions run (HLT ends the emulation), and reports INT n and the CPU's own exceptions as
interrupts. A Linux thread at level 3 gets a general-protection fault for each of those, which
the kernel sends as SIGSEGV with si_code SI_KERNEL and address 0; INT3 is SIGTRAP, a divide
error SIGFPE (FPE_INTDIV), an invalid opcode SIGILL (ILL_ILLOPN). Go's runtime then says so in
its own words (emu/run.py's _fault).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from capstone import CS_GRP_PRIVILEGE
from capstone import x86 as cs_x86

from asm.link import Image
from runtime.memory import Memory, read

from .stopsafe import instructions

SI_KERNEL = 0x80
ILL_ILLOPN = 2
FPE_INTDIV = 1
DIVIDE_ERROR, BREAKPOINT = 0, 3  # interrupt vectors
_INT_IMM8 = 0xCD  # INT imm8's opcode

# Not in capstone's privilege group, yet a general-protection fault at level 3 (I/O without
# ioperm, RDMSR, CLTS); IRET is in the group, yet returns to level 3 without fault.
_IO_AND_MSR = frozenset({
    cs_x86.X86_INS_IN, cs_x86.X86_INS_OUT, cs_x86.X86_INS_INSB, cs_x86.X86_INS_INSW, cs_x86.X86_INS_INSD,
    cs_x86.X86_INS_OUTSB, cs_x86.X86_INS_OUTSW, cs_x86.X86_INS_OUTSD, cs_x86.X86_INS_RDMSR, cs_x86.X86_INS_CLTS,
})  # fmt: skip
_IRET = frozenset({cs_x86.X86_INS_IRET, cs_x86.X86_INS_IRETD, cs_x86.X86_INS_IRETQ})


@dataclass(frozen=True)
class Trap:
    """The signal the thread gets: name (SIGSEGV...), si_code, si_addr, and the pc it stops at."""

    signal: str
    code: int
    addr: int
    pc: int


def privileged(image: Image) -> Iterator[int]:
    """The address of each instruction of the image that a level-3 thread may not run."""
    for _, insn in instructions(image):
        if insn.id in _IO_AND_MSR or (insn.group(CS_GRP_PRIVILEGE) and insn.id not in _IRET):
            yield insn.address


def canonical(addr: int) -> bool:
    """Whether a 64-bit address is canonical (bits 63..47 all equal); any other is a
    general-protection fault when used, whatever is mapped."""
    return addr < 1 << 47 or addr >= (1 << 64) - (1 << 47)


def general_protection(pc: int) -> Trap:
    return Trap("SIGSEGV", SI_KERNEL, 0, pc)


def interrupt(mem: Memory, intno: int, rip: int) -> Trap:
    """The trap for an interrupt Unicorn raised with the CPU at rip: after INT n (a trap) or at the
    faulting instruction (an exception such as the divide error)."""
    if intno == BREAKPOINT:
        return Trap("SIGTRAP", SI_KERNEL, 0, rip)
    if intno == DIVIDE_ERROR:
        return Trap("SIGFPE", FPE_INTDIV, rip, rip)
    software = rip >= 2 and read(mem, rip - 2, 2) == bytes((_INT_IMM8, intno))
    return general_protection(rip - 2 if software else rip)  # INT n's gate is for the kernel only


def invalid_opcode(pc: int) -> Trap:
    return Trap("SIGILL", ILL_ILLOPN, pc, pc)
