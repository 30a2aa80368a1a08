"""Go's amd64 register names (cmd/internal/obj/x86/list6.go), in hardware-number order.

The one place register names live: the parser takes REGISTERS, the translation table and the
encoder take the per-class tuples (index = hardware number) and INTEL_GPR.
"""

from __future__ import annotations

GPR64 = ("AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI") + tuple(f"R{i}" for i in range(8, 16))
BYTE_REGS = ("AL", "CL", "DL", "BL", "SPB", "BPB", "SIB", "DIB") + tuple(f"R{i}B" for i in range(8, 16))
HIGH_BYTE_REGS = ("AH", "CH", "DH", "BH")  # numbers 4..7, only without REX
SEGMENT_REGS = ("ES", "CS", "SS", "DS", "FS", "GS")  # hardware numbers 0..5
SPECIAL_REGS = ("GDTR", "IDTR", "LDTR", "MSW", "TASK", "TLS")
XMM_REGS = tuple(f"X{i}" for i in range(16))
MMX_REGS = tuple(f"M{i}" for i in range(8))
X87_REGS = tuple(f"F{i}" for i in range(8))
CONTROL_REGS = tuple(f"CR{i}" for i in range(16))
DEBUG_REGS = tuple(f"DR{i}" for i in range(8))
TEST_REGS = tuple(f"TR{i}" for i in range(8))
# Names Go's parser knows though goemu encodes nothing with them (AVX/AVX-512 is out of scope).
VECTOR_REGS = (
    tuple(f"X{i}" for i in range(16, 32))
    + tuple(f"Y{i}" for i in range(32))
    + tuple(f"Z{i}" for i in range(32))
    + tuple(f"K{i}" for i in range(8))
)

INTEL_GPR: dict[int, tuple[str, ...]] = {
    64: ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi") + tuple(f"r{i}" for i in range(8, 16)),
    32: ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi") + tuple(f"r{i}d" for i in range(8, 16)),
    16: ("ax", "cx", "dx", "bx", "sp", "bp", "si", "di") + tuple(f"r{i}w" for i in range(8, 16)),
    8: ("al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil") + tuple(f"r{i}b" for i in range(8, 16)),
}

REGISTERS = frozenset(
    GPR64 + BYTE_REGS + HIGH_BYTE_REGS + SEGMENT_REGS + SPECIAL_REGS + XMM_REGS + MMX_REGS + X87_REGS
    + CONTROL_REGS + DEBUG_REGS + TEST_REGS + VECTOR_REGS
)  # fmt: skip
ALIASES = {"g": "R14"}  # the g register of ABIInternal
