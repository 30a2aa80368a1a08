"""Goroutine stack growth against Go 1.19's runtime/stack.go: newstack and copystack.

End to end, assembly programs recurse on the emulated CPU until the stack-check prologue fails:
morestack enters newstack on g0, which doubles the stack from 2 KiB (more than once when the new
frame would not fit), copies the used part to the top of the new stack, moves the frame-pointer
chain, g.sched and every pointer into the old stack, and frees the old one; at the limit
(`--max-stack`, debug.SetMaxStack) it throws `stack overflow`. The programs check their own frames
after the growths; copystack is wrapped to count the growths and their sizes.

In Python, copystack runs on a fake used stack in a bytearray memory, where every word it must
move, and every word it must leave alone, is known.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asm.link import Image
from emu.run import Config, Limits, boot, build, run_process
from runtime import stack
from runtime.errors import Throw
from runtime.layout import G, Sudog, const
from runtime.malloc import Arena
from runtime.memory import BytesMemory, load, read, store, write
from runtime.proc import G0_STACK_SIZE, Runtime, Symbols

ROOT = Path(__file__).resolve().parents[2]
KiB = 1024
GUARD = const._StackGuard  # 928: a stack check fails when SP (minus the frame, past 128) <= lo+928

# ---------------------------------------------------------------------------------------------
# End to end: the emulated CPU runs the prologue, morestack, newstack, copystack and gogo.

# rec(n, up) stores MAGIC|n in its local and recurses down to 0, passing the address of its local
# to its callee. At n == 0 it walks the frame-pointer chain up to main, checking every frame; on
# the way back up each frame checks its local, the pointer it passed down, its BP, the pointer it
# got (now pointing at its caller's local on the new stack) and that its frame lies on g's current
# stack (an unadjusted pointer would still read the right values on the old stack, which is freed
# but not unmapped). A failed check sets a bit in errs (ERRS below); main prints walked, returned
# and errs.
REC = """\
#include "textflag.h"
#include "go_asm.h"
#include "go_tls.h"

#define MAGIC $0x5a5a000000000000

GLOBL walked<>(SB), NOPTR, $8	// frames the walk at the bottom found intact
GLOBL returned<>(SB), NOPTR, $8	// frames that found their own frame intact once their callee returned
GLOBL errs<>(SB), NOPTR, $8	// one bit per failed check
GLOBL retrec<>(SB), NOPTR, $8	// the return address saved in the innermost frame
GLOBL retmain<>(SB), NOPTR, $8	// the return address saved in the outermost rec frame

// func rec(n int, up *int)
// Frame: 0(SP) and 8(SP) the callee's arguments (n-1, &mine), 16(SP) mine = MAGIC|n, and the
// prologue saves the caller's BP at 24(SP) and points BP there: mine is at -8(BP), the return
// address at 8(BP), the arguments n and up at 16(BP) and 24(BP). A call takes 40 bytes of stack;
// main's frame has the same layout, with mine = MAGIC|(DEPTH+1).
TEXT ·rec(SB), $24-16
	MOVQ	n+0(FP), AX
	MOVQ	MAGIC, CX
	ORQ	AX, CX
	MOVQ	CX, 16(SP)
	TESTQ	AX, AX
	JEQ	bottom
	DECQ	AX
	MOVQ	AX, 0(SP)
	LEAQ	16(SP), BX
	MOVQ	BX, 8(SP)
	CALL	·rec(SB)
	MOVQ	n+0(FP), AX
	MOVQ	MAGIC, CX
	ORQ	AX, CX
	CMPQ	CX, 16(SP)		// my local
	JEQ	2(PC)
	ORQ	$1, errs<>(SB)
	LEAQ	16(SP), BX
	CMPQ	BX, 8(SP)		// the pointer to it I passed down
	JEQ	2(PC)
	ORQ	$2, errs<>(SB)
	LEAQ	24(SP), BX
	CMPQ	BX, BP			// BP as the callee's epilogue restored it
	JEQ	2(PC)
	ORQ	$4, errs<>(SB)
	LEAQ	n+0(FP), BX
	ADDQ	$16, BX			// my caller's SP is where my arguments are: its local is 16 up
	MOVQ	up+8(FP), DX
	CMPQ	BX, DX			// up points at my caller's local
	JEQ	2(PC)
	ORQ	$8, errs<>(SB)
	INCQ	AX
	MOVQ	MAGIC, CX
	ORQ	AX, CX
	CMPQ	CX, (DX)		// which holds MAGIC|(n+1)
	JEQ	2(PC)
	ORQ	$16, errs<>(SB)
	get_tls(CX)
	MOVQ	g(CX), CX
	CMPQ	SP, (g_stack+stack_lo)(CX)	// my frame is on g's stack
	JHI	2(PC)
	ORQ	$32, errs<>(SB)
	CMPQ	BP, (g_stack+stack_hi)(CX)
	JCS	2(PC)
	ORQ	$32, errs<>(SB)
	INCQ	returned<>(SB)
	RET
bottom:
	MOVQ	BP, SI			// the frame of depth DI
	MOVQ	$0, DI
	get_tls(R8)
	MOVQ	g(R8), R8
walk:
	MOVQ	$64, R9
	CMPQ	SI, (g_stack+stack_lo)(R8)	// on g's stack
	JLS	broken
	CMPQ	SI, (g_stack+stack_hi)(R8)
	JCC	broken
	MOVQ	$128, R9
	MOVQ	MAGIC, CX
	ORQ	DI, CX
	CMPQ	CX, -8(SI)		// its local
	JNE	broken
	MOVQ	$256, R9
	CMPQ	DI, 16(SI)		// its argument n
	JNE	broken
	MOVQ	$512, R9
	MOVQ	0(SI), DX		// the saved BP: the caller's frame, 40 bytes up
	LEAQ	40(SI), CX
	CMPQ	DX, CX
	JNE	broken
	MOVQ	$1024, R9
	LEAQ	-8(DX), CX		// its argument up: the caller's local
	CMPQ	CX, 24(SI)
	JNE	broken
	INCQ	walked<>(SB)
	MOVQ	8(SI), CX		// the return address
	CMPQ	DI, $DEPTH
	JEQ	top
	TESTQ	DI, DI
	JNE	same
	MOVQ	CX, retrec<>(SB)
same:
	MOVQ	$2048, R9
	CMPQ	CX, retrec<>(SB)	// every frame but the top one returns into rec, at one place
	JNE	broken
	MOVQ	DX, SI
	INCQ	DI
	JMP	walk
top:
	MOVQ	CX, retmain<>(SB)
	MOVQ	$4096, R9
	MOVQ	MAGIC, CX
	ORQ	$(DEPTH+1), CX
	CMPQ	CX, -8(DX)		// main's local
	JNE	broken
	MOVQ	0(DX), CX		// main's saved BP: runtime.main's frame, above main's on g's stack
	CMPQ	CX, DX
	JLS	broken
	CMPQ	CX, (g_stack+stack_hi)(R8)
	JCC	broken
	RET
broken:
	ORQ	R9, errs<>(SB)
	RET

TEXT main·main(SB), $24-0
	MOVQ	MAGIC, CX
	ORQ	$(DEPTH+1), CX
	MOVQ	CX, 16(SP)
	MOVQ	$DEPTH, 0(SP)
	LEAQ	16(SP), BX
	MOVQ	BX, 8(SP)
	CALL	·rec(SB)
	MOVQ	MAGIC, CX
	ORQ	$(DEPTH+1), CX
	CMPQ	CX, 16(SP)
	JEQ	2(PC)
	ORQ	$1, errs<>(SB)
	LEAQ	16(SP), BX
	CMPQ	BX, 8(SP)
	JEQ	2(PC)
	ORQ	$2, errs<>(SB)
	LEAQ	24(SP), BX
	CMPQ	BX, BP
	JEQ	2(PC)
	ORQ	$4, errs<>(SB)
	INCQ	returned<>(SB)
	CALL	runtime·printlock(SB)
	MOVQ	walked<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	MOVQ	returned<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	MOVQ	errs<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET
"""
REC_FRAME = 40  # bytes of stack per call of rec: 24 of frame, the saved BP, the return address
ERRS = {
    1: "a frame's local changed",
    2: "the pointer a frame passed down does not point at its local",
    4: "BP after a return is not the frame's",
    8: "a frame's argument up does not point at its caller's local",
    16: "the caller's local (through up) changed",
    32: "a frame is not on g's current stack after a return",
    64: "the walk left g's current stack",
    128: "the walk found a wrong local",
    256: "the walk found a wrong argument n",
    512: "a saved BP does not point at the caller's frame",
    1024: "the walk found up not pointing at the caller's local",
    2048: "the walk found a wrong return address",
    4096: "main's frame is wrong in the walk",
}


@dataclass
class Growth:
    """One copystack call as newstack made it."""

    goid: int
    oldsize: int
    newsize: int
    used: int  # hi - g.sched.sp: the function whose prologue failed, at its entry SP
    status: int  # gp.atomicstatus during the copy
    pc: int  # g.sched.pc: that function, stopped at its morestack call
    new_lo: int = 0


@dataclass
class Run:
    status: int
    stdout: bytes
    stderr: bytes
    image: Image
    main: G  # the main goroutine, after the run
    stack: tuple[int, int]  # its (lo, hi) after the run
    growths: list[Growth]
    statics: dict[str, int] = field(default_factory=dict)
    write_status: list[int] = field(default_factory=list)  # main's status at each print


def spy_copystack(monkeypatch: pytest.MonkeyPatch) -> list[Growth]:
    """Record every copystack call newstack makes (it looks the function up at each call)."""
    growths: list[Growth] = []
    original = stack.copystack

    def spy(rt: Runtime, gp: G, newsize: int) -> None:
        g = Growth(
            gp.goid,
            gp.stack.hi - gp.stack.lo,
            newsize,
            gp.stack.hi - gp.sched.sp,
            gp.atomicstatus,
            gp.sched.pc,
        )
        growths.append(g)
        original(rt, gp, newsize)
        g.new_lo = gp.stack.lo
        # newstack, not copystack, puts the G back to _Grunning, after the copy.
        assert gp.atomicstatus == const._Gcopystack

    monkeypatch.setattr(stack, "copystack", spy)
    return growths


def run_program(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    config: Config | None = None,
    statics: tuple = (),
) -> Run:
    """Assemble, boot and run text (deterministic mode) with copystack spied on; the main
    goroutine's state and the program's statics are read before the machine goes."""
    src = tmp_path / "prog.s"
    src.write_text(text)
    growths = spy_copystack(monkeypatch)
    image, gates = build([str(src)])
    out, err = io.BytesIO(), io.BytesIO()
    proc = boot(image, gates, out, err, config)
    rt, space = proc.runtime, proc.machine.space
    write_status: list[int] = []
    write = rt.write

    def spy_write(fd: int, data: bytes) -> None:
        write_status.append(G(rt.mem, rt.allgs[0]).atomicstatus)
        write(fd, data)

    rt.write = spy_write
    try:
        status = run_process(proc, Limits(max_insns=20_000_000))
        main = G(rt.mem, rt.allgs[0])
        assert main.goid == 1
        bounds = (main.stack.lo, main.stack.hi)
        values = {name: space.load(image.symbols[name].addr, 8) for name in statics}
        return Run(status, out.getvalue(), err.getvalue(), image, main, bounds, growths, values, write_status)
    finally:
        proc.machine.close()


def after_call(image: Image, func: str, text: str) -> int:
    """The return address of the (only) instruction of func listed as text: a CALL's."""
    sym = image.symbols[func]
    assert sym.text is not None
    [ins] = [i for i in sym.text.instructions if i.text == text]
    return sym.addr + ins.offset + len(ins.code)


def check_growth_sequence(growths: list[Growth], sizes: list[int], frame: int) -> None:
    """Each growth doubles the stack, on the main goroutine, while it is _Gcopystack, at the
    first call whose entry SP is at or below lo+_StackGuard (a frame under _StackSmall bytes is
    checked as `CMPQ SP, stackguard0; JLS morestack`): the previous call, frame bytes higher,
    passed."""
    assert [(g.oldsize, g.newsize) for g in growths] == list(zip(sizes, sizes[1:], strict=False))
    for g in growths:
        assert (g.goid, g.status) == (1, const._Gcopystack)
        assert g.oldsize - GUARD <= g.used < g.oldsize - GUARD + frame
        assert g.new_lo % g.newsize == 0  # stackalloc aligns a stack to its size


@pytest.mark.parametrize(
    ("depth", "sizes"),
    [
        # The outermost rec starts 120 bytes below hi (runtime.main's and main's frames, as
        # in the big-frame test): (2048 - 928 - 120) / 40 = 25 calls fit in 2 KiB.
        (10, [2 * KiB]),
        (24, [2 * KiB]),  # 25 calls: the last one enters at 120 + 24 * 40 = 1080 bytes used
        (25, [2 * KiB, 4 * KiB]),  # 26: the last one enters at 1120 = 2048 - 928, and grows
        (40, [2 * KiB, 4 * KiB]),
        (1000, [2 * KiB, 4 * KiB, 8 * KiB, 16 * KiB, 32 * KiB, 64 * KiB]),  # five: 40 KB of frames
    ],
    ids=["no-growth", "just-fits", "just-grows", "one-growth", "five-growths"],
)
def test_frames_pointers_and_fp_chain_survive_growth(tmp_path, monkeypatch, depth, sizes):
    run = run_program(
        tmp_path, monkeypatch, f"#define DEPTH {depth}\n" + REC, statics=("errs<>", "retrec<>", "retmain<>")
    )
    failed = [why for bit, why in ERRS.items() if run.statics["errs<>"] & bit]
    assert failed == []
    assert (run.status, run.stdout, run.stderr) == (0, b"", f"{depth + 1} {depth + 1} 0\n".encode())
    # The walk saw the return addresses the CALLs pushed (code addresses are never adjusted).
    assert run.statics["retrec<>"] == after_call(run.image, "main.rec", "CALL\tmain.rec(SB)")
    assert run.statics["retmain<>"] == after_call(run.image, "main.main", "CALL\tmain.rec(SB)")
    check_growth_sequence(run.growths, sizes, REC_FRAME)
    rec = run.image.symbols["main.rec"]
    assert all(rec.addr <= g.pc < rec.addr + rec.size for g in run.growths)  # rec's prologue failed
    lo, hi = run.stack
    assert (hi - lo, lo) == (sizes[-1], run.growths[-1].new_lo if run.growths else lo)
    assert run.main.stackguard0 == lo + GUARD
    # newstack put main back to _Grunning after each copy: it printed (and ended) running.
    assert run.write_status and set(run.write_status) == {const._Grunning}
    assert run.main.atomicstatus == const._Grunning


BIG = """\
#include "textflag.h"

GLOBL bigsp<>(SB), NOPTR, $8

// func big(): a frame four times the size of a new goroutine's stack.
TEXT ·big(SB), $8192-0
	MOVQ	SP, bigsp<>(SB)
	MOVQ	$1, 0(SP)		// the bottom of the frame
	MOVQ	$2, 8184(SP)		// and its top
	RET

TEXT main·main(SB), $8-0
	CALL	·big(SB)
	CALL	·big(SB)
	RET
"""


def expected_newsize(oldsize: int, used: int, max_sp_delta: int) -> int:
    """newstack's size (stack.go): twice the old one, doubled again until the function whose
    prologue failed has its whole frame plus _StackGuard free below what is used."""
    newsize = oldsize * 2
    while newsize - used < max_sp_delta + GUARD:
        newsize *= 2
    return newsize


def test_a_frame_bigger_than_the_stack_grows_it_in_one_copy(tmp_path, monkeypatch):
    """main calls big, whose $8192 frame (8200 with the saved BP: funcMaxSPDelta) cannot fit a
    new 2 KiB stack. newstack doubles 2 KiB -> 4 KiB -> 8 KiB -> 16 KiB in one step: at 8 KiB,
    8192 - used < 8200 + 928; at 16 KiB it fits. One copy, and the second call needs none."""
    run = run_program(tmp_path, monkeypatch, BIG, statics=("bigsp<>",))
    assert (run.status, run.stdout, run.stderr) == (0, b"", b"")
    big = run.image.symbols["main.big"]
    assert big.text is not None and big.text.max_sp_delta == 8192 + 8
    [g] = run.growths
    assert big.addr <= g.pc < big.addr + big.size
    # big's entry SP: runtime.main starts 40 below hi (gostartcallfn: 32 of arguments space and
    # goexit's return address), its frame (24 + saved BP) and CALL, main's (8 + BP) and CALL.
    assert g.used == 40 + 32 + 8 + 16 + 8
    assert (g.oldsize, g.newsize) == (2 * KiB, expected_newsize(2 * KiB, g.used, 8200)) == (2 * KiB, 16 * KiB)
    lo, hi = run.stack
    assert (lo, hi) == (g.new_lo, g.new_lo + 16 * KiB)
    # big's frame (SP after its SUBQ $8200) lies on the new stack, above the guard.
    assert run.statics["bigsp<>"] == hi - g.used - 8200 >= lo + GUARD


def test_a_frame_bigger_than_the_limit_overflows_at_once(tmp_path, monkeypatch):
    """With --max-stack 8192, big's frame needs a 16 KiB stack: newstack throws on the 2 KiB one."""
    run = run_program(tmp_path, monkeypatch, BIG, Config(max_stack=8192))
    assert (run.status, run.growths) == (2, [])
    lo, hi = run.stack
    assert hi - lo == 2 * KiB
    sp = run.main.sched.sp - 8
    assert run.stderr.decode().startswith(
        "runtime: goroutine stack exceeds 8192-byte limit\n"
        f"runtime: sp={sp:#x} stack=[{lo:#x}, {hi:#x}]\n"
        "fatal error: stack overflow\n\ngoroutine 1 [running]:\nmain.big()\n"
    )


# ---------------------------------------------------------------------------------------------
# Stack overflow.

FOREVER = """\
// func f() { f() }
TEXT ·f(SB), $8-0
	CALL	·f(SB)
	RET

TEXT main·main(SB), $8-0
	CALL	·f(SB)
	RET
"""
F_FRAME = 24  # 8 of frame, the saved BP, the return address
OVERFLOW_HEAD = re.compile(
    r"runtime: goroutine stack exceeds (\d+)-byte limit\n"
    r"runtime: sp=(0x[0-9a-f]+) stack=\[(0x[0-9a-f]+), (0x[0-9a-f]+)\]\n"
    r"fatal error: stack overflow\n"
    r"\n"
)


def overflow_traceback(image: Image, src: Path, nframes: int) -> str:
    """What goemu prints after the header: main's goroutine, nframes calls of main.f deep, cut at
    100 frames like Go's gentraceback (_TracebackMaxFrames), which then prints the elision line.
    The innermost frame stopped at its morestack call (g.sched.pc is the return address of that
    call, in the prologue: the TEXT line); the others at their recursive CALL."""

    def off(func: str, call: str) -> int:
        return after_call(image, func, f"CALL\t{call}(SB)") - image.symbols[func].addr

    frames = [f"main.f()\n\t{src}:2 +{off('main.f', 'runtime.morestack_noctxt'):#x}\n"]
    frames += [f"main.f()\n\t{src}:3 +{off('main.f', 'main.f'):#x}\n"] * (nframes - 1)
    frames.append(f"main.main()\n\t{src}:7 +{off('main.main', 'main.f'):#x}\n")
    # main.main, then runtime.main and runtime.goexit (walked, not shown).
    elided = ["...additional frames elided...\n"] if nframes >= 100 else []
    return "goroutine 1 [running]:\n" + "".join(frames[:100] + elided)


@pytest.mark.parametrize(
    ("limit", "last"),
    [
        # newstack refuses a newsize > maxstacksize: a 64 KiB stack is within a 65536-byte limit;
        # the overflow comes when it would grow to 128 KiB.
        (65536, 64 * KiB),
        (10000, 8 * KiB),
        (4096, 4 * KiB),
        (2048, 2 * KiB),  # not even one growth
    ],
)
def test_stack_overflow_at_the_limit(tmp_path, monkeypatch, limit, last):
    """Go 1.19 (stack.go, panic.go) prints the same header and goroutine 1's first 100 frames, but
    as a runtime throw on g0 it also prints, before goroutine 1, `runtime stack:` with
    runtime.throw, runtime.newstack and runtime.morestack, adds ` fp=0x.. sp=0x.. pc=0x..` to
    every frame line (traceback level 2), and then prints the other goroutines; goemu does not."""
    run = run_program(tmp_path, monkeypatch, FOREVER, Config(max_stack=limit))
    assert (run.status, run.stdout) == (2, b"")
    err = run.stderr.decode()
    m = OVERFLOW_HEAD.match(err)
    assert m is not None, err[:300]
    printed_limit, sp, lo, hi = int(m[1]), int(m[2], 16), int(m[3], 16), int(m[4], 16)
    assert printed_limit == limit
    assert (lo, hi) == run.stack and hi - lo == last
    sizes = [2 * KiB << i for i in range((last // (2 * KiB)).bit_length())]
    check_growth_sequence(run.growths, sizes, F_FRAME)
    # sp is the entry SP of the f whose prologue failed, less the word of the call to morestack.
    assert sp == run.main.sched.sp - 8
    assert lo + GUARD - F_FRAME < sp + 8 <= lo + GUARD
    # The outermost f's entry SP is 104 below hi (as big's in the big-frame test).
    nframes = (hi - 104 - run.main.sched.sp) // F_FRAME + 1
    assert nframes >= 100 if last > 2 * KiB else nframes == 44
    assert err[m.end() :] == overflow_traceback(run.image, tmp_path / "prog.s", nframes)


def test_goemu_run_max_stack_flag(tmp_path, monkeypatch):
    """`goemu run --max-stack 65536` prints what Config(max_stack=65536) does, byte for byte."""
    run = run_program(tmp_path, monkeypatch, FOREVER, Config(max_stack=65536))
    src = tmp_path / "prog.s"
    r = subprocess.run(
        [sys.executable, "-m", "emu", "run", "--max-stack", "65536", str(src)], cwd=ROOT, capture_output=True
    )
    assert (r.returncode, r.stdout, r.stderr) == (2, b"", run.stderr)
    assert r.stderr.startswith(b"runtime: goroutine stack exceeds 65536-byte limit\n")


# ---------------------------------------------------------------------------------------------
# copystack in Python, over a fake stack.

BASE = 0xC000000000  # the arena's address, so stack addresses have goemu's top bytes
SIZE = 16 << 20
GOEXIT, MAIN_FN = 0x401000, 0x401100
CODE = 0x401234  # a return address: code, never adjusted


def new_rt() -> Runtime:
    mem = BytesMemory(BASE, SIZE)
    mem.write(BASE, MAIN_FN.to_bytes(8, "little"))  # the funcval of "main"
    arena = Arena(BASE + 0x1000, SIZE - 0x1000 - G0_STACK_SIZE)
    rt = Runtime(mem, arena, Symbols(goexit=GOEXIT, main_pc=BASE), BASE + SIZE - G0_STACK_SIZE)
    rt.m0 = rt.rt0_go()
    return rt


def word(rt: Runtime, addr: int) -> int:
    return load(rt.mem, addr, 8)


def put(rt: Runtime, addr: int, value: int) -> None:
    store(rt.mem, addr, 8, value)


@dataclass
class FakeStack:
    """A G with 512 bytes of its 2 KiB stack used. words: offset from sp -> (value, moved), where
    moved says whether copystack must add delta to it."""

    gp: G
    lo: int
    hi: int
    sp: int
    words: dict[int, tuple[int, bool]]
    misaligned: int  # offset from sp of an old-stack address stored across two words
    frames: tuple[int, ...]  # offsets from sp of the frame-pointer chain's frames, innermost first


USED = 512


def fake_stack(rt: Runtime, ctxt_in_stack: bool = True) -> FakeStack:
    gp = rt.malg(const._StackMin)
    lo, hi = gp.stack.lo, gp.stack.hi
    sp = hi - USED
    frames = (0x80, 0x100, 0x180)
    words: dict[int, tuple[int, bool]] = {0: (CODE, False)}  # the return address at sp
    for i, off in enumerate(frames):  # saved BPs: each frame's points at its caller's
        words[off] = (sp + frames[i + 1], True) if i + 1 < len(frames) else (0, False)
        words[off + 8] = (CODE + i, False)
    block = lo & ~0xFFFF  # addresses sharing the stack's top six bytes
    outside = block if lo - block >= 0x800 else block + 0xFFF8
    words |= {
        0x10: (sp + 0x48, True),  # a pointer to a local
        0x18: (lo, True),  # the lowest address of the stack
        0x20: (hi - 8, True),  # its last word
        0x28: (hi - 1, True),  # and its last byte: still inside
        0x30: (hi, False),  # just outside: the stack is [lo, hi)
        0x38: (lo - 8, False),
        0x48: (0x5A5A_0000_0000_0001, False),  # a local that is no address
        0x50: (outside, False),  # an integer with the stack's top bytes, out of range
        0x58: (lo + 3, True),  # an unaligned pointer, stored aligned
        0x70: (BASE + 0x2000, False),  # a heap pointer
        USED - 8: (sp + 0x10, True),  # the top word
    }
    assert outside >> 16 == lo >> 16 and not lo <= outside < hi
    for off, (value, _) in words.items():
        put(rt, sp + off, value)
    # An old-stack address at sp+0x63: across the aligned words at 0x60 and 0x68 (neither of
    # which is an address in the stack), so nothing there is a pointer.
    misaligned = 0x63
    write(rt.mem, sp + misaligned, (sp + 0x48).to_bytes(8, "little"))
    assert not any(lo <= word(rt, sp + o) < hi for o in (0x60, 0x68))
    put(rt, sp - 8, sp + 0x10)  # below sp: not part of the used stack, not copied
    gp.sched.sp, gp.sched.bp, gp.sched.pc = sp, sp + frames[0], CODE + 0x10
    gp.sched.ctxt = sp + 0x48 if ctxt_in_stack else BASE + 0x3000
    gp.sched.ret, gp.sched.lr = 0x77, 0x88
    gp.stktopsp = hi - 8
    return FakeStack(gp, lo, hi, sp, words, misaligned, frames)


@pytest.mark.parametrize("ctxt_in_stack", [True, False])
def test_copystack_moves_the_used_stack_and_the_pointers_into_it(ctxt_in_stack):
    rt = new_rt()
    fs = fake_stack(rt, ctxt_in_stack)
    gp = fs.gp
    old_bytes = read(rt.mem, fs.sp, USED)
    stack.copystack(rt, gp, 4 * KiB)

    lo, hi = gp.stack.lo, gp.stack.hi
    assert hi - lo == 4 * KiB and lo % (4 * KiB) == 0
    assert hi <= fs.lo or lo >= fs.hi  # a different stack
    delta = hi - fs.hi
    sp = hi - USED
    for off, (value, moved) in fs.words.items():
        assert word(rt, sp + off) == value + (delta if moved else 0), f"word at sp+{off:#x}"
    # Every other byte of the used stack came over as it was (the misaligned address included).
    listed = {off + i for off in fs.words for i in range(8)}
    new_bytes = read(rt.mem, sp, USED)
    assert [i for i in range(USED) if i not in listed and new_bytes[i] != old_bytes[i]] == []
    assert new_bytes[fs.misaligned : fs.misaligned + 8] == (fs.sp + 0x48).to_bytes(8, "little")
    assert read(rt.mem, lo, sp - lo) == bytes(sp - lo)  # nothing below sp was copied
    # The frame-pointer chain, followed from g.sched.bp, runs through the new stack.
    bp, chain = gp.sched.bp, []
    while bp:
        assert lo <= bp < hi
        chain.append(bp - sp)
        bp = word(rt, bp)
    assert chain == list(fs.frames)

    assert gp.sched.sp == sp
    assert gp.sched.bp == fs.sp + fs.frames[0] + delta
    assert gp.sched.ctxt == (fs.sp + 0x48 + delta if ctxt_in_stack else BASE + 0x3000)
    assert (gp.sched.pc, gp.sched.ret, gp.sched.lr) == (CODE + 0x10, 0x77, 0x88)
    assert gp.stackguard0 == lo + GUARD
    assert gp.stktopsp == hi - 8
    # The old stack is free, and the next 2 KiB stack is that one (then fresh memory).
    assert rt.stackpool[2 * KiB] == [fs.lo]
    assert stack.stackalloc(rt, 2 * KiB) == fs.lo
    assert stack.stackalloc(rt, 2 * KiB) not in (fs.lo, lo)


def test_copystack_twice_keeps_the_chain_and_reuses_the_freed_stacks():
    rt = new_rt()
    fs = fake_stack(rt)
    gp = fs.gp
    stack.copystack(rt, gp, 4 * KiB)
    mid_lo = gp.stack.lo
    stack.copystack(rt, gp, 8 * KiB)
    lo, hi = gp.stack.lo, gp.stack.hi
    assert hi - lo == 8 * KiB
    sp, delta = hi - USED, hi - fs.hi
    for off, (value, moved) in fs.words.items():
        assert word(rt, sp + off) == value + (delta if moved else 0), f"word at sp+{off:#x}"
    assert (gp.sched.sp, gp.sched.bp, gp.sched.ctxt) == (sp, sp + fs.frames[0], sp + 0x48)
    assert rt.stackpool == {2 * KiB: [fs.lo], 4 * KiB: [mid_lo]}
    assert stack.stackalloc(rt, 4 * KiB) == mid_lo


def test_copystack_adjusts_the_sudogs_elems():
    """adjustsudogs: a G blocked on a channel has sudogs whose elem may be on its stack."""
    rt = new_rt()
    fs = fake_stack(rt)
    s1, s2 = rt.new(Sudog), rt.new(Sudog)
    s1.elem, s1.waitlink, s2.elem = fs.sp + 0x48, s2.addr, BASE + 0x2000
    fs.gp.waiting = s1.addr
    stack.copystack(rt, fs.gp, 4 * KiB)
    delta = fs.gp.stack.hi - fs.hi
    assert (s1.elem, s2.elem) == (fs.sp + 0x48 + delta, BASE + 0x2000)


def test_copystack_in_a_system_call_throws():
    rt = new_rt()
    fs = fake_stack(rt)
    fs.gp.syscallsp = fs.sp
    with pytest.raises(Throw, match=r"^stack growth not allowed in system call$"):
        stack.copystack(rt, fs.gp, 4 * KiB)
    assert (fs.gp.stack.lo, fs.gp.stack.hi, fs.gp.sched.sp, rt.stackpool) == (fs.lo, fs.hi, fs.sp, {})


def test_copystack_without_a_stack_throws():
    rt = new_rt()
    gp = rt.new(G)
    with pytest.raises(Throw, match=r"^nil stackbase$"):
        stack.copystack(rt, gp, 4 * KiB)


@settings(max_examples=60, deadline=None)
@given(
    oldsize=st.sampled_from([2 * KiB, 4 * KiB, 64 * KiB, 128 * KiB]),
    used_words=st.integers(1, 256),
    values=st.lists(st.tuples(st.integers(0, 4), st.integers(0, (1 << 64) - 1)), min_size=1, max_size=256),
    shifted=st.lists(st.tuples(st.integers(0, 255), st.integers(1, 7)), max_size=4),
)
def test_copystack_adjusts_exactly_the_aligned_words_in_the_old_stack(oldsize, used_words, values, shifted):
    """Whatever the used stack holds, each aligned word of it arrives at the same distance from
    hi, plus delta if it was in [lo, hi), else as it was (Go's adjustpointer, applied to every
    word: goemu has no stack maps). Values near the stack's bounds, sharing its top bytes, any
    64-bit integer, and old-stack addresses written at unaligned offsets."""
    rt = new_rt()
    gp = rt.malg(oldsize)
    lo, hi = gp.stack.lo, gp.stack.hi
    used = 8 * min(used_words, oldsize // 8)
    sp = hi - used

    def value(kind: int, n: int) -> int:
        return [
            lo + n % oldsize,  # in the stack
            lo - 64 + n % (oldsize + 128),  # near its bounds
            (lo & ~0xFFFF) | (n & 0xFFFF),  # the same top 6 bytes
            (lo & ~0xFFFFFF) | (n & 0xFFFFFF),  # the same top 5 bytes
            n,
        ][kind]

    data = bytearray(used)
    for i in range(used // 8):
        kind, n = values[i % len(values)]
        data[8 * i : 8 * i + 8] = value(kind, n).to_bytes(8, "little")
    for at, shift in shifted:
        off = (8 * at + shift) % used
        data[off : off + 8] = (lo + at % oldsize).to_bytes(8, "little")[: used - off]
    write(rt.mem, sp, bytes(data))
    gp.sched.sp = sp
    stack.copystack(rt, gp, 2 * oldsize)

    delta = gp.stack.hi - hi
    old = memoryview(data).cast("Q")
    want = [w + delta if lo <= w < hi else w for w in old]
    got = memoryview(bytearray(read(rt.mem, gp.stack.hi - used, used))).cast("Q")
    assert list(got) == want
    assert gp.sched.sp == gp.stack.hi - used
