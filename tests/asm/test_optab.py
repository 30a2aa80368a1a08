"""The translation table, form by form: every form encodes, and decodes back to what it means.

Generated from optab.TABLE: each form gets sample operands drawn from its kinds (the first sample
tuple for which the form is the one chosen), all are translated and encoded in one batch, and
capstone decodes each back to the intended Intel mnemonic and operands. Hypothesis then does the
same with random operands, and throws garbage at the whole pipeline, which may only answer with
an AsmError.
"""

from __future__ import annotations

import itertools
import os
from functools import cache

import capstone
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asm.amd64 import encode, optab, translate
from asm.amd64.translate import Imm, IntelInsn, Mem, Reg
from asm.errors import AsmError, Pos
from asm.parser import parse_statement
from asm.prog import Addr, AddrType, Name, Prog

P = Pos("optab.s", 1)
# A quick, reproducible run by default; GOEMU_HYPOTHESIS_EXAMPLES=5000 explores at random.
_EXAMPLES = int(os.environ.get("GOEMU_HYPOTHESIS_EXAMPLES", "0"))
SETTINGS = settings(max_examples=_EXAMPLES or 40, deadline=None, derandomize=not _EXAMPLES, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip

# What capstone calls the forms that are not assembled from their own Intel text (proxy and raw
# forms), by Go mnemonic; None: capstone cannot decode it (or there is nothing to decode).
PROXY_MNEMONIC = {
    "MOVSWW": "movsx", "MOVZWW": "movzx", "MOVW": "mov", "CLDEMOTE": "cldemote", "NOPW": "nop",
    "NOPL": "nop", "LARW": "lar", "LSLW": "lsl", "LSLL": "lsl", "LSLQ": "lsl", "TPAUSE": "tpause",
    "UMONITOR": "umonitor", "UMWAIT": "umwait", "CMPXCHG8B": None, "CMPXCHG16B": None,
    "MOVHPD": None, "MOVLPD": None,  # 66 0F 16/12 with a register operand: #UD, as Go lays it down
    "MOVL": None,  # MOVL TR6/TR7: the 386's test registers (0F 24, 0F 26), #UD in 64-bit mode
    **{f"{op}{w}": op.lower() for op in ("SLDT", "SMSW", "STR") for w in "WLQ"},
}  # fmt: skip
RAW_MNEMONIC = {
    "PUSHQ": "push", "POPQ": "pop", "PUSHW": "push", "POPW": "pop", "PUSHL": "push", "POPL": "pop",
    "PUSHFW": "pushf", "POPFW": "popf", "LEAVEW": "leave", "RETFW": "retf", "RETFL": "retf",
    "RETFQ": "retfq", "INT": "int", "ICEBP": "int1", "IRETW": "iret", "IRETL": "iretd", "IRETQ": "iretq",
    "SYSRET": "sysret", "SYSENTER": "sysenter", "SYSEXIT": "sysexit", "MOVSL": "movsd",
    "CMPSL": "cmpsd", "STOSL": "stosd", "LODSL": "lodsd", "SCASL": "scasd", "INSL": "insd",
    "OUTSL": "outsd",
}  # fmt: skip
# Raw forms capstone cannot read: x87 alias encodings (DC D0+i, ...) and the segment pushes and
# pops that are invalid in 64-bit mode but that Go lays down anyway.
UNDECODABLE_KINDS = {"@CS", "@SS", "@DS", "@ES"}
# Capstone's spelling where it differs from the Intel text we give keystone.
ALSO = {"mov": {"movabs"}, "xchg": {"nop"}, "wait": {"fwait", "wait"}, "retf": {"retf", "retfq"},
        "fcomip": {"fcompi"}, "fucomip": {"fucompi"}}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Sample operands per kind
# ---------------------------------------------------------------------------------------------


def reg(name: str) -> Addr:
    return Addr(AddrType.REG, reg=name)


def const(v: int) -> Addr:
    return Addr(AddrType.CONST, offset=v)


def mem(base: str | None = None, off: int = 0, index: str | None = None, scale: int = 0) -> Addr:
    return Addr(AddrType.MEM, reg=base, index=index, scale=scale if index else 0, offset=off)


def sym(name: str = "sym", off: int = 0, addr: bool = False) -> Addr:
    return Addr(AddrType.ADDR if addr else AddrType.MEM, name=Name.EXTERN, sym=name, offset=off)


_MEMS = [mem("BX", 8), mem("R12", -16, "R13", 4), sym("sym", 8)]
_GPRS = [reg("DX"), reg("R9")]
_SAMPLES: dict[str, list[Addr]] = {
    "r8": [reg("DL"), reg("R9B"), reg("AH"), reg("SIB"), reg("AX")],
    **{f"r{w}": _GPRS for w in (16, 32, 64)},
    **{k: _MEMS for k in ("m", "m8", "m16", "m32", "m64", "m80", "m128")},
    **{f"rm{w}": _GPRS + _MEMS for w in (8, 16, 32, 64)},
    "rm8x": [reg("DL"), reg("R9B"), reg("SI")] + _MEMS,
    "x": [reg("X1"), reg("X9")], "x0": [reg("X0")],
    **{f"xm{w}": [reg("X2"), reg("X10")] + _MEMS for w in (16, 32, 64, 128)},
    "mm": [reg("M1")], "mmm32": [reg("M2")] + _MEMS, "mmm64": [reg("M2")] + _MEMS, "mmgpr": [reg("M3")],
    "st": [reg("F2"), reg("F0")], "st0": [reg("F0")], "cl": [reg("CL"), reg("CX")],
    "sreg": [reg("DS"), reg("FS")], "cr": [reg("CR3"), reg("CR8")], "dr": [reg("DR7")], "drl": [reg("DR6")],
    "u2": [const(2)], "i8": [const(-3), const(100)], "u8": [const(200), const(5)],
    "b8": [const(100), const(300)], "i16": [const(1000), const(0xFFFF)], "i32": [const(100000), const(0xFFFFFFFF)],
    "s32": [const(-100000)], "i64": [const(0x123456789), const(0x80000000)],
    "addr": [sym("sym", 16, addr=True)],
}  # fmt: skip


def samples(kind: str) -> list[Addr]:
    return [reg(kind[1:])] if kind.startswith("@") else _SAMPLES[kind]


def all_forms() -> list[tuple[str, int, optab.Form]]:
    return [(op, i, form) for op, forms in sorted(optab.TABLE.items()) for i, form in enumerate(forms)]


def args_for(op: str, form: optab.Form) -> list[Addr] | None:
    """The first sample operand tuple for which `form` is the form chosen for op."""
    for args in itertools.islice(itertools.product(*(samples(k) for k in form.kinds)), 200):
        if translate.select_form(op, list(args)) is form:
            return list(args)
    return None


# ---------------------------------------------------------------------------------------------
# Checking an encoding against its meaning
# ---------------------------------------------------------------------------------------------


@cache
def _cs() -> capstone.Cs:
    cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    cs.detail = True
    return cs


def expected_mnemonic(op: str, form: optab.Form) -> str | None:
    if form.raw is not None:
        return None if UNDECODABLE_KINDS & set(form.kinds) else RAW_MNEMONIC.get(op)
    if form.proxy is not None:
        return PROXY_MNEMONIC[op]
    return form.intel


def _cs_operands(insn: capstone.CsInsn) -> tuple[set[str], list[int], list[tuple]]:
    regs, imms, mems = set(), [], []
    for o in insn.operands:
        if o.type == capstone.x86.X86_OP_REG:
            regs.add(insn.reg_name(o.reg))
        elif o.type == capstone.x86.X86_OP_IMM:
            imms.append(o.imm)
        elif o.type == capstone.x86.X86_OP_MEM:
            m = o.mem
            names = [insn.reg_name(r) if r else None for r in (m.segment, m.base, m.index)]
            mems.append((*names, m.scale if m.index else 1, m.disp))
    return regs, imms, mems


def _mem_key(m: Mem, reloc: bool) -> tuple:
    base = "rip" if m.rip else m.base
    disp = 0 if (m.rip or reloc) else m.disp
    return (m.seg, base, m.index, m.scale if m.index else 1, disp)


def check_decodes(op: str, form: optab.Form, insn: IntelInsn, code: bytes) -> str | None:
    """None if capstone reads code as the instruction meant, else what is wrong."""
    want = expected_mnemonic(op, form)
    if want is None:
        return None
    got = list(_cs().disasm(code, 0))
    if len(got) != 1 or got[0].size != len(code):
        return f"capstone reads {code.hex()} as {[(i.mnemonic, i.op_str) for i in got]}"
    d = got[0]
    if (
        want in ("cmpps", "cmppd", "cmpss", "cmpsd")
        and d.mnemonic[:3] + d.mnemonic[-2:] == want[:3] + want[-2:]
    ):
        return None  # capstone spells the predicate into the mnemonic: cmpeqpd, cmpnltss, ...
    if d.mnemonic != want and d.mnemonic not in ALSO.get(want, ()):
        return f"{code.hex()} is {d.mnemonic} {d.op_str}, not {want}"
    if form.raw is not None or form.proxy is not None or d.mnemonic == "nop":
        return None  # (XCHGL AX, AX is 90, the one-byte NOP)
    regs, imms, mems = _cs_operands(d)
    for o in encode.GoChoices.high_bytes_under_rex(list(insn.operands)):
        if isinstance(o, Reg) and o.name not in regs and o.name not in d.op_str and o.name != "st(0)":
            return f"{code.hex()} ({d.op_str}) lacks register {o.name}"
        if isinstance(o, Imm) and o.size < 8:
            mask = (1 << (8 * o.size)) - 1
            if not any(v & mask == o.encoded for v in imms):
                return f"{code.hex()} ({d.op_str}) lacks immediate {o.encoded:#x}"
        if isinstance(o, Mem):
            key = _mem_key(o, insn.reloc is not None)
            if key[1] is None and key[2] is None:  # absolute: capstone shows no base
                key = (key[0], None, None, 1, key[4])
            if key not in [
                (s, b, i, sc, 0 if (b == "rip" or insn.reloc) else dp) for s, b, i, sc, dp in mems
            ]:
                return f"{code.hex()} ({d.op_str}) lacks memory {key}"
    return None


def prog(op: str, args: list[Addr]) -> Prog:
    return Prog(P, op, list(args))


# ---------------------------------------------------------------------------------------------
# The table itself
# ---------------------------------------------------------------------------------------------


def test_table_is_parsed_and_uses_known_kinds():
    assert len(optab.TABLE) > 800
    for op, forms in optab.TABLE.items():
        assert forms, op
        for form in forms:
            for k in form.kinds:
                assert k in optab.KINDS or k.startswith("@"), (op, k)
            for item in form.intel_operands():
                assert isinstance(item, str) or 0 <= item < len(form.kinds), (op, str(form))


def test_families_are_generated():
    assert {f"CMOVQ{cc}" for cc in optab.GROUPS["cc"]} <= optab.TABLE.keys()
    assert optab.TABLE["SETHI"][0].intel == "seta"
    assert optab.TABLE["CMOVLCC"][0].intel == "cmovae"
    assert [f.intel for f in optab.TABLE["SALQ"]] == ["shl", "shl"]


def test_forms_print_back_as_table_text():
    for forms in optab.TABLE.values():
        for form in forms:
            assert optab.parse_form(str(form)) == form, str(form)


def test_aliases_name_table_entries_or_branches():
    for alias, target in optab.ALIASES.items():
        assert target in optab.TABLE or target in optab.BRANCHES, (alias, target)
    assert optab.lookup("MOVD") is optab.TABLE["MOVQ"]


def test_every_form_is_reachable():
    unreachable = [f"{op}: {form}" for op, _, form in all_forms() if args_for(op, form) is None]
    assert not unreachable, "forms shadowed by earlier ones:\n" + "\n".join(unreachable)


@cache
def encoded_forms() -> list[tuple[str, optab.Form, IntelInsn, encode.Encoded]]:
    todo = []
    for op, _, form in all_forms():
        args = args_for(op, form)
        if args is not None:
            todo.append((op, form, translate.to_intel(prog(op, args))))
    out = encode.encode([insn for _, _, insn in todo])
    return [(op, form, insn, enc) for (op, form, insn), enc in zip(todo, out, strict=True)]


def test_every_form_encodes_and_decodes_to_its_meaning():
    wrong = []
    for op, form, insn, enc in encoded_forms():
        if form.raw is None and not enc.code:
            wrong.append(f"{op} {form}: no bytes")
            continue
        problem = check_decodes(op, form, insn, enc.code)
        if problem:
            wrong.append(f"{op} [{form}] {insn.text}: {problem}")
    assert not wrong, f"{len(wrong)} forms:\n" + "\n".join(wrong)


def test_symbol_operands_get_pcrel_relocations():
    for op, form, insn, enc in encoded_forms():
        if insn.reloc is not None and insn.reloc.symbol == "sym":
            (r,) = [r for r in enc.relocs if r.symbol == "sym"]
            assert enc.code[r.offset : r.offset + 4] == bytes(4), (op, str(form))
            assert r.addend == insn.reloc.addend - (len(enc.code) - r.offset - 4), (op, str(form))


# ---------------------------------------------------------------------------------------------
# Random operands (hypothesis)
# ---------------------------------------------------------------------------------------------

_GPR_NAMES = list(optab.GPR64)
# The forms keystone assembles (raw forms are bytes by construction), proxies included.
_INTEL_FORMS = [(op, f) for op, _, f in all_forms() if f.raw is None]


@st.composite
def memory(draw) -> Addr:
    if draw(st.integers(0, 5)) == 0:
        return sym(draw(st.sampled_from(["sym", "runtime·x", "a.b"])), draw(st.integers(-(2**31), 2**31 - 1)))
    base = draw(st.none() | st.sampled_from(_GPR_NAMES))
    index = draw(st.none() | st.sampled_from([r for r in _GPR_NAMES if r != "SP"]))
    disp = draw(st.sampled_from([0, 1, -1, 127, 128, -128, -129]) | st.integers(-(2**31), 2**31 - 1))
    return mem(base, disp, index, draw(st.sampled_from([1, 2, 4, 8])))


_ALL_REGS = list(
    optab.GPR64 + optab.BYTE_REGS + optab.HIGH_BYTE_REGS + optab.XMM_REGS + optab.MMX_REGS + optab.X87_REGS
    + optab.SEGMENT_REGS + optab.SPECIAL_REGS + optab.CONTROL_REGS + optab.DEBUG_REGS + optab.TEST_REGS
)  # fmt: skip


def operand(kind: str):
    """Any operand the kind takes: its registers, memory of every shape, immediates in range."""
    if kind in optab.IMM_KINDS:
        lo, hi, _ = optab.IMM_KINDS[kind]
        return st.integers(lo, min(hi, 2**63 - 1)).map(const)
    if kind == "addr":
        return st.integers(-(2**31), 2**31 - 1).map(lambda off: sym("sym", off, addr=True))
    choices = []
    names = [r for r in _ALL_REGS if translate.matches(kind, reg(r))]
    if names:
        choices.append(st.sampled_from(names).map(reg))
    if kind in optab.MEM_SIZE:
        choices.append(memory())
    return st.one_of(choices)


@st.composite
def instructions(draw) -> list[tuple[str, list[Addr]]]:
    out = []
    for _ in range(draw(st.integers(1, 40))):
        op, form = draw(st.sampled_from(_INTEL_FORMS))
        out.append((op, [draw(operand(k)) for k in form.kinds]))
    return out


@SETTINGS
@given(instructions())
def test_random_operands_encode_to_their_meaning(batch):
    todo = []
    for line, (op, args) in enumerate(batch, 1):
        form = translate.select_form(op, args)
        assert form is not None, (op, args)
        try:
            insn = translate.to_intel(Prog(Pos("r.s", line), op, list(args)))
        except AsmError as e:  # only Go's own refusals: offsets and the like
            assert "offset too large" in e.message or "invalid instruction" in e.message, e.message
            continue
        todo.append((op, form, insn))
    try:
        out = encode.encode([insn for _, _, insn in todo])
    except AsmError as e:
        # Keystone refuses what the hardware cannot encode; the others must still be right.
        for d in e.diagnostics:
            assert "invalid instruction" in d.message or "cannot encode" in d.message, d.message
        bad = {d.pos.line for d in e.diagnostics}
        todo = [t for t in todo if t[2].pos.line not in bad]
        out = encode.encode([insn for _, _, insn in todo])
    for (op, form, insn), enc in zip(todo, out, strict=True):
        problem = check_decodes(op, form, insn, enc.code)
        assert problem is None, f"{op} [{form}] {insn.text}: {problem}"


# ---------------------------------------------------------------------------------------------
# Garbage: only AsmError may come out
# ---------------------------------------------------------------------------------------------

_ANY_REG = list(optab.GPR64 + optab.BYTE_REGS + optab.HIGH_BYTE_REGS + optab.XMM_REGS + optab.MMX_REGS
                + optab.X87_REGS + optab.SEGMENT_REGS + optab.SPECIAL_REGS + optab.CONTROL_REGS
                + optab.DEBUG_REGS) + ["Y1", "K1", "Z3", "SB", "FP", "PC", "BOGUS"]  # fmt: skip


@st.composite
def garbage_addr(draw) -> Addr:
    t = draw(st.sampled_from(list(AddrType)))
    maybe_reg = st.none() | st.sampled_from(_ANY_REG)
    return Addr(
        type=t, reg=draw(maybe_reg), index=draw(maybe_reg), scale=draw(st.sampled_from([0, 1, 2, 3, 4, 8, 16])),
        offset=draw(st.integers(-(2**64), 2**64)), sym=draw(st.none() | st.just("sym")),
        name=draw(st.sampled_from(list(Name))), value=draw(st.none() | st.floats() | st.binary(max_size=4)),
        label=draw(st.none() | st.just("L")),
    )  # fmt: skip


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(sorted(optab.TABLE) + ["FOO", "ADJSP", "JEQ", "AAA"]),
                          st.lists(garbage_addr(), max_size=4)), min_size=1, max_size=30))  # fmt: skip
def test_garbage_progs_give_asm_errors_only(batch):
    insns = []
    for op, args in batch:
        try:
            insns.append(translate.to_intel(prog(op, args)))
        except AsmError:
            pass
    try:
        encode.encode(insns)
    except AsmError:
        pass


_WORDS = ["MOVQ", "ADDB", "PSHUFD", "FMOVD", "CMPPS", "LOCK", "XCHGL", "SHLQ", "IMUL3Q", "CRC32B", "NOPL"]
_TOKENS = ["AX", "AH", "R9B", "X3", "M1", "F2", "FS", "CR8", "TLS", "$1", "$-1", "$0xffffffff", "$1.5",
           "(AX)", "8(SP)", "(R12)(R13*8)", "sym(SB)", "$sym(SB)", "16(TLS)", "(AX*8)", "x+8(FP)", "$", "(",
           ")", "*", "[", "<>", "·", "-"]  # fmt: skip


@SETTINGS
@given(st.sampled_from(_WORDS), st.lists(st.sampled_from(_TOKENS), max_size=5), st.booleans())
def test_garbage_text_gives_asm_errors_only(word, tokens, commas):
    text = word + " " + (", " if commas else " ").join(tokens)
    try:
        p = parse_statement(text, P)
        insn = translate.to_intel(p)
        encode.encode([insn])
    except AsmError:
        pass


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("ADDQ (AX), (BX)", "invalid instruction: ADDQ (AX), (BX)"),
        ("FOO AX", "unknown instruction FOO"),
        ("LEAVEL", "illegal in 64-bit mode: LEAVEL"),
        ("MOVL 0x123456789(AX), DX", "offset too large"),
    ],
)
def test_error_messages(src, message):
    word, _, rest = src.partition(" ")
    p = parse_statement(src, P) if word in optab.TABLE else Prog(P, word, [reg(rest)] if rest else [])
    p.text = src
    with pytest.raises(AsmError) as e:
        translate.to_intel(p)
    assert e.value.message.startswith(message)
