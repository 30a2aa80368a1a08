"""Code layout after asm6.go's span6: encode every instruction, size branches, place the bytes.

Ordinary instructions go through the translation table and keystone (in one batch per file);
branches are ours, because their size depends on the layout: backward branches are short when
the target is within -128 bytes, forward branches start short and become near (for good) when a
pass finds their target out of reach, until a pass changes nothing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from ..errors import AsmError, ErrorList
from ..prog import Addr, AddrType, Name, Prog, Reloc, RelocKind
from . import encode, translate
from .obj6 import Function

# Short (rel8) opcodes; the near form of Jcc is 0F (op+0x10) rel32.
JCC = {
    "JOS": 0x70, "JOC": 0x71, "JCS": 0x72, "JCC": 0x73, "JEQ": 0x74, "JNE": 0x75, "JLS": 0x76, "JHI": 0x77,
    "JMI": 0x78, "JPL": 0x79, "JPS": 0x7A, "JPC": 0x7B, "JLT": 0x7C, "JGE": 0x7D, "JLE": 0x7E, "JGT": 0x7F,
}  # fmt: skip
LOOPS = {"LOOPNE": b"\xe0", "LOOPEQ": b"\xe1", "LOOP": b"\xe2", "JCXZQ": b"\xe3", "JCXZL": b"\x67\xe3"}
ZERO_SIZE = frozenset({"NOP", "PCDATA", "FUNCDATA"})
DATA_WIDTH = {"BYTE": 1, "WORD": 2, "LONG": 4, "QUAD": 8}


@dataclass
class _Branch:
    prog: Prog
    short: bool = True
    backwards: bool = False


def adjsp(p: Prog) -> None:
    """ADJSP $v becomes SUBQ $v, SP or ADDQ $-v, SP ($-0x80 is shorter than $0x80), or nothing."""
    if len(p.args) != 1 or p.args[0].type is not AddrType.CONST:
        raise AsmError("ADJSP needs one constant operand", p.pos)
    v = p.args[0].offset
    if v == 0:
        p.op, p.args = "NOP", []
    elif v == 0x80 or (v < 0 and v != -0x80):
        p.op, p.args = "ADDQ", [Addr(AddrType.CONST, offset=-v), Addr(AddrType.REG, reg="SP")]
    else:
        p.op, p.args = "SUBQ", [Addr(AddrType.CONST, offset=v), Addr(AddrType.REG, reg="SP")]


def _is_branch_to_label(p: Prog) -> bool:
    return (
        (p.op in JCC or p.op in LOOPS or p.op in ("JMP", "XBEGIN"))
        and bool(p.args)
        and (p.args[-1].type is AddrType.BRANCH and p.args[-1].sym is None)
    )


def prepare(fn: Function, errors: ErrorList) -> list[tuple[Prog, translate.IntelInsn]]:
    """Fix the encoding of everything but label branches; return the instructions to encode."""
    todo: list[tuple[Prog, translate.IntelInsn]] = []
    for p in fn.progs:
        try:
            if p.op == "ADJSP":
                adjsp(p)
            if p.op in ZERO_SIZE:
                p.code = b""
            elif p.op == "PCALIGN":
                raise AsmError("PCALIGN is not supported on amd64 in Go 1.19", p.pos)
            elif p.op in DATA_WIDTH:
                p.code = _data_word(p)
            elif p.op == "RET" and not p.args:
                p.code = b"\xc3"
            elif p.op == "RET":
                a = p.args[0]
                if a.type is not AddrType.CONST or not 0 <= a.offset < 1 << 16:
                    raise AsmError(f"invalid instruction: RET {a.offset}", p.pos)
                p.code = b"\xc2" + struct.pack("<H", a.offset)
            elif p.args and p.args[-1].type is AddrType.BRANCH:
                _branch_fixed(p)
            elif p.op in JCC and p.args and p.args[-1].name in (Name.EXTERN, Name.STATIC):
                t = p.args[-1]
                raise AsmError(
                    f"{p.op} {t.sym}(SB): branch to ATEXT: only CALL and JMP may target a symbol", p.pos
                )
            else:
                todo.append((p, translate.to_intel(p)))
        except AsmError as e:
            errors.extend(e)
            p.code = b""
    return todo


def _data_word(p: Prog) -> bytes:
    width = DATA_WIDTH[p.op]
    if len(p.args) != 1 or p.args[0].type is not AddrType.CONST:
        raise AsmError(f"{p.op} needs one constant operand", p.pos)
    return (p.args[0].offset & ((1 << (8 * width)) - 1)).to_bytes(width, "little")


def _branch_fixed(p: Prog) -> None:
    """Branches to symbols: CALL/JMP rel32 with an R_CALL relocation; anything else is an error."""
    t = p.args[-1]
    if t.sym is None:
        if p.op == "CALL":
            raise AsmError("call without target: CALL to a label is not supported; CALL a TEXT symbol", p.pos)
        if not _is_branch_to_label(p):
            raise AsmError(f"invalid instruction: {p.op} is not valid in 64-bit mode", p.pos)
        return  # label branch: sized in layout()
    if p.op not in ("CALL", "JMP"):
        raise AsmError(f"{p.op} {t.sym}(SB): branch to ATEXT: only CALL and JMP may target a symbol", p.pos)
    p.code = (b"\xe8" if p.op == "CALL" else b"\xe9") + bytes(4)
    p.relocs = [Reloc(1, 4, RelocKind.CALL, t.sym, t.offset)]


def encode_all(todo: list[tuple[Prog, translate.IntelInsn]], errors: ErrorList) -> None:
    """Encode the table instructions of a whole file in one keystone batch."""
    if not todo:
        return
    try:
        encoded = encode.encode([insn for _, insn in todo])
    except AsmError as e:
        errors.extend(e)
        return
    for (p, _), enc in zip(todo, encoded, strict=True):
        p.code = enc.code
        p.relocs = list(enc.relocs)


def layout(fn: Function, errors: ErrorList) -> tuple[bytes, list[Reloc]]:
    """Size the label branches (span6's passes), then assign pcs and emit the function's bytes."""
    branches: dict[int, _Branch] = {}
    seen: set[int] = set()
    for p in fn.progs:
        seen.add(id(p))
        if _is_branch_to_label(p):
            if p.target is None:
                p.target = p  # a branch with no target jumps to itself, as span6 does
            branches[id(p)] = _Branch(p, backwards=id(p.target) in seen)
    for _ in range(1000):
        pc = 0
        for p in fn.progs:
            p.pc = pc
            b = branches.get(id(p))
            if b is not None:
                p.code = _encode_branch(b, pc, errors)
            pc += len(p.code)
        changed = False
        for b in branches.values():
            p = b.prog
            if not b.backwards and b.short and p.target.pc - (p.pc + len(p.code)) > 127:  # type: ignore[union-attr]
                b.short = False
                changed = True
        if not changed:
            break
    out = bytearray()
    relocs: list[Reloc] = []
    for p in fn.progs:
        b = branches.get(id(p))
        if b is not None:
            p.code = _encode_branch(b, p.pc, errors, final=True)
        p.size = len(p.code)
        for r in p.relocs:
            relocs.append(replace(r, offset=r.offset + p.pc))
        out += p.code
    return bytes(out), relocs


def _encode_branch(b: _Branch, pc: int, errors: ErrorList, final: bool = False) -> bytes:
    p = b.prog
    target = p.target
    assert target is not None
    if p.op == "XBEGIN":  # always the rel32 form: C7 F8 rel32
        return b"\xc7\xf8" + struct.pack("<i", target.pc - (pc + 6))
    if b.backwards:
        v = target.pc - (pc + 2)
        short = v >= -128
    else:
        short = b.short
        v = target.pc - (pc + 2)
    if p.op in LOOPS:
        op = LOOPS[p.op]
        v = target.pc - (pc + len(op) + 1)
        if not -128 <= v <= 127:
            if final:
                errors.add(p.pos, f"loop too far: {p.op} target is {v} bytes away")
            return op + b"\x00"
        return op + struct.pack("<b", v)
    if short:
        v = target.pc - (pc + 2)
        op = 0xEB if p.op == "JMP" else JCC[p.op]
        return bytes((op, v & 0xFF))
    if p.op == "JMP":
        return b"\xe9" + struct.pack("<i", target.pc - (pc + 5))
    return bytes((0x0F, JCC[p.op] + 0x10)) + struct.pack("<i", target.pc - (pc + 6))
