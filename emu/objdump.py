"""`go tool objdump` for a linked Image: Go 1.19's output format and Plan 9 syntax, decoded by capstone.

Go's objdump decodes with golang.org/x/arch/x86/x86asm and prints with its GoSyntax (plan9x.go).
We decode with capstone and rebuild what x86asm would have produced (its opcode names, its argument
list in Intel order, its notion of operand and memory size, which prefixes it shows), then port
GoSyntax and cmd/internal/objfile's Print on top, so that a listing can be compared with the real
tool's line for line. x86asm's quirks are kept on purpose, because matching the real tool is the
point: `ADDL AL, BL` for a byte add between registers, `NOPL` for 0x90, 32-bit displacements shown
unsigned (`0xfffffff8(SP)`), `INT $0x3`, `MOVZX AL, AX` without a size suffix.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import capstone
from capstone import x86 as cs_x86

if TYPE_CHECKING:
    from asm.assemble import Options
    from asm.link import Image, Symbol

SymLookup = Callable[[int], tuple[str, int]]
MASK64 = (1 << 64) - 1
MAX_INST_LEN = 15  # x86asm never looks further

# ---------------------------------------------------------------------------------------------
# Tables taken from x86asm (tables.go's opNames, plan9x.go's plan9Suffix).

# Every opcode name x86asm knows. Whatever capstone decodes to anything else (AVX, BMI, ENDBR64...)
# x86asm cannot decode, and Go prints a one-byte `?` there.
X86ASM_OPS = frozenset(
    """
    AAA AAD AAM AAS ADC ADD ADDPD ADDPS ADDSD ADDSS ADDSUBPD ADDSUBPS AESDEC AESDECLAST AESENC
    AESENCLAST AESIMC AESKEYGENASSIST AND ANDNPD ANDNPS ANDPD ANDPS ARPL BLENDPD BLENDPS BLENDVPD
    BLENDVPS BOUND BSF BSR BSWAP BT BTC BTR BTS CALL CBW CDQ CDQE CLC CLD CLFLUSH CLI CLTS CMC CMOVA
    CMOVAE CMOVB CMOVBE CMOVE CMOVG CMOVGE CMOVL CMOVLE CMOVNE CMOVNO CMOVNP CMOVNS CMOVO CMOVP
    CMOVS CMP CMPPD CMPPS CMPSB CMPSD CMPSD_XMM CMPSQ CMPSS CMPSW CMPXCHG CMPXCHG16B CMPXCHG8B
    COMISD COMISS CPUID CQO CRC32 CVTDQ2PD CVTDQ2PS CVTPD2DQ CVTPD2PI CVTPD2PS CVTPI2PD CVTPI2PS
    CVTPS2DQ CVTPS2PD CVTPS2PI CVTSD2SI CVTSD2SS CVTSI2SD CVTSI2SS CVTSS2SD CVTSS2SI CVTTPD2DQ
    CVTTPD2PI CVTTPS2DQ CVTTPS2PI CVTTSD2SI CVTTSS2SI CWD CWDE DAA DAS DEC DIV DIVPD DIVPS DIVSD
    DIVSS DPPD DPPS EMMS ENTER EXTRACTPS F2XM1 FABS FADD FADDP FBLD FBSTP FCHS FCMOVB FCMOVBE FCMOVE
    FCMOVNB FCMOVNBE FCMOVNE FCMOVNU FCMOVU FCOM FCOMI FCOMIP FCOMP FCOMPP FCOS FDECSTP FDIV FDIVP
    FDIVR FDIVRP FFREE FFREEP FIADD FICOM FICOMP FIDIV FIDIVR FILD FIMUL FINCSTP FIST FISTP FISTTP
    FISUB FISUBR FLD FLD1 FLDCW FLDENV FLDL2E FLDL2T FLDLG2 FLDLN2 FLDPI FLDZ FMUL FMULP FNCLEX
    FNINIT FNOP FNSAVE FNSTCW FNSTENV FNSTSW FPATAN FPREM FPREM1 FPTAN FRNDINT FRSTOR FSCALE FSIN
    FSINCOS FSQRT FST FSTP FSUB FSUBP FSUBR FSUBRP FTST FUCOM FUCOMI FUCOMIP FUCOMP FUCOMPP FWAIT
    FXAM FXCH FXRSTOR FXRSTOR64 FXSAVE FXSAVE64 FXTRACT FYL2X FYL2XP1 HADDPD HADDPS HLT HSUBPD
    HSUBPS ICEBP IDIV IMUL IN INC INSB INSD INSERTPS INSW INT INTO INVD INVLPG INVPCID IRET IRETD
    IRETQ JA JAE JB JBE JCXZ JE JECXZ JG JGE JL JLE JMP JNE JNO JNP JNS JO JP JRCXZ JS LAHF LAR
    LCALL LDDQU LDMXCSR LDS LEA LEAVE LES LFENCE LFS LGDT LGS LIDT LJMP LLDT LMSW LODSB LODSD
    LODSQ LODSW LOOP LOOPE LOOPNE LRET LSL LSS LTR LZCNT MASKMOVDQU MASKMOVQ MAXPD MAXPS MAXSD
    MAXSS MFENCE MINPD MINPS MINSD MINSS MONITOR MOV MOVAPD MOVAPS MOVBE MOVD MOVDDUP MOVDQ2Q
    MOVDQA MOVDQU MOVHLPS MOVHPD MOVHPS MOVLHPS MOVLPD MOVLPS MOVMSKPD MOVMSKPS MOVNTDQ MOVNTDQA
    MOVNTI MOVNTPD MOVNTPS MOVNTQ MOVNTSD MOVNTSS MOVQ MOVQ2DQ MOVSB MOVSD MOVSD_XMM MOVSHDUP
    MOVSLDUP MOVSQ MOVSS MOVSW MOVSX MOVSXD MOVUPD MOVUPS MOVZX MPSADBW MUL MULPD MULPS MULSD MULSS
    MWAIT NEG NOP NOT OR ORPD ORPS OUT OUTSB OUTSD OUTSW PABSB PABSD PABSW PACKSSDW PACKSSWB
    PACKUSDW PACKUSWB PADDB PADDD PADDQ PADDSB PADDSW PADDUSB PADDUSW PADDW PALIGNR PAND PANDN
    PAUSE PAVGB PAVGW PBLENDVB PBLENDW PCLMULQDQ PCMPEQB PCMPEQD PCMPEQQ PCMPEQW PCMPESTRI
    PCMPESTRM PCMPGTB PCMPGTD PCMPGTQ PCMPGTW PCMPISTRI PCMPISTRM PEXTRB PEXTRD PEXTRQ PEXTRW
    PHADDD PHADDSW PHADDW PHMINPOSUW PHSUBD PHSUBSW PHSUBW PINSRB PINSRD PINSRQ PINSRW PMADDUBSW
    PMADDWD PMAXSB PMAXSD PMAXSW PMAXUB PMAXUD PMAXUW PMINSB PMINSD PMINSW PMINUB PMINUD PMINUW
    PMOVMSKB PMOVSXBD PMOVSXBQ PMOVSXBW PMOVSXDQ PMOVSXWD PMOVSXWQ PMOVZXBD PMOVZXBQ PMOVZXBW
    PMOVZXDQ PMOVZXWD PMOVZXWQ PMULDQ PMULHRSW PMULHUW PMULHW PMULLD PMULLW PMULUDQ POP POPA POPAD
    POPCNT POPF POPFD POPFQ POR PREFETCHNTA PREFETCHT0 PREFETCHT1 PREFETCHT2 PREFETCHW PSADBW
    PSHUFB PSHUFD PSHUFHW PSHUFLW PSHUFW PSIGNB PSIGND PSIGNW PSLLD PSLLDQ PSLLQ PSLLW PSRAD PSRAW
    PSRLD PSRLDQ PSRLQ PSRLW PSUBB PSUBD PSUBQ PSUBSB PSUBSW PSUBUSB PSUBUSW PSUBW PTEST PUNPCKHBW
    PUNPCKHDQ PUNPCKHQDQ PUNPCKHWD PUNPCKLBW PUNPCKLDQ PUNPCKLQDQ PUNPCKLWD PUSH PUSHA PUSHAD
    PUSHF PUSHFD PUSHFQ PXOR RCL RCPPS RCPSS RCR RDFSBASE RDGSBASE RDMSR RDPMC RDRAND RDTSC RDTSCP
    RET ROL ROR ROUNDPD ROUNDPS ROUNDSD ROUNDSS RSM RSQRTPS RSQRTSS SAHF SAR SBB SCASB SCASD SCASQ
    SCASW SETA SETAE SETB SETBE SETE SETG SETGE SETL SETLE SETNE SETNO SETNP SETNS SETO SETP SETS
    SFENCE SGDT SHL SHLD SHR SHRD SHUFPD SHUFPS SIDT SLDT SMSW SQRTPD SQRTPS SQRTSD SQRTSS STC STD
    STI STMXCSR STOSB STOSD STOSQ STOSW STR SUB SUBPD SUBPS SUBSD SUBSS SWAPGS SYSCALL SYSENTER
    SYSEXIT SYSRET TEST TZCNT UCOMISD UCOMISS UD0 UD1 UD2 UNPCKHPD UNPCKHPS UNPCKLPD UNPCKLPS VERR
    VERW VMOVDQA VMOVDQU VMOVNTDQ VMOVNTDQA VZEROUPPER WBINVD WRFSBASE WRGSBASE WRMSR XABORT XADD
    XBEGIN XCHG XEND XGETBV XLATB XOR XORPD XORPS XRSTOR XRSTOR64 XRSTORS XRSTORS64 XSAVE XSAVE64
    XSAVEC XSAVEC64 XSAVEOPT XSAVEOPT64 XSAVES XSAVES64 XSETBV XTEST
    """.split()
)

# Opcodes GoSyntax suffixes with B/W/L/Q by operand size (plan9x.go's plan9Suffix).
PLAN9_SUFFIX = frozenset(
    """
    ADC ADD AND BSF BSR BT BTC BTR BTS CMP CMPXCHG CVTSI2SD CVTSI2SS CVTSD2SI CVTSS2SI CVTTSD2SI
    CVTTSS2SI DEC DIV FLDENV FRSTOR IDIV IMUL IN INC LEA MOV MOVNTI MUL NEG NOP NOT OR OUT POP POPA
    POPCNT PUSH PUSHA RCL RCR ROL ROR SAR SBB SHL SHLD SHR SHRD SUB TEST XADD XCHG XOR
    """.split()
)
SIZE_SUFFIX = {8: "B", 16: "W", 32: "L", 64: "Q"}

# Capstone mnemonics x86asm spells differently (after upper-casing).
RENAMES = {
    "MOVABS": "MOV",
    "INT3": "INT",
    "INT1": "ICEBP",
    "WAIT": "FWAIT",
    "RETF": "LRET",
    "RETFQ": "LRET",
    "FCOMPI": "FCOMIP",
    "FUCOMPI": "FUCOMIP",
    "SYSEXITQ": "SYSEXIT",
    "SYSRETQ": "SYSRET",
    "CLFLUSHOPT": "CLFLUSH",  # x86asm does not know the 66-prefixed forms and ignores the 66
    "CLWB": "XSAVEOPT",
}
# FF /3 and FF /5, indirect far branches: capstone calls them call and jmp.
FAR_BRANCHES = {3: "LCALL", 5: "LJMP"}
# Capstone spells the predicate of SSE compares into the mnemonic (cmpltps); x86asm keeps the imm8.
SSE_COMPARE = re.compile(r"CMP(?:EQ|LT|LE|UNORD|NEQ|NLT|NLE|ORD)(PS|PD|SS|SD)")
SSE_COMPARE_OPS = {"PS": "CMPPS", "PD": "CMPPD", "SS": "CMPSS", "SD": "CMPSD_XMM"}

# x87 register forms: x86asm lists ST(0) explicitly for these, first (ST, STi) except under the
# DC and DE opcodes (STi, ST); the other x87 register forms have STi alone.
X87_WITH_ST = frozenset(
    """
    FADD FMUL FSUB FSUBR FDIV FDIVR FADDP FMULP FSUBP FSUBRP FDIVP FDIVRP FCOMI FCOMIP FUCOMI FUCOMIP
    FCMOVB FCMOVE FCMOVBE FCMOVU FCMOVNB FCMOVNE FCMOVNBE FCMOVNU
    """.split()
)
X87_ST_SECOND_OPCODES = frozenset({0xDC, 0xDE})
# Opcodes with an implicit XMM0 third argument that x86asm lists and capstone does not.
IMPLICIT_XMM0 = frozenset({"BLENDVPD", "BLENDVPS", "PBLENDVB"})
# x86asm knows these only with a ModR/M byte; capstone also takes the bare two-byte form.
NEEDS_OPERANDS = frozenset({"UD0", "UD1"})
# Same mnemonic, different instruction: x86asm names the SSE form apart from the string form.
XMM_RENAMES = {"MOVSD": "MOVSD_XMM", "CMPSD": "CMPSD_XMM"}

# Opcodes whose memory argument x86asm's tables leave unsized ("m"): their size suffix comes from
# the operand size instead, as in LEAQ, whatever size capstone gives the operand.
UNSIZED_MEMORY = frozenset({"LEA", "FLDENV", "FRSTOR"})

# Immediates as x86asm's tables extend them: an imm8 is zero-extended except for IMUL 6B, PUSH 6A and
# the 0x83 ALU group; an imm16 is sign-extended except for these; an imm32 always is.
SIGNED_IMM8_OPS = frozenset({"IMUL", "PUSH"})
ALU_IMM8_OPCODE = 0x83
UNSIGNED_IMM16_OPS = frozenset({"RET", "LRET", "ENTER"})

# String instructions: x86asm adds their implicit memory arguments (with the segment) itself.
# Each maps to its arguments in Intel order: "D" is ES:(DI), "S" is seg:(SI) (seg being DS unless
# overridden), "A" the accumulator of the instruction's width, "DX" the port register.
STRING_ARGS = {
    "MOVS": ("D", "S"),
    "CMPS": ("S", "D"),
    "LODS": ("A", "S"),
    "STOS": ("D", "A"),
    "SCAS": ("A", "D"),
    "INS": ("D", "DX"),
    "OUTS": ("DX", "S"),
}
ACCUMULATOR = {"B": "AL", "W": "AX", "D": "AX", "Q": "AX"}

CONDITIONAL_JUMPS = frozenset(
    "JA JAE JB JBE JE JG JGE JL JLE JNE JNO JNP JNS JO JP JS LOOP LOOPE LOOPNE JCXZ JECXZ JRCXZ".split()
)

# Legacy prefix bytes, as x86asm reads them before the REX byte.
LOCK, REPN, REP = 0xF0, 0xF2, 0xF3
DATA16, ADDR32 = 0x66, 0x67
FS_PREFIX, GS_PREFIX = 0x64, 0x65
CS_PREFIX, DS_PREFIX = 0x2E, 0x3E
SEGMENT_NAMES = {0x26: "ES", 0x2E: "CS", 0x36: "SS", 0x3E: "DS", 0x64: "FS", 0x65: "GS"}
LEGACY_PREFIXES = frozenset({LOCK, REPN, REP, DATA16, ADDR32, *SEGMENT_NAMES})
PREFIX_NAMES = {LOCK: "LOCK", **SEGMENT_NAMES}
BRANCH_HINTS = {CS_PREFIX: "PN", DS_PREFIX: "PT"}
VEX2, VEX3 = 0xC5, 0xC4
VEX_PREFIXES = frozenset({VEX2, VEX3})
# Opcode bytes x86asm decodes differently after a VEX prefix, ignoring the opcode map: VMOVDQU and
# friends (6F 7F E7 2A), VZEROUPPER (77); and the 0F escape, which we do not follow.
VEX_OPCODES = frozenset({0x0F, 0x2A, 0x6F, 0x77, 0x7F, 0xE7})

# ---------------------------------------------------------------------------------------------
# x86asm's view of one instruction.


@dataclass(frozen=True)
class Reg:
    """A register argument; x86asm's register numbering is reduced to what GoSyntax prints."""

    name: str  # Plan 9 name: AX for RAX, EAX, AX; R8 for R8B; X3; F1; FS
    gpr64: bool = False  # RAX..R15: a lone one makes PUSH/POP print as ...Q


@dataclass(frozen=True)
class Mem:
    """A memory argument, with the displacement as x86asm reads it (a disp32 stays unsigned)."""

    segment: str = ""
    base: str = ""
    index: str = ""
    scale: int = 0  # set whenever a SIB byte is present, as in x86asm
    disp: int = 0
    reloc: str = ""  # an unresolved symbol this displacement refers to


@dataclass(frozen=True)
class Imm:
    """An immediate, sign- or zero-extended from its encoding the way x86asm's table says."""

    value: int
    reloc: str = ""


@dataclass(frozen=True)
class Rel:
    """A branch target; GoSyntax names it only when it is a symbol's start."""

    target: int  # absolute address: x86asm's pc + len + rel
    reloc: str = ""


Arg = Reg | Mem | Imm | Rel


@dataclass
class Inst:
    """x86asm's Inst, reduced to what GoSyntax reads."""

    op: str
    args: list[Arg]
    length: int
    data_size: int  # operand size in bits (x86asm's DataSize)
    mem_bytes: int  # size of the memory argument (x86asm's MemBytes); 0 when unsized or absent
    rep: str = ""  # "REP; " or "REPNE; "
    prefix: str = ""  # a shown prefix such as "LOCK "


# ---------------------------------------------------------------------------------------------
# GoSyntax (plan9x.go).


def go_syntax(inst: Inst, pc: int, symname: SymLookup) -> str:
    """Plan 9 text of inst at pc: arguments reversed, size suffix, shown prefixes first."""
    args = [_plan9_arg(inst, pc, symname, a) for a in reversed(inst.args)]
    op = inst.op + _suffix(inst) if inst.op in PLAN9_SUFFIX else inst.op
    if args:
        op += " " + ", ".join(args)
    return inst.rep + inst.prefix + op


def _suffix(inst: Inst) -> str:
    size = inst.data_size
    if inst.mem_bytes:
        size = inst.mem_bytes * 8
    elif len(inst.args) == 1 and isinstance(inst.args[0], Reg) and inst.args[0].gpr64:
        size = 64  # register-only 64-bit instruction, like PUSHQ AX
    return SIZE_SUFFIX.get(size, "")


def _plan9_arg(inst: Inst, pc: int, symname: SymLookup, arg: Arg) -> str:
    if isinstance(arg, Reg):
        return arg.name
    if arg.reloc:
        return _reloc_arg(inst, pc, arg)
    match arg:
        case Rel(target):
            name, base = symname(target)
            return f"{name}(SB)" if name and target == base else f"{target:#x}"
        case Imm(value):
            return _imm_arg(value, symname)
        case Mem():
            return _mem_arg(arg, pc, inst.length, symname)
    raise TypeError(arg)


def _imm_arg(value: int, symname: SymLookup) -> str:
    name, base = symname(value & MASK64)
    if name:
        suffix = f"+{(value - base) & MASK64}" if value & MASK64 != base else ""
        return f"${name}{suffix}(SB)"
    if -(1 << 31) <= value < 1 << 31:
        return f"${value:#x}"
    return f"${value & MASK64:#x}"


def _mem_arg(m: Mem, pc: int, length: int, symname: SymLookup) -> str:
    target = _mem_target(m, pc, length)
    if target is not None:
        name, base = symname(target)
        if name:
            return _symbolic(name, target - base)
    text = f"{m.segment}:" if m.segment else ""
    text += f"{m.disp:#x}" if m.disp else "0"
    if m.base:
        text += f"({m.base})"
    if m.index and m.scale:
        text += f"({m.index}*{m.scale})"
    return text


def _mem_target(m: Mem, pc: int, length: int) -> int | None:
    """The address a memory argument names, when GoSyntax would look it up (memArgToSymbol)."""
    if m.segment or not m.disp or m.index or m.scale:
        return None
    if m.base == "IP":
        return (m.disp + pc + length) & MASK64
    return m.disp & MASK64 if not m.base else None


def _reloc_arg(inst: Inst, pc: int, arg: Mem | Imm | Rel) -> str:
    """An argument naming a symbol the link left undefined (at 0): name+offset(SB).

    A Go binary cannot have these, so there is no reference output; we print what the real tool
    prints for a defined symbol, with the offset from the undefined symbol's address 0.
    """
    match arg:
        case Mem(base="IP"):
            offset = _sign_extend(arg.disp, 32) + pc + inst.length
        case Mem(base="", index=""):
            offset = _sign_extend(arg.disp, 32)
        case Mem():  # based or indexed: Go never names these
            return _mem_arg(replace(arg, reloc=""), pc, inst.length, symname=lambda _: ("", 0))
        case Rel(target):
            offset = _sign_extend(target, 64)
        case Imm(value):
            return "$" + _symbolic(arg.reloc, value)
    return _symbolic(arg.reloc, offset)


def _symbolic(name: str, offset: int) -> str:
    return f"{name}{offset:+d}(SB)" if offset else f"{name}(SB)"


def _sign_extend(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


# ---------------------------------------------------------------------------------------------
# From capstone's decoding to x86asm's Inst.


def _new_decoder() -> capstone.Cs:
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    md.detail = True
    return md


_DECODER = _new_decoder()


def decode(code: bytes, pc: int, relocs: dict[int, str] | None = None) -> Inst | None:
    """The first instruction of code as x86asm would see it, or None where Go prints `?`.

    relocs maps offsets within code to unresolved symbols whose relocation field starts there.
    """
    relocs = relocs or {}
    if not code or _bad_prefix_order(code):
        return None
    insn = _capstone(code, pc)
    op = _op_name(insn) if insn is not None else ""
    if insn is not None and _x86asm_knows(insn, op):
        return _inst(insn, op, relocs)
    if code[0] in VEX_PREFIXES:
        return _vex_as_legacy(code, pc, relocs)
    if insn is None and LOCK in _legacy_prefixes(code):
        return _without_lock(code, pc, relocs)
    return None


def _bad_prefix_order(code: bytes) -> bool:
    """Prefix sequences x86asm cannot decode where capstone can.

    A REX byte not followed by the opcode (capstone ignores such a REX), or a VEX prefix after
    other prefixes (x86asm reads it as LES or LDS, invalid in 64-bit mode).
    """
    n = len(_legacy_prefixes(code))
    if n >= len(code):
        return False
    if n and code[n] in VEX_PREFIXES:
        return True
    after = code[n + 1 : n + 2]
    return (
        _is_rex(code[n])
        and after != b""
        and (_is_rex(after[0]) or after[0] in LEGACY_PREFIXES | VEX_PREFIXES)
    )


def _x86asm_knows(insn: capstone.CsInsn, op: str) -> bool:
    """Whether x86asm decodes this instruction as capstone did (by name, then odd forms)."""
    if op not in X86ASM_OPS or op in NEEDS_OPERANDS and not insn.operands:
        return False
    reg_field = insn.modrm >> 3 & 7
    if op == "TEST" and insn.opcode[0] in (0xF6, 0xF7) and reg_field == 1:
        return False  # the undocumented TEST /1
    if op == "NOP" and insn.opcode[0] == 0x0F:
        return insn.opcode[1] == 0x1F and reg_field == 0 and not insn.rex & 8  # x86asm's only NOP r/m
    return True


def _is_rex(b: int) -> bool:
    return b & 0xF0 == 0x40


def _capstone(code: bytes, pc: int) -> capstone.CsInsn | None:
    return next(_DECODER.disasm(code[:MAX_INST_LEN], pc, 1), None)


def _inst(
    insn: capstone.CsInsn, op: str, relocs: dict[int, str], prefixes: list[int] | None = None
) -> Inst | None:
    """Build x86asm's Inst; prefixes, when given, are the legacy prefixes x86asm saw."""
    raw = bytes(insn.bytes)
    if prefixes is None:
        prefixes = _legacy_prefixes(raw)
    rep_in_opcode = _rep_in_opcode(raw, op)
    if not rep_in_opcode and {REP, REPN} & set(prefixes) and _has_data16_form(insn, raw):
        return None  # x86asm: a repeat prefix on an MMX/SSE opcode that has a 66 form is invalid
    if _is_string_op(op):
        args = _string_args(op, prefixes)
    else:
        args = _x86asm_args(insn, op, raw, _args(insn, op, raw, prefixes, _reloc_fields(insn, relocs)))
    inst = Inst(op, args, insn.size, _data_size(insn, prefixes), _mem_bytes(insn, op))
    inst.rep, inst.prefix = _shown_prefixes(inst, prefixes, rep_in_opcode)
    return inst


def _has_data16_form(insn: capstone.CsInsn, raw: bytes) -> bool:
    """Whether a 66 prefix makes this MMX/SSE instruction another one (PXOR M0 -> PXOR X0)."""
    if not any(VECTOR_REG.fullmatch(name) for name in _reg_names(insn)):
        return False
    n = len(_legacy_prefixes(raw))
    plain = bytes(b for b in raw[:n] if b not in (REP, REPN)) + raw[n:]
    other = _capstone(bytes([DATA16]) + plain, 0)
    base = _capstone(plain, 0)
    return (
        other is not None
        and base is not None
        and (other.mnemonic, other.op_str) != (base.mnemonic, base.op_str)
    )


def _rep_in_opcode(raw: bytes, op: str) -> bool:
    """Whether the last F2/F3 prefix is part of the opcode (MOVSS, POPCNT, PAUSE) or a repeat.

    x86asm's tables say so per opcode; we ask capstone whether dropping the prefix changes the
    instruction. A repeat prefix on anything (REP; RET) is shown, so this matters everywhere.
    """
    prefixes = _legacy_prefixes(raw)
    reps = [i for i, p in enumerate(prefixes) if p in (REP, REPN)]
    if not reps:
        return False
    drop = {reps[-1]} | {i for i, p in enumerate(prefixes) if p == LOCK}  # capstone may refuse a lone LOCK
    insn = _capstone(bytes(b for i, b in enumerate(raw) if i not in drop), 0)
    return insn is None or _op_name(insn) != op


def _without_lock(code: bytes, pc: int, relocs: dict[int, str]) -> Inst | None:
    """x86asm decodes a LOCK it finds invalid (on x87, say) and shows it; capstone refuses."""
    prefixes = _legacy_prefixes(code)
    locks = [i for i, p in enumerate(prefixes) if p == LOCK]
    rest = bytes(b for i, b in enumerate(code) if i not in locks)
    insn = _capstone(rest, pc + len(locks))
    if insn is None or not _x86asm_knows(insn, op := _op_name(insn)):
        return None
    shifted = {off - sum(k < off for k in locks): name for off, name in relocs.items()}
    inst = _inst(insn, op, shifted, prefixes)
    if inst is not None:
        inst.length += len(locks)
    return inst


def _vex_as_legacy(code: bytes, pc: int, relocs: dict[int, str]) -> Inst | None:
    """x86asm's reading of a VEX instruction it does not know (BMI's SHLX, ANDN...).

    It consumes the VEX prefix, goes on reading legacy prefixes, ignores the VEX opcode map and
    decodes what follows as a one-byte opcode without REX, the VEX register bits extending only a
    SIB byte's base and index. So `c4 e2 30 f7 13` (SHLXL) is NOTL 0(BX). No prefix is shown, as
    GoSyntax stops at the VEX prefix. An escape or REX byte there makes x86asm fail, and us too.
    """
    vex_len = 3 if code[0] == VEX3 else 2
    rest = code[vex_len:]
    n = len(_legacy_prefixes(rest))
    if n >= len(rest) or rest[n] in VEX_OPCODES or _is_rex(rest[n]) or rest[n] in VEX_PREFIXES:
        return None
    inst = decode(rest, pc + vex_len, {off - vex_len: name for off, name in relocs.items()})
    if inst is not None and code[0] == VEX3 and any(isinstance(a, Mem) and a.scale for a in inst.args):
        rex = 0x40 | (~code[1] >> 5 & 0b011)  # inverted VEX.X and VEX.B, as REX.X and REX.B
        with_rex = rest[:n] + bytes([rex]) + rest[n:]
        inst = decode(with_rex, pc + vex_len - 1, {off - vex_len + 1: name for off, name in relocs.items()})
        vex_len -= 1
    if inst is None:
        return None
    inst.length += vex_len
    inst.rep = inst.prefix = ""
    return inst


def _x86asm_args(insn: capstone.CsInsn, op: str, raw: bytes, args: list[Arg]) -> list[Arg]:
    """Capstone's operands made into x86asm's argument list where the two differ."""
    if op == "INT" and not args:
        return [Imm(3)]  # INT3 is INT $3 to x86asm
    if op == "RDRAND" and insn.rex & 8:
        return []  # x86asm's table has no 64-bit RDRAND form with an argument
    if op.startswith("F") and args and all(isinstance(a, Reg) for a in args):
        return _x87_args(op, insn.opcode[0], args)
    if op in IMPLICIT_XMM0:
        return [*args, Reg("X0")]
    enc = insn.encoding
    if enc.imm_size and not any(isinstance(a, Imm | Rel) for a in args):
        return [*args, Imm(raw[enc.imm_offset])]  # the predicate of CMPPS and friends
    return args


def _x87_args(op: str, opcode: int, args: list[Arg]) -> list[Arg]:
    sti = next((a for a in args if a != Reg("F0")), args[-1])
    if op not in X87_WITH_ST:
        return [sti]
    return [sti, Reg("F0")] if opcode in X87_ST_SECOND_OPCODES else [Reg("F0"), sti]


def _op_name(insn: capstone.CsInsn) -> str:
    op = insn.mnemonic.split()[-1].upper()  # drop "rep", "lock", "bnd", "notrack"
    op = RENAMES.get(op, op)
    if insn.opcode[0] == 0xFF and (insn.modrm >> 3 & 7) in FAR_BRANCHES:
        return FAR_BRANCHES[insn.modrm >> 3 & 7]
    if m := SSE_COMPARE.fullmatch(op):
        return SSE_COMPARE_OPS[m[1]]
    if op in XMM_RENAMES and any(name.startswith("xmm") for name in _reg_names(insn)):
        op = XMM_RENAMES[op]
    return op


def _reg_names(insn: capstone.CsInsn) -> list[str]:
    return [insn.reg_name(o.reg) for o in insn.operands if o.type == cs_x86.X86_OP_REG]


def _is_string_op(op: str) -> bool:
    return op == "XLATB" or (op[:-1] in STRING_ARGS and op[-1] in ACCUMULATOR)


def _string_args(op: str, prefixes: list[int]) -> list[Arg]:
    """The implicit arguments x86asm spells out for string instructions (and XLATB)."""
    seg = _segment(prefixes) or "DS"
    if op == "XLATB":
        return [Mem(seg, "BX")]
    forms: dict[str, Arg] = {
        "D": Mem("ES", "DI"),
        "S": Mem(seg, "SI"),
        "A": Reg(ACCUMULATOR[op[-1]]),
        "DX": Reg("DX"),
    }
    return [forms[k] for k in STRING_ARGS[op[:-1]]]


def _legacy_prefixes(raw: bytes) -> list[int]:
    """The legacy prefix bytes in front of the instruction, in order (VEX and REX excluded)."""
    n = 0
    while n < len(raw) and raw[n] in LEGACY_PREFIXES:
        n += 1
    return list(raw[:n])


def _reloc_fields(insn: capstone.CsInsn, relocs: dict[int, str]) -> dict[str, str]:
    """Which encoded field ("disp" or "imm") holds a relocation to an unresolved symbol."""
    enc = insn.encoding
    disp = _disp32_offset(insn)
    if disp is None:
        disp = enc.disp_offset if enc.disp_size else -1  # a moffs address
    fields = {"disp": disp, "imm": enc.imm_offset if enc.imm_size else -1}
    return {field: relocs[off] for field, off in fields.items() if off in relocs}


def _args(
    insn: capstone.CsInsn, op: str, raw: bytes, prefixes: list[int], names: dict[str, str]
) -> list[Arg]:
    relative = capstone.CS_GRP_BRANCH_RELATIVE in insn.groups
    args: list[Arg] = []
    for o in insn.operands:
        if o.type == cs_x86.X86_OP_REG:
            args.append(_reg(insn.reg_name(o.reg)))
        elif o.type == cs_x86.X86_OP_MEM:
            args.append(_mem(insn, o, raw, _segment(prefixes), names.get("disp", "")))
        elif relative:
            args.append(Rel(o.imm & MASK64, names.get("imm", "")))
        else:
            first = not any(isinstance(a, Imm) for a in args)
            args.append(Imm(_imm_value(insn, o, op, raw, first), names.get("imm", "") if first else ""))
    return args


def _imm_value(insn: capstone.CsInsn, o: cs_x86.X86Op, op: str, raw: bytes, first: bool) -> int:
    """The immediate as x86asm extends it from its encoding (Imm8 vs Imm8u, Imm16 vs Imm16u)."""
    enc = insn.encoding
    size = enc.imm_size
    if not size:  # implied, like the 1 of SHLL $1
        return o.imm
    if op == "ENTER":  # ENTER imm16, imm8, both unsigned; capstone's encoding data covers one
        return o.imm & (0xFFFF if first else 0xFF)
    signed = (
        size == 1
        and (op in SIGNED_IMM8_OPS or insn.opcode[0] == ALU_IMM8_OPCODE)
        or size == 2
        and op not in UNSIGNED_IMM16_OPS
        or size >= 4
    )
    return int.from_bytes(raw[enc.imm_offset : enc.imm_offset + size], "little", signed=signed)


def _segment(prefixes: list[int]) -> str:
    """The segment of memory arguments: the last FS or GS prefix (64-bit mode ignores the rest)."""
    return next((SEGMENT_NAMES[p] for p in reversed(prefixes) if p in (FS_PREFIX, GS_PREFIX)), "")


def _mem(insn: capstone.CsInsn, o: cs_x86.X86Op, raw: bytes, segment: str, reloc: str) -> Mem:
    m = o.mem
    disp = m.disp
    if (at := _disp32_offset(insn)) is not None:
        disp = int.from_bytes(raw[at : at + 4], "little")  # x86asm keeps a disp32 unsigned
    base, index = (insn.reg_name(r) if r else "" for r in (m.base, m.index))
    return Mem(
        segment=segment,
        base=_reg(base).name if base else "",
        index=_reg(index).name if index and index not in NO_INDEX else "",
        scale=m.scale if _has_sib(insn) else 0,
        disp=disp,
        reloc=reloc,
    )


def _disp32_offset(insn: capstone.CsInsn) -> int | None:
    """Where the ModR/M displacement is when it is 32 bits (capstone misreports it after 66)."""
    enc = insn.encoding
    if not enc.modrm_offset:
        return None
    mod, rm, sib = insn.modrm >> 6, insn.modrm & 7, _has_sib(insn)
    if mod == 2 or mod == 0 and (rm == 5 or sib and insn.sib & 7 == 5):
        return enc.modrm_offset + 1 + sib
    return None


def _has_sib(insn: capstone.CsInsn) -> bool:
    modrm = insn.modrm
    return insn.encoding.modrm_offset != 0 and modrm >> 6 != 3 and modrm & 7 == 4


LEGACY_REGS = {"a": "AX", "b": "BX", "c": "CX", "d": "DX", "sp": "SP", "bp": "BP", "si": "SI", "di": "DI"}
_REG_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"r(\d+)[dwb]?"), lambda m: f"R{m[1]}"),
    (re.compile(r"([abcd])l"), lambda m: f"{m[1].upper()}L"),
    (re.compile(r"[re]?([abcd])x"), lambda m: LEGACY_REGS[m[1]]),
    (re.compile(r"([abcd])h"), lambda m: f"{m[1].upper()}H"),
    (re.compile(r"[re]?(sp|bp|si|di)l?"), lambda m: LEGACY_REGS[m[1]]),
    (re.compile(r"[re]?ip"), lambda m: "IP"),
    (re.compile(r"[xy]mm(\d+)"), lambda m: f"X{m[1]}"),
    (re.compile(r"mm(\d)"), lambda m: f"M{m[1]}"),
    (re.compile(r"st\((\d)\)"), lambda m: f"F{m[1]}"),
]
VECTOR_REG = re.compile(r"[xy]?mm\d+")
NO_INDEX = frozenset({"riz", "eiz"})  # capstone's name for a SIB byte without an index
GPR64 = re.compile(r"r[a-z]{2}|r\d+")


def _reg(cs_name: str) -> Reg:
    """Capstone's register name in Plan 9 spelling: every width of a register has one name."""
    for pattern, name in _REG_PATTERNS:
        if m := pattern.fullmatch(cs_name):
            return Reg(name(m), bool(GPR64.fullmatch(cs_name)) and cs_name != "rip")
    return Reg(cs_name.upper())  # segment, control and debug registers


def _data_size(insn: capstone.CsInsn, prefixes: list[int]) -> int:
    if insn.rex & 8:
        return 64
    return 16 if DATA16 in prefixes else 32


def _mem_bytes(insn: capstone.CsInsn, op: str) -> int:
    if op in UNSIZED_MEMORY:
        return 0
    return next((o.size for o in insn.operands if o.type == cs_x86.X86_OP_MEM), 0)


def _shown_prefixes(inst: Inst, prefixes: list[int], rep_in_opcode: bool) -> tuple[str, str]:
    """GoSyntax's prefix loop over x86asm's prefix list: REP/REPNE, then the last shown one."""
    rep, last = "", 0
    implicit = _implicit_prefixes(inst, prefixes, rep_in_opcode)
    hint = _branch_hint(inst, prefixes)
    for i, p in enumerate(prefixes):
        if i in implicit:
            continue
        if p in (REP, REPN):
            rep = "REP; " if p == REP else "REPNE; "
        else:
            last = i + 1
    if not last or prefixes[last - 1] in (DATA16, ADDR32):
        return rep, ""
    i = last - 1
    name = BRANCH_HINTS[prefixes[i]] if i == hint else PREFIX_NAMES[prefixes[i]]
    return rep, name + " "


def _implicit_prefixes(inst: Inst, prefixes: list[int], rep_in_opcode: bool) -> set[int]:
    """Indexes of the prefixes x86asm marks implied by the instruction text (never shown)."""
    implicit: set[int] = set()
    reps = [i for i, p in enumerate(prefixes) if p in (REP, REPN)]
    if rep_in_opcode:
        implicit.add(reps[-1])
    segs = [i for i, p in enumerate(prefixes) if p in (FS_PREFIX, GS_PREFIX)]
    if segs and any(isinstance(a, Mem) and a.segment != "ES" for a in inst.args):
        implicit.add(segs[-1])  # shown in the memory argument (string ops: not when ES-only)
    return implicit  # never 66 or 67: x86asm stores them as 0x166.. so GoSyntax never skips them


def _branch_hint(inst: Inst, prefixes: list[int]) -> int:
    """Index of the CS/DS prefix x86asm reads as a branch hint (PN/PT) on a conditional jump."""
    if inst.op not in CONDITIONAL_JUMPS:
        return -1
    return next((i for i in reversed(range(len(prefixes))) if prefixes[i] in BRANCH_HINTS), -1)


# ---------------------------------------------------------------------------------------------
# Symbols, lines and the listing (cmd/internal/objfile/disasm.go).


def local_name(name: str) -> str:
    """Go's linker drops the <> of file-local symbols: msg<> is listed as msg."""
    return name.removesuffix("<>")


def symbol_lookup(image: Image) -> SymLookup:
    """Disasm.lookup: the symbol containing addr, by the last symbol starting at or before it."""
    syms = sorted(image.symbols.values(), key=lambda s: (s.addr, s.size))
    addrs = [s.addr for s in syms]

    def lookup(addr: int) -> tuple[str, int]:
        i = bisect.bisect_right(addrs, addr) - 1
        if i >= 0:
            s = syms[i]
            if s.addr != 0 and s.addr <= addr < s.addr + s.size:
                return local_name(s.name), s.addr
        return "", 0

    return lookup


def disassemble(
    code: bytes, pc: int, symname: SymLookup, relocs: dict[int, str] | None = None
) -> Iterator[tuple[int, int, str]]:
    """(pc, size, text) for every instruction of code, a function's bytes, as Decode does.

    relocs maps addresses of relocation fields to the unresolved symbols they name.
    """
    relocs = relocs or {}
    off = 0
    while off < len(code):
        here = pc + off
        local = {a - here: s for a, s in relocs.items() if here <= a < here + MAX_INST_LEN}
        inst = decode(code[off:], here, local)
        if inst is None:
            yield here, 1, "?"
            off += 1
            continue
        yield here, inst.length, go_syntax(inst, here, symname)
        off += inst.length


class ObjdumpError(Exception):
    """A user error of `goemu objdump` (bad -s pattern, bad arguments); the message is complete."""


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The -s regular expression, or ObjdumpError in Go's words: `invalid -s regexp: ...`."""
    try:
        return re.compile(pattern)
    except (re.error, OverflowError) as e:
        problem = str(e)
    except RecursionError:
        problem = "expression nests too deeply"
    raise ObjdumpError(f"invalid -s regexp: error parsing regexp: {problem}: `{pattern}`")


def cmd(files: list[str], pattern: str | None, options: Options) -> int:
    """`goemu objdump IMAGE | FILE.s... [-s PATTERN]`: the listing on standard output, status 0.

    One image, or .s files assembled and linked as `goemu asm -o` does (an image cannot be combined
    with anything: it is already linked). A user error prints `goemu objdump: ...` and gives status 1
    (2 for a wrong combination of arguments, a usage error); assembly errors are raised as AsmError
    for the caller to print as `file.s:LINE:COL: message` lines.
    """
    from asm import cache
    from asm.imagefile import ImageError, is_image, load
    from asm.link import link

    images = [f for f in files if is_image(f)]
    if images and len(files) > 1:
        what = "an image cannot be combined with other files; " if len(images) == 1 else ""
        print(f"goemu objdump: {', '.join(images)}: {what}objdump takes one image (or several .s files)", file=sys.stderr)
        return 2
    try:
        want = compile_pattern(pattern) if pattern is not None else None
        if images:
            image = load(images[0])
        else:
            image = link([cache.assemble_file(p, options) for p in files], allow_undefined=True)
    except (ObjdumpError, ImageError) as e:
        print(f"goemu objdump: {e}", file=sys.stderr)
        return 1
    text = objdump(image, want)
    if not text:
        what = f"no text symbol matches {pattern!r}" if pattern else "no text symbols to disassemble"
        print(f"goemu objdump: {what}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


def objdump(image: Image, pattern: str | re.Pattern[str] | None = None) -> str:
    """`go tool objdump [-s pattern]` of image's text symbols, in Go 1.19's exact format."""
    symname = symbol_lookup(image)
    unresolved = set(image.unresolved)
    relocs = {a: local_name(s) for a, (s, _kind) in image.relocs.items() if s in unresolved}
    want = compile_pattern(pattern) if isinstance(pattern, str) else pattern
    blocks = [
        _function_listing(image, f, symname, relocs)
        for f in image.funcs
        if want is None or want.search(local_name(f.name))
    ]
    return "\n".join(blocks)


def _function_listing(image: Image, func: Symbol, symname: SymLookup, relocs: dict[int, str]) -> str:
    file, _ = image.line_at(func.addr) or ("", 0)
    header = f"TEXT {local_name(func.name)}(SB) {file}\n"
    code = image.read(func.addr, func.size) if func.size else b""
    rows = []
    for pc, size, text in disassemble(code, func.addr, symname, relocs):
        where, line = image.line_at(pc) or ("", 0)
        raw = code[pc - func.addr : pc - func.addr + size]
        rows.append([f"  {_base(where)}:{line}", f"{pc:#x}", raw.hex(), text])
    return header + tabwrite(rows)


def _base(path: str) -> str:
    """The last element of a Unix or Windows path, as objfile's base does."""
    return path.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]


# text/tabwriter as objdump configures it: NewWriter(w, 18, 8, 1, '\t', StripEscape).
TAB_MINWIDTH, TAB_WIDTH, TAB_PADDING = 18, 8, 1


def tabwrite(rows: list[list[str]]) -> str:
    """Lay out rows whose every cell is tab-terminated, like objdump's tabwriter.

    Every row has the same number of cells, so each column is a single block and Go's recursive
    block formatting reduces to one width per column: the widest cell plus padding (at least
    minwidth), rounded up to whole tabs, each cell padded with tabs to it.
    """
    if not rows:
        return ""
    widths = [max(TAB_MINWIDTH, *(len(r[c]) + TAB_PADDING for r in rows)) for c in range(len(rows[0]))]
    widths = [-(-w // TAB_WIDTH) * TAB_WIDTH for w in widths]
    return "".join("".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)) + "\n" for row in rows)


def _pad(cell: str, width: int) -> str:
    """cell and the tabs that take it to width (a multiple of the tab width)."""
    return cell + "\t" * -(-(width - len(cell)) // TAB_WIDTH)
