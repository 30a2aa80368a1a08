"""Goroutine tracebacks walked through frame pointers, line for line as Go 1.19 prints them.

The frame counts of the deep-stack tests were checked against Go 1.19: a fault prints at most 98
program frames (gopanic and sigpanic take two of the 100), a goroutine parked in a channel
operation 97 (gopark, chansend, chansend1), and neither prints `...additional frames elided...`.
"""

import io
from pathlib import Path

import pytest

from asm import assemble_source, link
from emu.run import Limits, run
from emu.traceback import _return_slot, goroutine
from runtime.layout import G, const
from runtime.memory import BytesMemory, store


def run_source(tmp_path: Path, source: str) -> tuple[int, str, Path]:
    """Run a program (textflag.h included on line 1) and return its status, standard error and path."""
    src = tmp_path / "prog.s"
    src.write_text('#include "textflag.h"\n' + source)
    out, err = io.BytesIO(), io.BytesIO()
    status = run([str(src)], None, Limits(max_insns=10_000_000), out, err)
    assert out.getvalue() == b""
    return status, err.getvalue().decode(), src


NIL_PANIC = [
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc={pc}]",
    "",
    "goroutine 1 [running]:",
]

# Line 2 onwards (textflag.h is line 1). middle has no frame (NOSPLIT, $0: no BP slot), so its
# return address is at 0(SP) and BP passes through it from outer to inner.
THREE_DEEP = """\
TEXT ·inner(SB), $16-0
	MOVQ	$0, AX
	MOVQ	AX, x-8(SP)
	MOVQ	(AX), AX
	RET
TEXT ·middle(SB), NOSPLIT, $0-0
	CALL	·inner(SB)
	RET
TEXT ·outer(SB), $8-0
	CALL	·middle(SB)
	RET
TEXT main·main(SB), $8-0
	CALL	·outer(SB)
	RET
"""


def test_fault_shows_every_frame_innermost_first(tmp_path):
    status, err, src = run_source(tmp_path, THREE_DEEP)
    assert status == 2
    assert err.splitlines() == [
        *(line.format(pc="0x40101a") for line in NIL_PANIC),
        "main.inner()",
        f"\t{src}:5 +0x1a",  # the faulting instruction itself
        "main.middle()",
        f"\t{src}:8 +0x5",  # the CALLs, each offset that of the return address
        "main.outer()",
        f"\t{src}:11 +0x22",
        "main.main()",
        f"\t{src}:14 +0x22",
    ]


def test_call_through_nil_func_shows_the_caller_at_its_return_address(tmp_path):
    """pc 0: like Go's sigpanic, the trace starts in the caller, at the line after the CALL."""
    status, err, src = run_source(
        tmp_path,
        "GLOBL	fv<>(SB), NOPTR, $8\n"
        "TEXT ·call(SB), $8-0\n\tLEAQ	fv<>(SB), DX\n\tMOVQ	0(DX), AX\n\tCALL	AX\n\tMOVQ	$1, AX\n\tRET\n"
        "TEXT main·main(SB), $8-0\n\tCALL	·call(SB)\n\tRET\n",
    )
    assert status == 2
    assert err.splitlines() == [
        *(line.format(pc="0x0") for line in NIL_PANIC),
        "main.call()",
        f"\t{src}:7 +0x29",
        "main.main()",
        f"\t{src}:10 +0x22",
    ]


def test_parked_goroutine_shows_its_frames_in_the_deadlock_report(tmp_path):
    status, err, src = run_source(
        tmp_path,
        """\
GLOBL	ch<>(SB), NOPTR, $8
DATA	workerPC<>+0(SB)/8, $·worker(SB)
GLOBL	workerPC<>(SB), RODATA, $8
TEXT ·send(SB), $24-0
	MOVQ	$7, v-8(SP)
	MOVQ	ch<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET
TEXT ·worker(SB), $8-0
	CALL	·send(SB)
	RET
TEXT main·main(SB), $24-0
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, ch<>(SB)
	LEAQ	workerPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	$0, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	RET
""",
    )
    assert status == 2
    assert err.splitlines() == [
        "fatal error: all goroutines are asleep - deadlock!",
        "",
        "goroutine 1 [chan receive (nil chan)]:",
        "main.main()",
        f"\t{src}:27 +0x65",
        "",
        "goroutine 5 [chan send]:",
        "main.send()",
        f"\t{src}:11 +0x40",
        "main.worker()",
        f"\t{src}:14 +0x22",
        "created by main.main",
        f"\t{src}:24 +0x4f",
    ]


# down recurses 120 times without a frame (8 bytes of stack each: the 2 KiB stack holds them),
# then calls bottom (from line 21: it faults, or parks in a channel send nobody receives).
DEEP = """\
GLOBL	depth<>(SB), NOPTR, $8
GLOBL	ch<>(SB), NOPTR, $8
TEXT ·down(SB), NOSPLIT, $0-0
	DECQ	depth<>(SB)
	JEQ	bottom
	CALL	·down(SB)
	RET
bottom:
	CALL	·bottom(SB)
	RET
TEXT main·main(SB), $24-0
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, ch<>(SB)
	MOVQ	$120, depth<>(SB)
	CALL	·down(SB)
	RET
"""
BOTTOM_FAULTS = "TEXT ·bottom(SB), $8-0\n\tMOVQ	$0, AX\n\tMOVQ	(AX), AX\n\tRET\n"
BOTTOM_PARKS = (
    "TEXT ·bottom(SB), $24-0\n\tMOVQ	ch<>(SB), AX\n\tMOVQ	AX, 0(SP)\n\tLEAQ	v-8(SP), AX\n"
    "\tMOVQ	AX, 8(SP)\n\tCALL	runtime·chansend1(SB)\n\tRET\n"
)


def test_deep_fault_stops_after_100_frames_counting_the_runtimes_two(tmp_path):
    status, err, src = run_source(tmp_path, DEEP + BOTTOM_FAULTS)
    assert status == 2
    assert err.splitlines() == [
        *(line.format(pc="0x401095") for line in NIL_PANIC),
        "main.bottom()",
        f"\t{src}:23 +0x15",
        "main.down()",
        f"\t{src}:10 +0x14",
        *["main.down()", f"\t{src}:7 +0xe"] * 96,
    ]


def test_deep_parked_goroutine_stops_after_100_frames_counting_the_runtimes_three(tmp_path):
    status, err, src = run_source(tmp_path, DEEP + BOTTOM_PARKS)
    assert status == 2
    assert err.splitlines() == [
        "fatal error: all goroutines are asleep - deadlock!",
        "",
        "goroutine 1 [chan send]:",
        "main.bottom()",
        f"\t{src}:26 +0x37",
        "main.down()",
        f"\t{src}:10 +0x14",
        *["main.down()", f"\t{src}:7 +0xe"] * 95,
    ]


def test_100_printed_frames_end_with_the_elision_line():
    """A goroutine switched out in its own code (g.sched.pc in the program, as mcall leaves it)
    has no hidden runtime frame: all 100 are printed, and Go says more were left out."""
    image = link([assemble_source("TEXT ·rec(SB), 4, $8-0\n\tCALL	·rec(SB)\n\tRET\n", "rec.s")])  # NOSPLIT
    rec = image.symbols["main.rec"]
    call = next(i for i in rec.text.instructions if i.text.startswith("CALL"))
    ret = rec.addr + call.offset + len(call.code)
    mem = BytesMemory(0x10000, 0x10000)
    g = G(mem, 0x10000)
    g.stack.lo, g.stack.hi = 0x11000, 0x20000
    g.goid, g.atomicstatus = 7, const._Grunnable
    sp = 0x12000  # 150 frames of rec: 0(SP) argument area, 8(SP) saved BP, then the return address
    g.sched.pc, g.sched.sp, g.sched.bp = ret, sp, sp + 8
    for _ in range(150):
        bp = sp + 8
        store(mem, bp, 8, bp + 24)  # the caller's BP: 8(SP) of the frame above
        store(mem, bp + 8, 8, ret)
        sp = bp + 16
    assert goroutine(image, mem, g) == [
        "goroutine 7 [runnable]:",
        *["main.rec()", "\trec.s:2 +0x13"] * 100,
        "...additional frames elided...",
    ]


@pytest.mark.parametrize(
    ("corruption", "fault"),
    [
        ("MOVQ	$0x1234, 0(BP)", "5 +0x1d"),  # outer's saved BP: outside the stack
        ("MOVQ	BP, 0(BP)", "5 +0x19"),  # inner's own BP: the chain would not go up the stack
        ("LEAQ	-64(SP), AX\n\tMOVQ	AX, 0(BP)", "6 +0x1e"),  # below the innermost frame
    ],
)
def test_corrupt_frame_pointer_ends_the_walk(tmp_path, corruption, fault):
    """inner overwrites the BP it saved for outer: the walk shows inner and outer, whose frame it
    can no longer leave, and stops there without faulting or looping."""
    status, err, src = run_source(
        tmp_path,
        f"TEXT ·inner(SB), $8-0\n\t{corruption}\n\tMOVQ	$0, AX\n\tMOVQ	(AX), AX\n\tRET\n"
        "TEXT ·outer(SB), $8-0\n\tCALL	·inner(SB)\n\tRET\n"
        "TEXT main·main(SB), $8-0\n\tCALL	·outer(SB)\n\tRET\n",
    )
    assert status == 2
    outer_call = int(fault.split()[0]) + 3
    assert err.splitlines()[4:] == [
        "main.inner()",
        f"\t{src}:{fault}",
        "main.outer()",
        f"\t{src}:{outer_call} +0x22",
    ]


def test_corrupt_return_address_ends_the_walk(tmp_path):
    status, err, src = run_source(
        tmp_path,
        "TEXT ·inner(SB), $8-0\n\tMOVQ	$0x1234, 8(BP)\n\tMOVQ	$0, AX\n\tMOVQ	(AX), AX\n\tRET\n"
        "TEXT main·main(SB), $8-0\n\tCALL	·inner(SB)\n\tRET\n",
    )
    assert status == 2
    assert err.splitlines()[4:] == ["main.inner()", f"\t{src}:5 +0x1d"]


def test_return_address_in_prologue_and_epilogue():
    """Where a function's return address is at each of its instructions: from SP until the
    prologue has set BP (0, then the frame size once SUBQ has run), from BP in the body, and
    from SP again once the epilogue has restored the caller's BP."""
    fn = assemble_source("TEXT ·f(SB), $16-0\n\tCALL	·f(SB)\n\tRET\n", "f.s").texts[0]
    assert [(i.text, _return_slot(fn, i.offset)) for i in fn.instructions if i.code] == [
        ("MOVQ\t(TLS), R14", 0),
        ("CMPQ\tSP, 16(R14)", 0),
        ("JLS\t44", 0),
        ("SUBQ\t$24, SP", 0),
        ("MOVQ\tBP, 16(SP)", 24),
        ("LEAQ\t16(SP), BP", 24),
        ("CALL\tmain.f(SB)", None),
        ("MOVQ\t16(SP), BP", None),
        ("ADDQ\t$24, SP", 24),
        ("RET", 0),
        ("CALL\truntime.morestack_noctxt(SB)", 0),
        ("JMP\t0", 0),
    ]


def test_a_panic_under_a_function_that_writes_sp_is_a_traceback_throw(tmp_path):
    """outer moves SP itself (SUBQ/ADDQ, not the prologue's ADJSP): cmd/asm marks it SPWRITE, and
    gopanic's first walk up the stack (for open-coded defers) throws when it gets there, as Go
    1.19 does; the traceback stops at it too, since SP cannot be followed through it."""
    source = THREE_DEEP.replace("\tCALL\t·middle(SB)\n", "\tSUBQ\t$8, SP\n\tADDQ\t$8, SP\n\tCALL\t·middle(SB)\n")
    status, err, src = run_source(tmp_path, source)
    assert status == 2
    assert err.splitlines() == [
        "traceback: unexpected SPWRITE function main.outer",
        "fatal error: traceback",
        "",
        "goroutine 1 [running]:",
        "main.inner()",
        f"\t{src}:5 +0x1a",
        "main.middle()",
        f"\t{src}:8 +0x5",
        "main.outer()",
        f"\t{src}:13 +0x2a",
    ]


def test_a_runtime_panic_in_a_function_that_writes_sp_is_a_traceback_throw(tmp_path):
    status, err, src = run_source(
        tmp_path, "TEXT main·main(SB), $8-0\n\tMOVQ\tSP, AX\n\tMOVQ\tAX, SP\n\tMOVQ\t$0, 0(SP)\n\tCALL\truntime·closechan(SB)\n\tRET\n"
    )
    assert status == 2
    assert err.splitlines() == [
        "traceback: unexpected SPWRITE function main.main",
        "fatal error: traceback",
        "",
        "goroutine 1 [running]:",
        "main.main()",
        f"\t{src}:6 +0x30",
    ]


def test_a_parked_goroutines_traceback_stops_at_a_function_that_writes_sp(tmp_path):
    """No panic, no throw: the deadlock report's walk just ends there, at the SPWRITE frame."""
    status, err, src = run_source(
        tmp_path,
        "TEXT ·wait(SB), $16-0\n\tMOVQ\t$8, 0(SP)\n\tMOVQ\t$0, 8(SP)\n\tCALL\truntime·makechan(SB)\n"
        "\tMOVQ\t16(SP), AX\n\tMOVQ\tAX, 0(SP)\n\tLEAQ\tx-8(SP), AX\n\tMOVQ\tAX, 8(SP)\n\tCALL\truntime·chanrecv1(SB)\n\tRET\n"
        "TEXT ·spw(SB), $8-0\n\tSUBQ\t$8, SP\n\tADDQ\t$8, SP\n\tCALL\t·wait(SB)\n\tRET\n"
        "TEXT main·main(SB), $8-0\n\tCALL\t·spw(SB)\n\tRET\n",
    )
    assert status == 2
    assert err.splitlines() == [
        "fatal error: all goroutines are asleep - deadlock!",
        "",
        "goroutine 1 [chan receive]:",
        "main.wait()",
        f"\t{src}:10 +0x4b",
        "main.spw()",
        f"\t{src}:15 +0x2a",
    ]
