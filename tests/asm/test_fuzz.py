"""Whole files of random statements: the assembler answers with AsmError or an Object, never a crash."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asm.assemble import assemble_source
from asm.errors import AsmError
from asm.link import link

WORDS = [
    "TEXT", "DATA", "GLOBL", "MOVQ", "MOVL", "ADDQ", "LEAQ", "CALL", "JMP", "JEQ", "RET", "PUSHQ", "POPQ",
    "ADJSP", "NOP", "BYTE", "QUAD", "SYSCALL", "MOVSD", "CMPQ", "#define", "#include", "#ifdef", "#endif",
    "#undef", "FUNCDATA", "PCDATA", "lab:", "·f(SB)", "·g(SB)", "x<>(SB)", "x+8(FP)", "y-8(SP)", "8(SP)",
    "(AX)(BX*8)", "(TLS)", "$1", "$-1", "$(1<<40)", "$1.5", '$"ab"', "$·f(SB)", "AX", "BX", "X0", "R14", "g",
    "NOSPLIT", "$0", "$16-8", "$-8", "/8", ",", ";", "(", ")", "\\", "lab", "2(PC)", "NOFRAME|NOSPLIT", "4",
]  # fmt: skip

line = st.lists(st.sampled_from(WORDS), min_size=1, max_size=7).map(" ".join)
program = st.lists(line, max_size=25).map(lambda ls: '#include "textflag.h"\n' + "\n".join(ls) + "\n")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program)
def test_random_programs_never_crash(src):
    try:
        obj = assemble_source(src, "fuzz.s")
        link([obj], allow_undefined=True)
    except AsmError as e:
        for d in e.diagnostics:
            assert d.pos.file in ("fuzz.s", "textflag.h") and d.message


VALID = [
    "\tMOVQ x+0(FP), AX", "\tADDQ $1, AX", "\tPUSHQ AX\n\tPOPQ AX", "\tCALL ·g(SB)", "\tJEQ end",
    "\tJMP end", "\tLEAQ y-8(SP), BX", "\tMOVQ AX, ret+8(FP)", "\tCMPQ AX, $10", "\tNOP",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(VALID), max_size=40), st.sampled_from(["$0-16", "$24-16", "$200-16", "$5000-16"]))
def test_valid_bodies_assemble_and_branches_reach_their_targets(body, frame):
    src = "\n".join(["TEXT ·f(SB), " + frame, *body, "end:", "\tRET", "TEXT ·g(SB), $0", "\tRET", ""])
    obj = assemble_source(src, "ok.s")
    f = obj.texts[0]
    assert f.code == b"".join(i.code for i in f.instructions)
    end_line = src.splitlines().index("end:") + 2  # 1-based line of the RET after end:
    end = next(i.offset for i in f.instructions if i.line == end_line)
    for i in f.instructions:
        if i.source in ("JEQ end", "JMP end"):
            rel = int.from_bytes(i.code[-4:] if len(i.code) > 2 else i.code[-1:], "little", signed=True)
            assert i.offset + len(i.code) + rel == end == int(i.text.split("\t")[1])
    img = link([obj], allow_undefined=True)
    assert img.symbols["main.f"].size == len(f.code)
