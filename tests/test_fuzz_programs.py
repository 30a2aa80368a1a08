"""Hostile programs: random instruction sequences run as goroutines end within the limits, with
exit status 0 or 2 and goemu's or Go's words, never a Python traceback or an internal error."""

import io
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asm import Options
from asm.errors import AsmError
from emu.run import Config, Limits, run
from runtime.layout import STRUCTS

G_FIELDS = [f.offset for f in STRUCTS["g"].fields if f.size == 8]
value = st.sampled_from([0, 1, 8, 0x1000, 0x300000, 0x300010, 0x401000, 0xC000000000, 0xC200000000, -1, 1 << 47])
# Statements of main or of a goroutine; each keeps SP balanced so that the file assembles.
STATEMENTS = st.one_of(
    st.builds("\tMOVQ ${}, AX\n\tJMP AX\n".format, value),  # into the gate page, text, data, nowhere
    st.builds("\tMOVQ ${}, AX\n\tCALL AX\n".format, value),
    st.builds("\tMOVQ ${}, AX\n\tMOVQ AX, {}(R14)\n".format, value, st.sampled_from(G_FIELDS)),  # over the G
    st.builds("\tMOVQ ${}, AX\n\tMOVQ AX, (AX)\n".format, value),
    st.builds("\tMOVQ ${}, AX\n\tMOVQ (TLS), CX\n\tMOVQ AX, 48(CX)\n".format, value),  # g.m
    st.builds("\tMOVQ ${}, AX\n\tSYSCALL\n".format, st.integers(0, 600)),
    st.builds("\tMOVQ ${}, AX\n\tMOVQ AX, 0(SP)\n\tMOVQ ${}, AX\n\tMOVQ AX, 8(SP)\n\tCALL runtime·{}(SB)\n".format,
              value, value,
              st.sampled_from(["chansend1", "chanrecv1", "closechan", "newproc", "write", "makechan", "mallocgc",
                               "Gosched", "Goexit", "printint", "printstring", "GOMAXPROCS"])),
    st.sampled_from([
        "\tBYTE $0x0f; BYTE $0x0b\n", "\tINT $3\n", "\tHLT\n", "\tINT $0x21\n", "\tCLI\n", "\tNOP\n",
        "\tADDQ $8, AX\n", "\tXORQ DX, DX\n\tDIVQ DX\n", "\tMOVQ $0, SP\n", "\tMOVQ $0xC000000000, SP\n",
        "\tMOVQ $0x1234, BP\n", "\tCALL runtime·Gosched(SB)\n", "\tMOVQ $0, R14\n",
        "\tLEAQ ·w(SB), AX\n\tMOVQ AX, f-8(SP)\n\tLEAQ f-8(SP), AX\n\tMOVQ AX, 0(SP)\n\tCALL runtime·newproc(SB)\n",
    ]),
)  # fmt: skip
# Raw machine code: whatever the bytes decode to (or not), run as it stands.
RAW = st.binary(min_size=1, max_size=16).map(lambda b: "".join(f"\tBYTE ${x:#x}\n" for x in b))
KNOWN = ("panic: ", "fatal error: ", "unexpected fault address ", "SIGILL: ", "SIGTRAP: ", "goemu: ", "runtime: ")


def check(main: list[str], worker: list[str]) -> None:
    src = (
        '#include "textflag.h"\nTEXT ·w(SB), $24-0\n' + "".join(worker) + "\tRET\n"
        "TEXT main·main(SB), $40-0\n" + "".join(main) + "\tRET\n"
    )
    out, err = io.BytesIO(), io.BytesIO()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "fuzz.s")
        with open(path, "w") as f:
            f.write(src)
        try:
            status = run([path], Options(), Limits(max_insns=300_000, timeout=20), out, err, Config(gomaxprocs=2))
        except AsmError:
            return  # rejected with the assembler's message: fine
    text = err.getvalue().decode(errors="replace")
    assert status in (0, 2), (status, text, src)
    assert "Traceback" not in text and "internal error" not in text, (text, src)
    if status == 2:  # after whatever the program printed itself
        assert any(known in text for known in KNOWN), (text, src)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STATEMENTS | RAW, max_size=6), st.lists(STATEMENTS | RAW, max_size=4))
def test_hostile_programs_end_in_go_words(main, worker):
    check(main, worker)


@pytest.mark.fuzz
@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
@given(st.lists(STATEMENTS | RAW, max_size=10), st.lists(STATEMENTS | RAW, max_size=6))
def test_hostile_programs_full_budget(main, worker):
    check(main, worker)
