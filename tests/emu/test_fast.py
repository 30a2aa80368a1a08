"""--fast: slices end on the host's clock, and yet every instruction and runtime call takes effect
once, however a slice ends around it."""

import io

import pytest

import emu.run
from asm import Options, assemble_source, link
from emu import bench_programs as bp
from emu.run import Config, Limits, boot, build, run_process
from emu.stopsafe import rmw_instructions, timeout_safe

COUNT = bp.PRELUDE + """
GLOBL	counter<>(SB), NOPTR, $8
TEXT main·main(SB), $8-0
	MOVQ	$N, CX
loop:
	INCQ	counter<>(SB)
	DECQ	CX
	JNZ	loop
	PRINTLN(counter<>(SB))
	RET
"""


def _boot(tmp_path, text: str, n: int, out: io.BytesIO):
    src = tmp_path / "prog.s"
    src.write_text(text)
    image, gates = build([str(src)], Options(defines={"N": str(n)}))
    return boot(image, gates, out, out, Config(gomaxprocs=1, fast=True))


def test_fast_slices_that_time_out_in_a_gate_call_it_once(tmp_path, monkeypatch):
    # Slices of 20 us of host time: most time-outs land while the hook runs Gosched's Python, and
    # the CPU then stops at the gate before its jump. Restarted there, the hook must let the call
    # go on to its answer (once, it ran Gosched twice: the goroutine resumed on the other's stack).
    monkeypatch.setattr(emu.run, "FAST_SLICE_US", 20)
    out = io.BytesIO()
    proc = _boot(tmp_path, bp.SWITCH, 3000, out)  # no read-modify-write: slices end by time-out
    assert proc.timeouts
    calls = []
    gosched = next(a for a, name in proc.gate_names.items() if name == "runtime.Gosched")
    fn = proc.gates[gosched]
    proc.gates[gosched] = lambda rt, mp, frame: calls.append(rt.curg(mp).goid) or fn(rt, mp, frame)
    status = run_process(proc, Limits(timeout=20))
    proc.machine.close()
    assert (status, out.getvalue()) == (0, b"2\n")
    # 3000 each (fast mode's switch order is the host's: sysmon may preempt on the wall clock)
    assert (len(calls), calls.count(5), calls.count(6)) == (6000, 3000, 3000)


def test_fast_slices_of_a_program_with_read_modify_write_end_by_count(tmp_path, monkeypatch):
    # Unicorn's time-out would end some slices inside INCQ counter<>(SB), after its store, and
    # run it again: the count would come out high. Slices of 1000 instructions end between two.
    monkeypatch.setattr(emu.run, "FAST_SLICE_INSNS", 1000)
    out = io.BytesIO()
    proc = _boot(tmp_path, COUNT, 300_000, out)
    assert not proc.timeouts
    status = run_process(proc, Limits(timeout=60))
    proc.machine.close()
    assert (status, out.getvalue()) == (0, b"300000\n")


def _image(body: str):
    obj = assemble_source(f'#include "textflag.h"\nGLOBL x<>(SB), NOPTR, $8\nTEXT main·main(SB), NOSPLIT, $8-0\n{body}\tRET\n', "t.s")
    return link([obj], allow_undefined=True)


@pytest.mark.parametrize(
    "insn",
    ["INCQ x<>(SB)", "ADDQ AX, n-8(SP)", "XCHGQ AX, (BX)", "LOCK; CMPXCHGQ CX, (BX)", "LOCK; XADDQ AX, (BX)",
     "NEGL 4(BX)", "BTSQ $3, (BX)", "SHLQ $1, x<>(SB)", "ANDB $1, (DI)"],
)  # fmt: skip
def test_read_modify_write_instructions_are_found(insn):
    image = _image(f"\tMOVQ $0, AX\n\t{insn}\n")
    found = list(rmw_instructions(image))
    # main.main: a 14-byte prologue (SUBQ, MOVQ BP, LEAQ), MOVQ $0, AX (7 bytes), then insn
    assert [(name, addr - image.symbols["main.main"].addr) for name, addr, _ in found] == [("main.main", 21)]
    assert not timeout_safe(image)


def test_loads_and_stores_are_safe_to_run_again():
    body = "".join(f"\t{i}\n" for i in (
        "MOVQ AX, (BX)", "MOVQ (BX), AX", "PUSHQ AX", "POPQ AX", "CALL ·f(SB)", "ADDQ (BX), AX",
        "MOVL $1, x<>(SB)", "SETEQ (BX)", "CMPQ (BX), $3", "MOVOU X1, (DI)",
    ))  # fmt: skip
    image = _image(body)
    assert list(rmw_instructions(image)) == [] and timeout_safe(image)
