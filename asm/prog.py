"""The architecture-neutral program representation, after cmd/internal/obj's Addr and Prog.

The parser produces Progs whose operands are Addrs in source order (Go order: sources first,
destination last); the arch layer rewrites and encodes them. Registers are kept by their Go names
("AX", "R14", "X0", "AL", "SP", "TLS", "FS", ...); the arch layer decides what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .errors import Pos


class AddrType(Enum):
    NONE = "none"
    REG = "reg"  # AX
    MEM = "mem"  # off(reg)(index*scale), sym+off(SB), name+off(FP), (TLS)
    CONST = "const"  # $123
    FCONST = "fconst"  # $1.5
    SCONST = "sconst"  # $"abc"
    ADDR = "addr"  # $sym(SB), $off(SP): the address of a memory operand
    BRANCH = "branch"  # label, n(PC)
    TEXTSIZE = "textsize"  # $frame-args of TEXT
    REGLIST = "reglist"  # unused on amd64, kept for the parser's completeness


class Name(Enum):
    """What a memory operand's symbol is relative to (obj.NAME_*)."""

    NONE = "none"  # hardware register (off(SP) is the real SP)
    EXTERN = "extern"  # sym(SB)
    STATIC = "static"  # sym<>(SB)
    AUTO = "auto"  # name-off(SP): a local, relative to the pseudo-SP
    PARAM = "param"  # name+off(FP): an argument


@dataclass(slots=True)
class Addr:
    type: AddrType = AddrType.NONE
    reg: str | None = None
    index: str | None = None
    scale: int = 0
    offset: int = 0
    sym: str | None = None  # linker symbol name for EXTERN/STATIC; variable name for AUTO/PARAM
    name: Name = Name.NONE
    value: int | float | bytes | None = None  # FCONST, SCONST; TEXTSIZE argsize
    label: str | None = None  # BRANCH to a label
    pc_rel: bool = False  # BRANCH written as n(PC): offset counts instructions
    width: int = 0  # DATA sym+off(SB)/width
    abi: str | None = None  # sym<ABIInternal>(SB): the ABI selector as written
    pos: Pos | None = None  # where the operand starts, for errors

    def is_reg(self, *names: str) -> bool:
        return self.type is AddrType.REG and (not names or self.reg in names)


@dataclass(slots=True)
class Prog:
    """One statement: an instruction or a pseudo-instruction (TEXT, DATA, GLOBL, FUNCDATA, ...)."""

    pos: Pos
    op: str
    args: list[Addr] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # labels defined just before this statement
    text: str = ""  # the statement as written (after macro expansion), for listings
    inserted: bool = False  # added by the assembler (prologue, epilogue, morestack), not the user
    # Filled in by the arch layer.
    pc: int = 0
    size: int = 0
    spadj: int = 0
    target: Prog | None = None  # resolved branch target within the function
    code: bytes = b""
    relocs: list[Reloc] = field(default_factory=list)  # offsets relative to this instruction


class RelocKind(Enum):
    """Relocation kinds, valued by cmd/internal/objabi's RelocType numbers for Go 1.19 listings."""

    ADDR = 1  # absolute address of symbol+addend (DATA, $sym as immediate)
    CALL = 7  # rel32 of CALL/JMP to a symbol
    CALLIND = 10  # marks an indirect CALL through a register or memory (size 0)
    PCREL = 14  # rel32 of a RIP-relative memory operand: S + A - (P + size)
    TLS_LE = 15  # FS-relative offset of g: resolved to the TLS offset (-8) + addend


@dataclass(frozen=True, slots=True)
class Reloc:
    offset: int  # within the symbol's bytes
    size: int
    kind: RelocKind
    symbol: str | None  # None for TLS_LE
    addend: int
