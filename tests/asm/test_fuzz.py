"""Whole files of random statements: the assembler answers with AsmError or an Object, never a crash."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from asm.assemble import Options, assemble_source
from asm.errors import AsmError
from asm.link import link

WORDS = [
    "TEXT", "DATA", "GLOBL", "MOVQ", "MOVL", "ADDQ", "LEAQ", "CALL", "JMP", "JEQ", "RET", "PUSHQ", "POPQ",
    "ADJSP", "NOP", "BYTE", "QUAD", "SYSCALL", "MOVSD", "CMPQ", "#define", "#include", "#ifdef", "#endif",
    "#undef", "FUNCDATA", "PCDATA", "lab:", "·f(SB)", "·g(SB)", "x<>(SB)", "x+8(FP)", "y-8(SP)", "8(SP)",
    "(AX)(BX*8)", "(TLS)", "$1", "$-1", "$(1<<40)", "$1.5", '$"ab"', "$·f(SB)", "AX", "BX", "X0", "R14", "g",
    "NOSPLIT", "$0", "$16-8", "$-8", "/8", ",", ";", "(", ")", "\\", "lab", "2(PC)", "NOFRAME|NOSPLIT", "4",
]  # fmt: skip

# Raw bytes as the source reader hands them on (surrogateescape): NULs, bytes that are not UTF-8.
BYTES = st.binary(min_size=1, max_size=3).map(lambda b: b.decode("utf-8", "surrogateescape"))
line = st.lists(st.sampled_from(WORDS) | BYTES, min_size=1, max_size=7).map(" ".join)
program = st.lists(line, max_size=25).map(lambda ls: '#include "textflag.h"\n' + "\n".join(ls) + "\n")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program)
@example('#include "a\\x00b.h"\n')  # found by atheris: the NUL reached open()
@example('#include "\udcff"\n\tMOVQ $"\udcfe", AX\n')
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


SAMPLES = sorted((Path(__file__).resolve().parents[2] / "samples").glob("*.s"))
MUTATIONS = st.lists(
    st.tuples(st.sampled_from(["delete", "insert", "duplicate", "swap"]), st.integers(0, 1 << 20),
              st.sampled_from(list("()$,;:#\\/*\"'·<>+-.\n\t 0aZ(SB)"))),
    min_size=1, max_size=8,
)  # fmt: skip


def mutate(text: str, edits: list[tuple[str, int, str]]) -> str:
    """Text with each edit applied at its offset (modulo the text's length)."""
    for op, at, ch in edits:
        i = at % max(len(text), 1)
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + ch + text[i:]
        elif op == "duplicate":
            j = min(len(text), i + 40)
            text = text[:j] + text[i:j] + text[j:]
        else:
            j = (i * 7 + 13) % max(len(text), 1)
            a, b = sorted((i, j))
            text = text[:a] + text[b : b + 20] + text[a + 20 : b] + text[a : a + 20] + text[b + 20 :]
    return text


def _mutated_sample_assembles_or_says_why(sample: Path, edits: list[tuple[str, int, str]]) -> None:
    src = mutate(sample.read_text(), edits)
    try:
        obj = assemble_source(src, "fuzz.s", Options(include_dirs=[str(sample.parent)]))
        link([obj], allow_undefined=True)
    except AsmError as e:
        for d in e.diagnostics:
            assert d.message and len(d.message) < 400, d.message


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), MUTATIONS)
def test_mutated_samples_assemble_or_say_why(sample, edits):
    _mutated_sample_assembles_or_says_why(sample, edits)


@pytest.mark.fuzz
@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
@given(st.sampled_from(SAMPLES), MUTATIONS)
def test_mutated_samples_full_budget(sample, edits):
    _mutated_sample_assembles_or_says_why(sample, edits)
