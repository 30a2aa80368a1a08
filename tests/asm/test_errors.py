"""Assembler errors: every error of a file, as `file:line:col: message`, never a traceback."""

import pytest

from asm.assemble import assemble_source
from asm.errors import AsmError
from asm.link import link

HEADER = '#include "textflag.h"\n'


def errors(src: str) -> list[str]:
    with pytest.raises(AsmError) as e:
        assemble_source(HEADER + src, "e.s")
    return [str(d) for d in e.value.diagnostics]


def test_undefined_label():
    assert errors("TEXT ·f(SB), NOSPLIT, $0\n\tJMP nowhere\n\tRET\n") == ["e.s:3:6: undefined label nowhere"]


def test_label_multiply_defined():
    src = "TEXT ·f(SB), NOSPLIT, $0\nl:\n\tNOP\nl:\n\tRET\n"
    assert errors(src) == ["e.s:6:2: label 'l' multiply defined (first at line 4)"]


def test_labels_are_function_scoped():
    src = "TEXT ·f(SB), NOSPLIT, $0\nl:\n\tRET\nTEXT ·g(SB), NOSPLIT, $0\n\tJMP l\n"
    assert errors(src) == ["e.s:6:6: undefined label l"]


def test_duplicate_symbol():
    src = "TEXT ·f(SB), NOSPLIT, $0\n\tRET\nTEXT ·f(SB), NOSPLIT, $0\n\tRET\n"
    assert errors(src) == ["e.s:4:1: duplicate symbol main.f (first defined at e.s:2:1)"]


def test_duplicate_symbol_across_files_at_link():
    a = assemble_source("TEXT ·f(SB), 4, $0\n\tRET\n", "a.s")
    b = assemble_source("TEXT ·f(SB), 4, $0\n\tRET\n", "b.s")
    with pytest.raises(AsmError) as e:
        link([a, b])
    assert str(e.value) == "b.s:1:1: duplicate symbol main.f (first defined at a.s:1:1)"


def test_undefined_symbol_at_link():
    obj = assemble_source(HEADER + "TEXT ·f(SB), NOSPLIT, $0\n\tCALL ·g(SB)\n\tRET\n", "a.s")
    with pytest.raises(AsmError) as e:
        link([obj])
    assert str(e.value) == "a.s:3: main.f: relocation target main.g not defined"


def test_unbalanced_push_pop():
    src = "TEXT ·f(SB), NOSPLIT, $0\n\tPUSHQ AX\n\tRET\n"
    assert errors(src) == ["e.s:4:2: main.f: unbalanced PUSH/POP (SP is +8 bytes off at RET)"]


def test_conditional_branch_to_text_symbol():
    src = "TEXT ·f(SB), NOSPLIT, $0\n\tJEQ ·g(SB)\n\tRET\n"
    assert errors(src) == ["e.s:3:2: JEQ main.g(SB): branch to ATEXT: only CALL and JMP may target a symbol"]


def test_data_errors():
    src = (
        "DATA d<>+8(SB)/8, $1\nDATA d<>+0(SB)/8, $2\nDATA d<>+16(SB)/8, $3\n"
        "GLOBL d<>(SB), RODATA, $16\nDATA e<>+0(SB)/8, $1\n"
    )
    assert errors(src) == [
        "e.s:3:1: DATA d<>+0(SB)/8: overlapping DATA entry for d<> (DATA must be in increasing order)",
        "e.s:4:1: DATA d<>+16(SB)/8: past the end of d<> (GLOBL size 16)",
        "e.s:6:1: DATA e<>+0(SB)/8: no GLOBL for e<>",
    ]


def test_every_error_of_a_file_is_reported():
    src = "TEXT ·f(SB), NOSPLIT, $0\n\tFROB AX\n\tMOVQ 8(FP), AX\n\tNOTHING\n\tRET\n"
    assert errors(src) == [
        "e.s:3:2: unrecognized instruction 'FROB'",
        "e.s:4:9: cannot reference FP without a symbol",
        "e.s:5:2: unrecognized instruction 'NOTHING'",
    ]


def test_include_not_found_and_macro_recursion():
    src = '#include "missing.h"\n#define LOOP LOOP\nTEXT ·f(SB), NOSPLIT, $0\n\tLOOP\n'
    assert errors(src) == [
        "e.s:2:10: #include: open missing.h: no such file or directory",
        "e.s:5:2: recursive macro invocation: LOOP",
    ]


def test_call_to_label_is_rejected():
    src = "TEXT ·f(SB), NOSPLIT, $0\nl:\n\tCALL l\n\tRET\n"
    assert errors(src) == [
        "e.s:4:2: call without target: CALL to a label is not supported; CALL a TEXT symbol"
    ]


def test_instruction_outside_text():
    assert errors("\tRET\n") == ["e.s:2:2: RET outside of a TEXT function"]


def test_bad_literals_are_all_reported():
    src = 'TEXT ·f(SB), NOSPLIT, $0\n\tMOVQ $0x10000000000000000, AX\n\tMOVQ "open\n\tMOVQ $\'ab\', AX\n\tMOVQ ` x\n'
    assert errors(src) == [
        "e.s:3:8: integer constant 0x10000000000000000 overflows 64 bits",
        "e.s:4:7: string literal not terminated",
        "e.s:5:8: malformed character constant 'ab'",
        "e.s:6:7: unexpected character '`'",
    ]


def test_bytes_that_are_not_utf8_are_invalid_encoding_outside_comments():
    """Go's scanner: `invalid UTF-8 encoding` at the token holding the bytes (source files are read
    with surrogateescape, so they reach the lexer as U+DC80..U+DCFF); in a comment Go reports them
    yet assembles the file, and so does goemu, silently."""
    bad = b"\xff\xfe".decode("utf-8", "surrogateescape")
    src = f'TEXT {bad}(SB), $0\nTEXT ·f(SB), $0\n\tMOVQ $"a{bad}", AX\n\tRET // {bad}\n'
    assert errors(src) == ["e.s:2:6: invalid UTF-8 encoding", "e.s:4:8: invalid UTF-8 encoding"]
    assert assemble_source(f"TEXT ·f(SB), $0\n\tRET // {bad}\n/* {bad} */\n", "e.s").texts[0].code == b"\xc3"


def test_deeply_nested_expressions_are_an_error_not_a_crash():
    """Expressions nest up to 200 factors deep (parentheses, unary signs), past which the message
    says so at the factor that went too deep; 150 levels still assemble."""
    src = ("TEXT ·f(SB), $0\n\tMOVQ $" + "(" * 500 + "1" + ")" * 500 + ", AX\n\tMOVQ $" + "-" * 1000 + "1, AX\n"
           "\tMOVSD $" + "(" * 500 + "1.5" + ")" * 500 + ", X0\n")  # fmt: skip
    message = "expression nested too deeply (more than 200 levels)"
    assert errors(src) == [f"e.s:3:208: {message}", f"e.s:4:208: {message}", f"e.s:5:209: {message}"]
    assert assemble_source("TEXT ·f(SB), $0\n\tMOVQ $" + "(" * 150 + "7" + ")" * 150 + ", AX\n", "e.s").texts[0].code[-4:] == b"\x07\x00\x00\x00"
