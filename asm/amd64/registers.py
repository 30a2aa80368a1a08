"""Go's amd64 register names (cmd/internal/obj/x86/list6.go) and their hardware numbers."""

from __future__ import annotations

GP64 = ("AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15")
GP8 = ("AL", "CL", "DL", "BL", "SPB", "BPB", "SIB", "DIB") + tuple(f"R{i}B" for i in range(8, 16))
HIGH8 = ("AH", "CH", "DH", "BH")
X87 = tuple(f"F{i}" for i in range(8))
MMX = tuple(f"M{i}" for i in range(8))
MASK = tuple(f"K{i}" for i in range(8))
XMM = tuple(f"X{i}" for i in range(32))
YMM = tuple(f"Y{i}" for i in range(32))
ZMM = tuple(f"Z{i}" for i in range(32))
SEGMENT = ("CS", "SS", "DS", "ES", "FS", "GS")
SYSTEM = ("GDTR", "IDTR", "LDTR", "MSW", "TASK")
CONTROL = tuple(f"CR{i}" for i in range(16))
DEBUG = tuple(f"DR{i}" for i in range(8))
TEST = tuple(f"TR{i}" for i in range(8))

REGISTERS = frozenset(
    GP64
    + GP8
    + HIGH8
    + X87
    + MMX
    + MASK
    + XMM
    + YMM
    + ZMM
    + SEGMENT
    + SYSTEM
    + CONTROL
    + DEBUG
    + TEST
    + ("TLS",)
)
ALIASES = {"g": "R14"}  # the g register of ABIInternal

# Names per width of each general register, indexed by hardware number (Intel syntax).
_INTEL = {
    64: "rax rcx rdx rbx rsp rbp rsi rdi r8 r9 r10 r11 r12 r13 r14 r15",
    32: "eax ecx edx ebx esp ebp esi edi r8d r9d r10d r11d r12d r13d r14d r15d",
    16: "ax cx dx bx sp bp si di r8w r9w r10w r11w r12w r13w r14w r15w",
    8: "al cl dl bl spl bpl sil dil r8b r9b r10b r11b r12b r13b r14b r15b",
}
INTEL_GP = {width: tuple(names.split()) for width, names in _INTEL.items()}


def gp_number(reg: str) -> int | None:
    """Hardware number of a general register named at any width (AX, AL, R8B), else None."""
    if reg in GP64:
        return GP64.index(reg)
    if reg in GP8:
        return GP8.index(reg)
    return None
