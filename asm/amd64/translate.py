"""Translate one Go amd64 instruction (a Prog) into the Intel-syntax instruction keystone encodes.

The operands are matched against the forms of optab.TABLE in order, as asm6.go matches a ytab, and
the first form that takes them all decides the Intel instruction. What comes out is an IntelInsn:
the Intel mnemonic and structured operands (so encode.py can apply Go's own encoding choices before
keystone sees the text), or the bytes themselves for the raw forms, plus the relocation that a
symbol or TLS reference needs. Everything invalid is an AsmError at the statement's position.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import AsmError, Pos
from ..prog import Addr, AddrType, Name, Prog, RelocKind
from . import optab
from .optab import Form

# ---------------------------------------------------------------------------------------------
# The Intel instruction
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reg:
    """An Intel register operand, or any literal operand text (`st(0)`, `dx`)."""

    name: str

    @property
    def text(self) -> str:
        return self.name


def hex_literal(v: int) -> str:
    """Numbers go to keystone in hex: keystone 0.9.2 sometimes opens an engine whose default
    radix is 16 (uninitialised syntax bits), and then reads `48` as 0x48 without a word; `0x30`
    means the same in either radix."""
    return f"-{-v:#x}" if v < 0 else f"{v:#x}"


@dataclass(frozen=True, slots=True)
class Imm:
    """An immediate: the value as Go wrote it, and the number of bytes it is laid down in."""

    value: int
    size: int
    signed: bool = False  # an imm8 that the instruction sign-extends (kind i8): printed signed

    @property
    def text(self) -> str:
        return hex_literal(self.encoded_signed)

    @property
    def encoded(self) -> int:
        """The value truncated to its size, unsigned: the bytes Go lays down."""
        return self.value & ((1 << (8 * self.size)) - 1)

    @property
    def encoded_signed(self) -> int:
        """The truncated value as keystone wants it written for this field."""
        v = self.encoded
        if self.size == 1 and not self.signed:
            return v  # unsigned imm8 fields: keystone wants 0..255 there
        return v - (1 << (8 * self.size)) if v >> (8 * self.size - 1) else v


@dataclass(frozen=True, slots=True)
class Mem:
    """An Intel memory operand. absolute: no base and no index ([disp32], seg:[disp32])."""

    size: str = ""  # Intel ptr keyword, "" for none
    base: str | None = None
    index: str | None = None
    scale: int = 1
    disp: int = 0
    seg: str | None = None
    rip: bool = False
    from3: bool = False  # Go's middle operand of three (p.From3), which doasm gives no prefix

    @property
    def absolute(self) -> bool:
        return self.base is None and self.index is None and not self.rip

    @property
    def text(self) -> str:
        parts = []
        if self.rip:
            parts.append("rip")
        if self.base:
            parts.append(self.base)
        if self.index:
            parts.append(f"{self.index}*{self.scale}")
        addr = " + ".join(parts)
        if not parts:
            addr = hex_literal(self.disp)
        elif self.disp:
            addr += f" - {-self.disp:#x}" if self.disp < 0 else f" + {self.disp:#x}"
        seg = f"{self.seg}:" if self.seg else ""
        size = f"{self.size} ptr " if self.size else ""
        return f"{size}{seg}[{addr}]"


Operand = Reg | Imm | Mem


@dataclass(frozen=True, slots=True)
class RelocRequest:
    """A relocation the instruction needs; encode.py places it in the bytes.

    PCREL and TLS_LE apply to the memory operand's displacement. (An indirect CALL is marked by
    the form's !callind flag: its R_CALLIND comes in addition to its operand's relocation.)
    """

    kind: RelocKind
    symbol: str | None
    addend: int


@dataclass(frozen=True, slots=True)
class IntelInsn:
    """One instruction for the encoder: Intel text (with structure), or raw bytes."""

    mnemonic: str = ""
    operands: tuple[Operand, ...] = ()
    raw: bytes | None = None
    proxy: tuple[int | None, bytes, int | None] | None = None  # see optab: (prefix, opcode, reg)
    reloc: RelocRequest | None = None
    flags: frozenset[str] = field(default_factory=frozenset)
    src: str = ""  # the Go statement, for messages
    pos: Pos | None = None  # the statement's position, for errors

    @property
    def text(self) -> str:
        """The Intel syntax as translated (encode.py may still apply Go's choices to it)."""
        if not self.operands:
            return self.mnemonic
        return f"{self.mnemonic} {', '.join(op.text for op in self.operands)}"


# ---------------------------------------------------------------------------------------------
# Registers
# ---------------------------------------------------------------------------------------------

_GPR = {name: i for i, name in enumerate(optab.GPR64)} | {"g": 14}
_BYTE = {name: i for i, name in enumerate(optab.BYTE_REGS) if name != "SPB"}
_HIGH = {name: name.lower() for name in optab.HIGH_BYTE_REGS}
_XMM = {name: i for i, name in enumerate(optab.XMM_REGS)}
_MMX = {name: i for i, name in enumerate(optab.MMX_REGS)}
_X87 = {name: i for i, name in enumerate(optab.X87_REGS)}
_SEG = {name: name.lower() for name in optab.SEGMENT_REGS}
_CR = {"CR0", "CR2", "CR3", "CR4", "CR8"}
_DR = {"DR0", "DR2", "DR3", "DR6", "DR7"}
_DRL = {"DR0", "DR6", "DR7"}


def gpr_name(num: int, width: int) -> str:
    return optab.INTEL_GPR[width][num]


def register_number(name: str) -> int | None:
    """The hardware number of a Go register name (for raw templates), or None."""
    for table in (_GPR, _BYTE, _XMM, _MMX, _X87):
        if name in table:
            return table[name]
    return None


# ---------------------------------------------------------------------------------------------
# Operand kinds: does a Go operand fit, and what does it print as
# ---------------------------------------------------------------------------------------------


_GPR_KIND_WIDTH = {f"{p}{w}": w for p in ("r", "rm") for w in (8, 16, 32, 64)} | {"rm8x": 8}
_OTHER_REG_KINDS = {
    "x": _XMM.keys(), "xm16": _XMM.keys(), "xm32": _XMM.keys(), "xm64": _XMM.keys(), "xm128": _XMM.keys(),
    "x0": {"X0"}, "mm": _MMX.keys(), "mmm32": _MMX.keys(), "mmm64": _MMX.keys(), "mmgpr": _MMX.keys(),
    "st": _X87.keys(), "st0": {"F0"}, "cl": {"CL", "CX"}, "sreg": _SEG.keys(), "cr": _CR, "dr": _DR,
    "drl": _DRL,
}  # fmt: skip


def _match_reg(kind: str, r: str) -> bool:
    width = _GPR_KIND_WIDTH.get(kind)
    if width == 8:  # Go's Yrb: byte registers but SPB, and (via bytereg) the full registers
        return r in _BYTE or r in _HIGH or r in _GPR
    if width:
        return r in _GPR
    return r in _OTHER_REG_KINDS.get(kind, ())


def matches(kind: str, a: Addr) -> bool:
    """Whether Go operand a is accepted by an operand kind (mirroring Go's oclass and ycover)."""
    if kind.startswith("@"):
        return a.type is AddrType.REG and a.reg == kind[1:]
    if kind in optab.IMM_KINDS:
        lo, hi, _ = optab.IMM_KINDS[kind]
        return a.type is AddrType.CONST and lo <= a.offset <= hi
    if kind == "addr":
        return a.type is AddrType.ADDR and a.name is not Name.NONE
    if a.type is AddrType.MEM:
        return kind in optab.MEM_SIZE
    if a.type is AddrType.REG:
        return _match_reg(kind, a.reg or "")
    return False


def _render_reg(kind: str, r: str) -> Reg:
    width = _GPR_KIND_WIDTH.get(kind, 0)
    if kind == "rm8x" and r in _GPR:  # no bytereg: Go lays down the number, SP..DI are AH..BH
        n = _GPR[r]
        return Reg(optab.HIGH_BYTE_REGS[n - 4].lower() if 4 <= n < 8 else gpr_name(n, 8))
    if width == 8 and r in _HIGH:
        return Reg(_HIGH[r])
    if width == 8 and r in _BYTE:
        return Reg(gpr_name(_BYTE[r], 8))
    if width and r in _GPR:
        return Reg(gpr_name(_GPR[r], width))  # a byte instruction's AX is AL: Go's bytereg
    if kind == "mmgpr":
        return Reg(gpr_name(_MMX[r], 64))
    if kind == "cl":
        return Reg("cl")
    if r in _XMM:
        return Reg(f"xmm{_XMM[r]}")
    if r in _MMX:
        return Reg(f"mm{_MMX[r]}")
    if r in _X87:
        return Reg(f"st({_X87[r]})")
    if r in _SEG:
        return Reg(_SEG[r])
    return Reg(r.lower())  # CRn, DRn


# ---------------------------------------------------------------------------------------------
# Memory operands
# ---------------------------------------------------------------------------------------------


class _Bad(Exception):
    """An operand Go cannot encode; becomes an AsmError naming the statement."""


def _mem(a: Addr, size: str, op: str) -> tuple[Mem, RelocRequest | None]:
    """An Intel memory operand for Go memory operand a (asm6.go's asmandsz), and its reloc."""
    off = a.offset
    if off != (off + 2**31) % 2**32 - 2**31:
        if op != "LEAL":  # asmandsz: only LEAL may overflow, its offset wraps
            raise _Bad("offset too large")
        off = (off + 2**31) % 2**32 - 2**31
    if a.index is not None and (a.index not in _GPR or a.index == "SP"):
        raise _Bad("invalid instruction")
    if a.index is not None and a.scale not in (1, 2, 4, 8):
        raise _Bad("invalid instruction")
    if a.name in (Name.EXTERN, Name.STATIC):
        if a.reg is not None or a.index is not None or not a.sym:
            raise _Bad("invalid instruction")
        return Mem(size, rip=True), RelocRequest(RelocKind.PCREL, a.sym, off)
    if a.name in (Name.AUTO, Name.PARAM):
        if a.reg not in (None, "SP"):
            raise _Bad("invalid instruction")
        return Mem(size, base="rsp", index=_idx(a), scale=_scale(a), disp=off), None
    if a.reg == "TLS":
        if a.index is not None:
            raise _Bad("invalid instruction")
        return Mem(size, seg="fs"), RelocRequest(RelocKind.TLS_LE, None, off)
    if a.reg in _SEG:
        if a.index is not None:
            raise _Bad("invalid instruction")
        return Mem(size, seg=_SEG[a.reg], disp=off), None
    if a.reg is not None and a.reg not in _GPR:
        raise _Bad("invalid instruction")
    base = gpr_name(_GPR[a.reg], 64) if a.reg is not None else None
    return Mem(size, base=base, index=_idx(a), scale=_scale(a), disp=off), None


def _idx(a: Addr) -> str | None:
    return gpr_name(_GPR[a.index], 64) if a.index is not None else None


def _scale(a: Addr) -> int:
    return a.scale if a.index is not None else 1


# ---------------------------------------------------------------------------------------------
# Operands as asm6.go classes them
# ---------------------------------------------------------------------------------------------


def _normalize(args: list[Addr]) -> list[Addr]:
    """asm6.go oclass: $off(reg) with no symbol (TYPE_ADDR, NAME_NONE) is the constant off.

    obj6.go progedit's rewrites (TLS, FCONST, CMPPS predicates, MOVQ $addr -> LEAQ, CALL sym ->
    branch) and span6's ADJSP are done by obj6.py and span.py before translation.
    """
    return [
        replace(a, type=AddrType.CONST)
        if a.type is AddrType.ADDR and a.name is Name.NONE and a.sym is None
        else a
        for a in args
    ]


# ---------------------------------------------------------------------------------------------
# Building the IntelInsn from a form
# ---------------------------------------------------------------------------------------------


def _operand(kind: str, a: Addr, op: str) -> tuple[Operand, RelocRequest | None]:
    if kind in optab.IMM_KINDS:
        return Imm(a.offset, optab.IMM_KINDS[kind][2], signed=kind == "i8"), None
    if kind == "addr":
        return _mem(replace(a, type=AddrType.MEM), "", op)
    if a.type is AddrType.MEM:
        return _mem(a, optab.MEM_SIZE[kind], op)
    return _render_reg(kind, a.reg or ""), None


def _raw(form: Form, args: list[Addr]) -> bytes:
    out = bytearray()
    imm = next((a.offset for a in args if a.type is AddrType.CONST), 0)
    for tok in form.raw or ():
        if tok in ("ib", "iw", "id", "iq"):
            n = {"ib": 1, "iw": 2, "id": 4, "iq": 8}[tok]
            out += (imm & ((1 << (8 * n)) - 1)).to_bytes(n, "little")
        elif "+$" in tok:
            byte, _, idx = tok.partition("+$")
            out.append(int(byte, 16) + (register_number(args[int(idx)].reg or "") or 0) % 8)
        else:
            out += bytes.fromhex(tok)
    return bytes(out)


def _build(form: Form, op: str, args: list[Addr], prog: Prog) -> IntelInsn:
    src = prog.text or format_prog(prog)
    if form.raw is not None:
        return IntelInsn(raw=_raw(form, args), src=src, pos=prog.pos)
    operands: list[Operand] = []
    reloc: RelocRequest | None = None
    for item in form.intel_operands():
        if isinstance(item, str):
            operands.append(Reg(item))
            continue
        operand, r = _operand(form.kinds[item], args[item], op)
        if isinstance(operand, Mem) and 0 < item < len(args) - 1:
            operand = replace(operand, from3=True)
        operands.append(operand)
        reloc = reloc or r
    flags = form.flags
    if "ax8" in flags and not any(a.is_reg("AX") for a in args):
        flags = flags - {"ax8"}  # the rule applies only where the byte accumulator is written AX
    return IntelInsn(form.intel, tuple(operands), proxy=form.proxy, reloc=reloc, flags=flags,
                     src=src, pos=prog.pos)  # fmt: skip


def select_form(op: str, args: list[Addr]) -> Form | None:
    """The first form of op whose kinds accept args, as asm6.go's doasm walks a ytab."""
    for form in optab.TABLE.get(op, ()):
        if len(form.kinds) == len(args) and all(matches(k, a) for k, a in zip(form.kinds, args, strict=True)):
            return form
    return None


def to_intel(prog: Prog) -> IntelInsn:
    """Translate an ordinary instruction Prog (no pseudo-ops) into an IntelInsn, or raise AsmError."""
    op = optab.ALIASES.get(prog.op, prog.op)
    args = _normalize(prog.args)
    if op not in optab.TABLE:
        if op in optab.ILLEGAL_IN_64BIT:
            raise AsmError(f"illegal in 64-bit mode: {prog.text or format_prog(prog)}", pos=prog.pos)
        if op in optab.ALWAYS_INVALID or op in optab.BRANCHES:
            raise AsmError(f"invalid instruction: {prog.text or format_prog(prog)}", pos=prog.pos)
        raise AsmError(f"unknown instruction {prog.op}", pos=prog.pos)
    form = select_form(op, args)
    if form is None:
        raise AsmError(f"invalid instruction: {prog.text or format_prog(prog)}", pos=prog.pos)
    try:
        return _build(form, op, args, prog)
    except _Bad as e:
        raise AsmError(f"{e}: {prog.text or format_prog(prog)}", pos=prog.pos) from None


# ---------------------------------------------------------------------------------------------
# Go syntax, for messages
# ---------------------------------------------------------------------------------------------


def _format_mem(a: Addr) -> str:
    if a.name in (Name.EXTERN, Name.STATIC):
        sym = (a.sym or "") + ("<>" if a.name is Name.STATIC else "")
        off = f"{a.offset:+d}" if a.offset else ""
        return f"{sym}{off}(SB)"
    if a.name in (Name.AUTO, Name.PARAM):
        off = f"{a.offset:+d}" if a.offset else ""
        return f"{a.sym or ''}{off}({'SP' if a.name is Name.AUTO else 'FP'})"
    s = str(a.offset) if a.offset else ""
    if a.reg:
        s += f"({a.reg})"
    if a.index:
        s += f"({a.index}*{a.scale})"
    return s or "0"


def format_operand(a: Addr) -> str:
    """An operand in Go syntax."""
    match a.type:
        case AddrType.REG:
            return a.reg or "?"
        case AddrType.CONST:
            return f"${a.offset}"
        case AddrType.FCONST:
            return f"${a.value}"
        case AddrType.SCONST:
            return f"${a.value!r}"
        case AddrType.MEM:
            return _format_mem(a)
        case AddrType.ADDR:
            return "$" + _format_mem(a)
        case AddrType.BRANCH:
            return a.label or f"{a.offset}(PC)"
    return "?"


def format_prog(prog: Prog) -> str:
    """A statement in Go syntax, for messages when the source text is not at hand."""
    if not prog.args:
        return prog.op
    return f"{prog.op} {', '.join(format_operand(a) for a in prog.args)}"
