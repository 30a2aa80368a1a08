"""Encode IntelInsns to bytes with keystone, the way Go 1.19's asm6.go would lay them down.

Keystone assembles the Intel text of many instructions in one call (one call per instruction is
an order of magnitude slower); capstone cuts the bytes back into instructions and tells where each
one's ModRM, displacement and immediate are, which is where Go's own choices are applied and the
relocations placed. Encodings are cached by their Intel text: the same text always encodes alike.

Where Go's encoder chooses differently from keystone, GoChoices below says so, rule by rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import capstone
import keystone

from ..errors import NOPOS, AsmError, Diagnostic, ErrorList
from ..prog import Reloc, RelocKind
from .optab import INTEL_GPR
from .translate import Imm, IntelInsn, Mem, Operand, Reg


@dataclass(slots=True)
class Encoded:
    """One instruction's bytes and its relocations (offsets relative to the instruction)."""

    code: bytes
    relocs: list[Reloc] = field(default_factory=list)


@dataclass(slots=True)
class _KsEntry:
    """Keystone's bytes for one Intel text; capstone's field offsets (-1: absent) on demand."""

    code: bytes
    _fields: tuple[int, int, int, int] | None = None

    def fields(self) -> tuple[int, int, int, int]:
        """(ModRM offset, displacement offset, immediate offset, immediate size)."""
        if self._fields is None:
            _, cs = _engine()
            insn = next(cs.disasm(self.code, 0, 1), None)
            if insn is None or insn.size != len(self.code):
                self._fields = (-1, -1, -1, 0)  # capstone does not know it
            else:
                off = [v if v > 0 else -1 for v in (insn.modrm_offset, insn.disp_offset, insn.imm_offset)]
                self._fields = (off[0], off[1], off[2], insn.imm_size)
        return self._fields


@dataclass(frozen=True, slots=True)
class _Plan:
    """What keystone assembles for an instruction, and what to change in its bytes afterwards."""

    text: str
    imm_patch: Imm | None = None  # write this immediate over keystone's placeholder
    absolute: bool = False  # turn the [rip+disp32] keystone made into Go's SIB [disp32]
    load_form: bool = False  # turn a register-to-register store opcode into the load opcode
    long_acc: bool = False  # the instruction was assembled on cl: point ModRM.rm back at al
    raw: bytes | None = None


_CACHE: dict[str, _KsEntry | str] = {}  # Intel text -> keystone's encoding, or its error
_engines: tuple[keystone.Ks, capstone.Cs] | None = None


def _engine() -> tuple[keystone.Ks, capstone.Cs]:
    global _engines
    if _engines is None:
        ks = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_64)
        cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        cs.detail = True
        _engines = (ks, cs)
    return _engines


# ---------------------------------------------------------------------------------------------
# Go's choices: every place where asm6.go lays an instruction down differently from keystone.
# ---------------------------------------------------------------------------------------------

_WIDE_PLACEHOLDER = {2: 0x1000, 4: 0x10000000}
_HIGH_UNDER_REX = {"ah": "spl", "ch": "bpl", "dh": "sil", "bh": "dil"}
_EXTENDED = frozenset(INTEL_GPR[64][8:])  # a base or index that needs REX.B/REX.X
_NEEDS_REX = frozenset(  # register operands that need a REX prefix (extension or REX.W)
    [name for width in (8, 16, 32, 64) for name in INTEL_GPR[width][8:]]
    + ["spl", "bpl", "sil", "dil"] + list(INTEL_GPR[64]) + [f"xmm{i}" for i in range(8, 16)]
)  # fmt: skip


class GoChoices:
    """The rules that make keystone's output Go's, applied in plan() (text) and finish() (bytes).

    1. Immediates are classed by the value as written (asm6.go oclass: Yi8 is -128..127 only);
       anything else takes the imm16/imm32 form (Zil_, Zilo_m, Zibm_r, Zil_rr, ... lay down the
       truncated value with PutInt16/relput4). `ADDQ $0xffffffff, AX` is 48 05 ffffffff although
       the truncated value would fit the sign-extended imm8 form keystone picks (and keystone
       even encodes `push 0xffff` as 6A FF). So every immediate outside -128..127 is assembled as
       a placeholder that only the wide form can hold, and Go's bytes are written over it.
    2. MOVQ $imm, reg (ymovq: Ys32 -> C7 /0 first; Ziq_rp: a value with zero upper 32 bits is
       `B8+r imm32` without REX.W, anything else the 10-byte MOVABS). Keystone would use MOVABS
       for 0x80000000..0xffffffff.
    3. Absolute addresses: asmandsz encodes base REG_NONE, a segment base or TLS as ModRM.rm=100
       with SIB 0x25 and a disp32. Keystone picks the moffs forms (A0-A3) for the accumulator
       and would use a 64-bit address; we assemble [rip+disp32] and rewrite ModRM/SIB.
    4. XCHGL AX, AX is 90 (yxchg Z_rp: 90+r); keystone avoids 90 for `xchg eax, eax` (87 C0).
    5. MOVLQZX reg, reg is Zm_r: 8B /r, where keystone picks 89 /r for `mov r32, r32` (!load).
    6. Proxy forms (optab): instructions keystone lacks are assembled as a proxy with the same
       operand layout and get Go's prefix, opcode and ModRM.reg (see optab's docstring).
    7. A byte ALU instruction with an immediate whose accumulator is written AX (!ax8): doasm
       matches the ytab before bytereg turns AX into AL, so Yax misses {Yi32, Yal} (Zib_, 04 ib)
       and takes {Yi32, Ymb} (Zibo_m, 80 /n ib). Keystone picks the short AL form for `al`; we
       assemble the same instruction on cl and set ModRM.rm back to 0.
    8. AH..BH in an instruction that gets a REX prefix anyway: asm6.go lays them down as register
       numbers 4..7 and adds the REX the other operands need, which makes them SPL..DIL (ANDB BH,
       SI is `and sil, dil`). Keystone (LLVM) would abort the whole process; we write SPL..DIL.
    9. doasm emits the segment prefix (prefixof) of p.From and p.To only: a memory operand in the
       middle of three (p.From3: `PINSRB $1, 8(FS), X0`) gets no FS/GS prefix, though it keeps its
       SIB form and its TLS relocation.
    """

    @staticmethod
    def plan(insn: IntelInsn) -> _Plan:
        if insn.raw is not None:
            return _Plan("", raw=insn.raw)
        mnemonic, ops = insn.mnemonic, list(insn.operands)
        if mnemonic == "xchg" and ops == [Reg("eax"), Reg("eax")]:  # rule 4
            return _Plan("", raw=b"\x90")
        if mnemonic == "mov" and len(ops) == 2 and isinstance(ops[1], Imm) and ops[1].size == 8:
            mnemonic, ops = GoChoices._movq_imm(ops[0], ops[1])  # rule 2
        imm_patch = None
        absolute = False
        long_acc = "ax8" in insn.flags
        if long_acc:
            ops = [Reg("cl") if op == Reg("al") else op for op in ops]  # rule 7
        ops = GoChoices.high_bytes_under_rex(ops)  # rule 8
        for i, op in enumerate(ops):
            if isinstance(op, Imm) and op.size in _WIDE_PLACEHOLDER and GoChoices._needs_wide(op):
                ops[i], imm_patch = Imm(_WIDE_PLACEHOLDER[op.size], op.size), op  # rule 1
            elif isinstance(op, Mem) and (op.absolute or op.from3):
                seg = None if op.from3 else op.seg  # rule 9
                ops[i] = replace(op, seg=seg, rip=op.rip or op.absolute)
                absolute = absolute or op.absolute  # rule 3
        load = "load" in insn.flags and all(isinstance(op, Reg) for op in ops)  # rule 5
        text = f"{mnemonic} {', '.join(op.text for op in ops)}" if ops else mnemonic
        return _Plan(text, imm_patch=imm_patch, absolute=absolute, load_form=load, long_acc=long_acc)

    @staticmethod
    def high_bytes_under_rex(ops: list[Operand]) -> list[Operand]:
        """Rule 8: AH..BH become SPL..DIL when another operand makes the instruction take a REX."""
        if not any(isinstance(op, Reg) and op.name in _HIGH_UNDER_REX for op in ops):
            return ops
        rex = any(
            (isinstance(op, Reg) and op.name in _NEEDS_REX)
            or (isinstance(op, Mem) and (op.base in _EXTENDED or op.index in _EXTENDED))
            for op in ops
        )
        if not rex:
            return ops
        return [Reg(_HIGH_UNDER_REX[op.name]) if isinstance(op, Reg) and op.name in _HIGH_UNDER_REX else op
                for op in ops]  # fmt: skip

    @staticmethod
    def _needs_wide(imm: Imm) -> bool:
        """Go lays down the full-width immediate: keystone must not choose (rule 1)."""
        return not -128 <= imm.value <= 127

    @staticmethod
    def _movq_imm(dst: Operand, imm: Imm) -> tuple[str, list[Operand]]:
        v = (imm.value + 2**63) % 2**64 - 2**63
        if isinstance(dst, Reg) and dst.name in INTEL_GPR[64] and not -(2**31) <= v < 2**31:
            if 0 <= v < 2**32:
                return "mov", [Reg(INTEL_GPR[32][INTEL_GPR[64].index(dst.name)]), Imm(v, 4)]
            return "movabs", [dst, Imm(v, 8)]
        return "mov", [dst, Imm(v, 4)]

    @staticmethod
    def finish(insn: IntelInsn, plan: _Plan, entry: _KsEntry) -> Encoded:
        """Apply the byte-level rules to keystone's encoding and place the relocations."""
        code = bytearray(entry.code)
        if not (insn.proxy or insn.reloc or insn.flags or plan.imm_patch or plan.absolute):
            return Encoded(entry.code)  # the common case: keystone's bytes are Go's
        modrm, disp, imm, imm_size = entry.fields()
        if insn.proxy is not None:
            shift = _apply_proxy(code, modrm, insn.proxy)  # rule 6
            modrm, disp, imm = modrm + shift, _moved(disp, shift), _moved(imm, shift)
        if plan.load_form:
            _swap_direction(code, modrm)  # rule 5
        if plan.long_acc:
            code[modrm] &= 0xF8  # rule 7
        if plan.absolute:
            if modrm < 0:
                raise _EncodeError(f"no ModRM in {plan.text!r}")
            code[modrm] = (code[modrm] & 0xF8) | 4  # rule 3: rm=100 (SIB), SIB: no base, no index
            code.insert(modrm + 1, 0x25)
            disp, imm = _moved(disp, 1), _moved(imm, 1)
        if plan.imm_patch is not None:
            size = plan.imm_patch.size
            if imm < 0 or imm_size != size:
                raise _EncodeError(f"cannot place the immediate of {plan.text!r}")
            code[imm : imm + size] = plan.imm_patch.encoded.to_bytes(size, "little")  # rule 1
        return Encoded(bytes(code), _relocs(insn, bytes(code), disp))


def _moved(offset: int, shift: int) -> int:
    return offset + shift if offset >= 0 else offset


_LEGACY_PREFIXES = frozenset(b"\x66\xf2\xf3\xf0\x2e\x36\x3e\x26\x64\x65\x67")
_MANDATORY = frozenset(b"\x66\xf2\xf3")


def _prefix_end(code: bytearray) -> tuple[int, int]:
    """(end of the legacy prefixes, end of the REX prefix) of an instruction's bytes."""
    i = 0
    while i < len(code) and code[i] in _LEGACY_PREFIXES:
        i += 1
    j = i + 1 if i < len(code) and 0x40 <= code[i] <= 0x4F else i
    return i, j


def _apply_proxy(code: bytearray, modrm: int, proxy: tuple[int | None, bytes, int | None]) -> int:
    """Replace a proxy's prefix/opcode/ModRM.reg with Go's; return how far the ModRM moved."""
    prefix, opcode, digit = proxy
    if modrm < 0:
        raise _EncodeError("proxy instruction without ModRM")
    legacy, rex_end = _prefix_end(code)
    prefixes = bytes(code[:legacy])
    if prefix is not None:
        prefixes = bytes(b for b in prefixes if b not in _MANDATORY) + (
            bytes([prefix]) if prefix >= 0 else b""
        )
    head = prefixes + bytes(code[legacy:rex_end]) + opcode
    if digit is not None:
        code[modrm] = (code[modrm] & 0xC7) | (digit << 3)
        if rex_end > legacy:  # the proxy's ModRM.reg extension goes with its reg field
            head = head[: len(prefixes)] + bytes([head[len(prefixes)] & ~0x04]) + head[len(prefixes) + 1 :]
    shift = len(head) - modrm
    code[:modrm] = head
    return shift


def _swap_direction(code: bytearray, modrm: int) -> None:
    """89 /r (store) -> 8B /r (load) with ModRM.reg and .rm, and REX.R and REX.B, exchanged."""
    code[modrm - 1] ^= 0x02
    m = code[modrm]
    code[modrm] = (m & 0xC0) | ((m & 7) << 3) | ((m >> 3) & 7)
    rex = modrm - 2
    if rex >= 0 and 0x40 <= code[rex] <= 0x4F:
        r = code[rex]
        code[rex] = (r & 0xFA) | ((r & 4) >> 2) | ((r & 1) << 2)


def _relocs(insn: IntelInsn, code: bytes, disp: int) -> list[Reloc]:
    out = []
    if "callind" in insn.flags:
        # Zcallindreg sets r.Off = p.Pc; asmins moves it past the REX byte it inserts.
        legacy, rex_end = _prefix_end(bytearray(code))
        out.append(Reloc(1 if rex_end > legacy else 0, 0, RelocKind.CALLIND, None, 0))
    req = insn.reloc
    if req is not None:
        if disp < 0:
            raise _EncodeError(f"no displacement to relocate in {insn.text!r}")
        addend = req.addend
        if req.kind is RelocKind.PCREL:
            # asmins: the addend is relative to the end of the relocation, not of the instruction.
            addend -= len(code) - (disp + 4)
        out.append(Reloc(disp, 4, req.kind, req.symbol, addend))
    return out


class _EncodeError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Keystone in batches, capstone to cut them apart
# ---------------------------------------------------------------------------------------------


def _try_batch(texts: list[str]) -> list[_KsEntry] | str | None:
    """Assemble texts in one keystone call and cut the result; None if it cannot be cut."""
    ks, cs = _engine()
    try:
        code, _ = ks.asm("\n".join(texts), 0, True)
    except keystone.KsError as e:
        return f"keystone: {e}"
    code = code or b""
    if not code:
        return "keystone produced no bytes"
    if len(texts) == 1:
        return [_KsEntry(bytes(code))]
    sizes = [size for _, size, _, _ in cs.disasm_lite(code, 0)]
    if len(sizes) != len(texts) or sum(sizes) != len(code):
        return None  # capstone cut it differently (or stopped): bisect
    out, at = [], 0
    for size in sizes:
        out.append(_KsEntry(bytes(code[at : at + size])))
        at += size
    return out


def assemble_texts(texts: list[str]) -> None:
    """Fill the cache for texts, batching keystone and bisecting around failures."""
    todo = [t for t in dict.fromkeys(texts) if t not in _CACHE]
    stack = [todo] if todo else []
    while stack:
        group = stack.pop()
        result = _try_batch(group)
        if isinstance(result, list):
            _CACHE.update(zip(group, result, strict=True))
        elif len(group) == 1:
            _CACHE[group[0]] = result or "keystone could not encode it"
        else:
            mid = len(group) // 2
            stack += [group[mid:], group[:mid]]


def encode(insns: list[IntelInsn]) -> list[Encoded]:
    """Encode instructions with Go's bytes and relocations; every failure becomes an AsmError."""
    errors = ErrorList(limit=10**6)
    plans = [GoChoices.plan(insn) for insn in insns]
    assemble_texts([p.text for p in plans if p.raw is None])
    out: list[Encoded] = []
    for insn, plan in zip(insns, plans, strict=True):
        out.append(_finish_one(insn, plan, errors))
    if errors:
        raise AsmError([Diagnostic(d.pos, d.message) for d in errors.items])
    return out


def _finish_one(insn: IntelInsn, plan: _Plan, errors: ErrorList) -> Encoded:
    if plan.raw is not None:
        return Encoded(plan.raw)
    entry = _CACHE[plan.text]
    if isinstance(entry, str):
        errors.add(insn.pos or NOPOS, f"invalid instruction: {insn.src or insn.text} ({entry}; {plan.text})")
        return Encoded(b"")
    try:
        return GoChoices.finish(insn, plan, entry)
    except _EncodeError as e:
        errors.add(insn.pos or NOPOS, f"cannot encode {insn.src or insn.text}: {e}")
        return Encoded(b"")
