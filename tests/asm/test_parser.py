"""The parser: operands, expressions, pseudo-ops and their errors, knowing nothing of x86."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asm.errors import AsmError, Pos
from asm.parser import ARGS_SIZE_UNKNOWN, parse_statement
from asm.prog import AddrType, Name

P = Pos("t.s", 1)


def arg(text: str, i: int = 0):
    return parse_statement(text, P).args[i]


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ("MOVQ $(1<<4), AX", 16),
        ("MOVQ $'a', AX", 97),
        ("MOVQ $-1, AX", -1),
        ("MOVQ $~0, AX", -1),
        ("MOVQ $0x7fffffffffffffff, AX", (1 << 63) - 1),
        ("MOVQ $0xffffffffffffffff, AX", -1),
        ("MOVQ $(3*4+2)/2, AX", 7),
        ("MOVQ $1<<2+1, AX", 5),  # cmd/asm's term() returns after <<, so this is (1<<2)+1
        ("MOVQ $(6&3|8^1), AX", 11),
        ("MOVQ $017, AX", 15),
        ("MOVQ $0b101, AX", 5),
        ("MOVQ $'\\n', AX", 10),
        ("MOVQ $'\\x41', AX", 65),
        ("MOVQ $'·', AX", 0xB7),
    ],
)
def test_constant_expressions(src, want):
    a = arg(src)
    assert (a.type, a.offset) == (AddrType.CONST, want)


def test_memory_operands():
    a = arg("MOVQ 8(AX)(BX*4), CX")
    assert (a.type, a.reg, a.index, a.scale, a.offset) == (AddrType.MEM, "AX", "BX", 4, 8)
    a = arg("MOVQ (R8*8), CX")
    assert (a.reg, a.index, a.scale) == (None, "R8", 8)
    a = arg("MOVQ -16(SP), CX")
    assert (a.reg, a.name, a.offset) == ("SP", Name.NONE, -16)


def test_symbol_operands():
    a = arg("MOVQ runtime·x+8(SB), AX")
    assert (a.sym, a.name, a.offset) == ("runtime.x", Name.EXTERN, 8)
    a = arg("MOVQ ·y(SB), AX")
    assert (a.sym, a.name) == ("main.y", Name.EXTERN)
    a = arg("MOVQ tab<>+16(SB), AX")
    assert (a.sym, a.name, a.offset) == ("tab<>", Name.STATIC, 16)
    a = arg("MOVQ a∕b·c(SB), AX")
    assert a.sym == "a/b.c"
    a = arg("MOVQ tab<>(SB)(AX*8), BX")
    assert (a.sym, a.index, a.scale) == ("tab<>", "AX", 8)
    a = arg("MOVQ $·f(SB), AX")
    assert (a.type, a.sym) == (AddrType.ADDR, "main.f")


def test_pseudo_registers():
    a = arg("MOVQ x+8(FP), AX")
    assert (a.type, a.name, a.sym, a.offset) == (AddrType.MEM, Name.PARAM, "x", 8)
    a = arg("MOVQ y-8(SP), AX")
    assert (a.name, a.sym, a.offset) == (Name.AUTO, "y", -8)
    a = arg("LEAQ $x+0(FP), AX")
    assert (a.type, a.name) == (AddrType.ADDR, Name.PARAM)


def test_registers_and_g_alias():
    p = parse_statement("MOVQ g, R15B", P)
    assert [a.reg for a in p.args] == ["R14", "R15B"]
    p = parse_statement("MOVQ (TLS), R14", P)
    assert (p.args[0].type, p.args[0].reg) == (AddrType.MEM, "TLS")
    p = parse_statement("MOVQ 0(CX)(TLS*1), AX", P)
    assert (p.args[0].reg, p.args[0].index) == ("CX", "TLS")


def test_branches():
    assert arg("JMP 2(PC)").type is AddrType.BRANCH and arg("JMP 2(PC)").offset == 2
    a = arg("JEQ done")
    assert (a.type, a.label) == (AddrType.BRANCH, "done")
    a = arg("CALL runtime·f(SB)")
    assert (a.type, a.sym) == (AddrType.MEM, "runtime.f")
    assert arg("JMP AX").type is AddrType.REG


def test_floats_and_strings():
    a = arg("MOVSD $1.5, X0")
    assert (a.type, a.value) == (AddrType.FCONST, 1.5)
    a = arg("MOVSD $-(2.5), X0")
    assert a.value == -2.5


def test_register_pair_old_syntax_is_swapped():
    p = parse_statement("IMUL3Q $3, AX:DX", P)
    assert [a.reg for a in p.args[1:]] == ["DX", "AX"]


def test_text_operands():
    p = parse_statement("TEXT ·f(SB), 4, $24-16", P)
    name, flags, size = p.args
    assert (name.sym, flags.offset, size.offset, size.value) == ("main.f", 4, 24, 16)
    size = parse_statement("TEXT ·f(SB), $-8", P).args[2]
    assert (size.offset, size.value) == (-8, ARGS_SIZE_UNKNOWN)


def test_data_and_globl():
    p = parse_statement('DATA msg<>+8(SB)/4, $"abcd"', P)
    assert (p.args[0].sym, p.args[0].offset, p.args[0].width, p.args[1].value) == ("msg<>", 8, 4, b"abcd")
    p = parse_statement("GLOBL msg<>(SB), 24, $16", P)
    assert (p.args[1].offset, p.args[2].offset) == (24, 16)


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("MOVQ 8(FP), AX", "t.s:1:8: cannot reference FP without a symbol"),
        ("FROB AX", "t.s:1:1: unrecognized instruction 'FROB'"),
        ("MOVQ $, AX", "t.s:1:6: unexpected end of operand"),
        ("MOVQ (AX)(BX*3), CX", "t.s:1:14: bad scale: 3"),
        ("MOVQ x(SB, AX", "t.s:1:10: expected ), found ,"),
        ("MOVQ AX,, BX", "t.s:1:9: missing operand"),
        ("MOVQ $AX, BX", "t.s:1:7: prefix $ not allowed for register: $AX"),
        ("MOVQ 1.5, X0", "t.s:1:6: floating-point constant must be an immediate"),
        ("MOVQ $(1/0), AX", "t.s:1:9: division by zero"),
        ("TEXT ·f(SB), $a", "t.s:1:14: TEXT main.f: frame size must be an immediate constant"),
        ("TEXT ·f(SB), $8-x", "t.s:1:16: TEXT main.f: argument size must be of form -integer"),
        ("TEXT ·f+8(SB), $0", "t.s:1:6: TEXT symbol 'main.f' must not be offset from SB"),
        ("TEXT f(FP), $0", "t.s:1:6: TEXT symbol 'f(FP)' must be a symbol(SB)"),
        ("DATA x(SB), $1", "t.s:1:6: expect /size for DATA argument"),
        ("GLOBL x(SB), $a", "t.s:1:15: illegal or missing addressing mode for symbol a"),
        ("MOVQ x(XX), AX", "t.s:1:8: expected pseudo-register; found XX"),
        ("MOVQ 4(5), AX", "t.s:1:8: indirect through non-register 5"),
        ("MOVQ.Z AX, BX", "t.s:1:1: unsupported instruction suffix .Z (AVX-512 only)"),
        ("1: RET", "t.s:1:1: expected identifier, found '1'"),
    ],
)
def test_errors(src, message):
    with pytest.raises(AsmError) as e:
        parse_statement(src, P)
    assert str(e.value) == message


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="MOVQADX$()*+-,<>·:;0123456789 \tSBFPgx.\"'~/%&|^", max_size=40))
def test_garbage_never_crashes(text):
    try:
        parse_statement("MOVQ " + text, P)
    except AsmError:
        pass
