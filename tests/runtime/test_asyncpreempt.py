"""Regression tests of asynchronous preemption's register save/restore, driven through the real
path: preemptone (sysmon's request) -> a SIGURG pending for the M -> its delivery between slices
(emu.signals) -> doSigPreempt -> isAsyncSafePoint -> pushCall(asyncPreempt) -> the assembled
asyncPreempt of runtime/preempt_amd64.s saving every register -> the asyncPreempt2 gate ->
gopreempt_m -> schedule -> another goroutine that overwrites every register -> schedule back ->
asyncPreempt restoring them -> the interrupted instruction.

Nothing depends on timing: a code hook on the instruction the test chose calls preemptone for the
P of the M about to execute it, as sysmon's retake would, and ends the M's slice right there, so
the signal is delivered with the pc at exactly that instruction before the M runs on. Another hook
reads the registers at a later instruction and compares them with the drawn ones, bit for bit.

The program (_program below): main starts `go clobber()`, loads the drawn values into 14 general
registers, RFLAGS and X0-X15, and calls `victim`, a NOSPLIT|NOFRAME function whose body is a sled
of instructions that leave every register and flag as they found it (a few in pairs that change a
register and change it back, so a preemption between them catches a transient value), up to the
`check` instruction. The drawn general registers are AX, BX, CX, DX, SI, DI and R8-R15 with R14
included: in ABI0 assembly R14 is an ordinary register (only ABIInternal Go code keeps g in it, and
asyncPreempt saves and restores it like the others, as Go 1.19's does), and goemu's gates find g
through TLS. SP and BP are not drawn: they must simply be back as they were at victim's entry.
The clobberer loads the bitwise complement of every drawn value (and a junk BP), so a register
that was not restored cannot match by chance, then calls Gosched, in a loop. A control
(the asyncpreemptoff test) runs the same sled unpreempted, so a failure of the others is the
preemption's.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from unicorn import UC_HOOK_CODE
from unicorn import x86_const as x86

import runtime.preempt
from asm.link import Image
from emu.machine import CPU
from emu.run import Config, Limits, Process, boot, build, run_process
from runtime.debug import DebugVars
from runtime.layout import G, M, P, const

U64 = (1 << 64) - 1
U128 = (1 << 128) - 1
GP = ("AX", "BX", "CX", "DX", "SI", "DI", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15")
FLAG_BITS = (0x1, 0x4, 0x10, 0x40, 0x80, 0x800)  # CF PF AF ZF SF OF: what a program can set
FLAG_MASK = sum(FLAG_BITS)  # 0x8D5
FLAGS_OFF = 8 * len(GP)  # want<>/junk<> layout: the GP registers, RFLAGS, then X0-X15
X_OFF = FLAGS_OFF + 16
TABLE = X_OFF + 16 * 16
JUNK_BP = 0xB0B0_0000_DEAD_B0B0
MAIN_MAGIC = 0x6D61_696E_6D61_6769  # kept in main's frame across the calls
FRAME16_MAGIC = 0x6672_616D_6531_3621  # kept in frame16's frame across its call of inner

# The sled: none of these changes a register or a flag, alone or (for the pairs) once the pair
# is done. SP moves only inside the PUSH/POP pairs.
SLED = """
	MOVQ	AX, AX
	LEAQ	0(BX), BX
	XCHGQ	CX, CX
	NOTQ	DX
	NOTQ	DX
	MOVQ	SI, SI
	BSWAPQ	DI
	BSWAPQ	DI
	LEAQ	0(R8), R8
	MOVQ	R9, R9
	CMOVQEQ	R10, R10
	CMOVQNE	R11, R11
	XCHGQ	R12, R12
	NOTQ	R13
	NOTQ	R13
	MOVQ	R14, R14
	PUSHQ	R15
	POPQ	R15
	PUSHFQ
	POPFQ
	MOVUPS	X0, X0
	MOVAPS	X1, X1
	PSHUFD	$0x1b, X2, X2
	PSHUFD	$0x1b, X2, X2
	MOVUPS	X7, X7
	PSHUFD	$0xe4, X8, X8
	MOVAPS	X15, X15
	LEAQ	0(AX), AX
	MOVQ	R15, R15
""".strip("\n").splitlines()


def _program() -> str:
    loads = [f"\tMOVUPS\twant<>+{X_OFF + 16 * i}(SB), X{i}" for i in range(16)]
    loads += [f"\tMOVQ\twant<>+{8 * i}(SB), {r}" for i, r in enumerate(GP)]
    junk = [f"\tMOVUPS\tjunk<>+{X_OFF + 16 * i}(SB), X{i}" for i in range(16)]
    junk += [f"\tMOVQ\tjunk<>+{8 * i}(SB), {r}" for i, r in enumerate(GP)]
    return "\n".join(
        [
            '#include "textflag.h"',
            "",
            "DATA\tclobberPC<>+0(SB)/8, $·clobber(SB)",
            "GLOBL\tclobberPC<>(SB), RODATA, $8",
            f"GLOBL\twant<>(SB), NOPTR, ${TABLE}",
            f"GLOBL\tjunk<>(SB), NOPTR, ${TABLE}",
            "GLOBL\tcounter<>(SB), NOPTR, $8",
            "",
            "// func clobber(): forever: count, every register and flag gets junk, Gosched.",
            "TEXT ·clobber(SB), NOSPLIT|NOFRAME, $0-0",
            "loop:",
            "\tINCQ\tcounter<>(SB)",
            *junk,
            f"\tMOVQ\t${JUNK_BP:#x}, BP",
            f"\tPUSHQ\tjunk<>+{FLAGS_OFF}(SB)",
            "\tPOPFQ",
            "\tCALL\truntime·Gosched(SB)",
            "\tJMP\tloop",
            "",
            "// func victim(): the registers the caller loaded go through the sled untouched.",
            "TEXT ·victim(SB), NOSPLIT|NOFRAME, $0-0",
            *SLED,
            "check:",
            "\tMOVQ\tAX, AX",
            "\tRET",
            "",
            "// func frame16(): a function with a frame and the stack-check prologue.",
            "TEXT ·frame16(SB), $16-0",
            f"\tMOVQ\t${FRAME16_MAGIC:#x}, AX",
            "\tMOVQ\tAX, x-8(SP)",
            "\tCALL\t·inner(SB)",
            "check16:",
            "\tMOVQ\tx-8(SP), AX",
            "\tRET",
            "",
            "TEXT ·inner(SB), $16-0",
            "\tMOVQ\t$1, x-8(SP)",
            "\tCALL\t·leaf(SB)",
            "\tRET",
            "",
            "TEXT ·leaf(SB), NOSPLIT, $0-0",
            "\tRET",
            "",
            "TEXT main·main(SB), $16-0",
            f"\tMOVQ\t${MAIN_MAGIC:#x}, AX",
            "\tMOVQ\tAX, m-8(SP)",
            "\tLEAQ\tclobberPC<>(SB), AX",
            "\tMOVQ\tAX, 0(SP)",
            "\tCALL\truntime·newproc(SB)",
            *loads,
            f"\tPUSHQ\twant<>+{FLAGS_OFF}(SB)",
            "\tPOPFQ",
            "\tCALL\t·victim(SB)",
            "\tCALL\t·frame16(SB)",
            "\tMOVL\t$0, 0(SP)",
            "\tCALL\truntime·exit(SB)",
            "\tRET",
            "",
        ]
    )


class Program:
    """The linked program and the addresses the tests hook. (Not a dataclass: hypothesis prints
    a failing example's arguments, and this one's should be its name, not the whole image.)"""

    def __init__(self, image: Image, gates: dict[str, int]) -> None:
        self.image, self.gates = image, gates

    def __repr__(self) -> str:
        return "Program(asyncpreempt.s)"

    def sym(self, name: str) -> int:
        return self.image.symbols[name].addr

    def code(self, func: str) -> list[tuple[int, str]]:
        """(address, listing text) of every machine instruction of func, in order."""
        sym = self.image.symbols[func]
        assert sym.text is not None
        return [(sym.addr + i.offset, i.text) for i in sym.text.instructions if i.code]

    @property
    def sled(self) -> list[int]:
        """The addresses of victim's sled instructions; [0] is victim's entry."""
        code = self.code("main.victim")
        assert len(code) == len(SLED) + 2  # the sled, check, RET
        return [a for a, _ in code[: len(SLED)]]

    @property
    def check(self) -> int:
        return self.code("main.victim")[len(SLED)][0]

    @property
    def check16(self) -> int:
        """The instruction after frame16's CALL to inner (its check16 label)."""
        code = self.code("main.frame16")
        [k] = [k for k, (_, t) in enumerate(code) if t == "CALL\tmain.inner(SB)"]
        return code[k + 1][0]

    def prologue(self, func: str) -> list[tuple[int, str]]:
        """The instructions cmd/asm inserted at func's entry, before its own first one."""
        sym = self.image.symbols[func]
        assert sym.text is not None
        out = []
        for i in sym.text.instructions:
            if i.code and not i.inserted:
                break
            if i.code:
                out.append((sym.addr + i.offset, i.text))
        return out

    def after_morestack(self, func: str) -> int:
        """Where morestack leaves g.sched.pc for func: after the prologue's CALL to morestack
        (the JMP back to the function's entry)."""
        code = self.code(func)
        [k] = [k for k, (_, text) in enumerate(code) if text.startswith("CALL\truntime.morestack")]
        return code[k + 1][0]


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Program:
    src = Path(tmp_path_factory.mktemp("asyncpreempt")) / "asyncpreempt.s"
    src.write_text(_program())
    image, gates = build([str(src)])
    return Program(image, gates)


# ---- the harness -----------------------------------------------------------------------------


@dataclass
class Observed:
    """What the hooks and the wrapped runtime functions saw during one run."""

    status: int | None = None
    requested: list[dict] = field(default_factory=list)  # the preemption request(s), at the pc
    entries: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # func -> (rsp, rbp)
    checks: dict[str, dict[str, int]] = field(default_factory=dict)  # label -> what it read
    pushcalls: list[tuple[int, int, int, int]] = field(default_factory=list)  # sigpc, sigsp, target, resume
    gopreempts: list[tuple[int, int, int, int]] = field(default_factory=list)  # goid, sched pc/sp/bp


XMM = [getattr(x86, f"UC_X86_REG_XMM{i}") for i in range(16)]
GPREG = {r: getattr(x86, f"UC_X86_REG_R{r}" if r[0] != "R" else f"UC_X86_REG_{r}") for r in GP}


def _read_registers(uc) -> dict[str, int]:  # type: ignore[no-untyped-def]
    regs = {r: uc.reg_read(GPREG[r]) for r in GP}
    regs |= {f"X{i}": uc.reg_read(x) for i, x in enumerate(XMM)}
    regs["RFLAGS"] = uc.reg_read(x86.UC_X86_REG_RFLAGS)
    regs["RSP"] = uc.reg_read(x86.UC_X86_REG_RSP)
    regs["RBP"] = uc.reg_read(x86.UC_X86_REG_RBP)
    return regs


@dataclass
class Values:
    """A draw: the general registers (GP order), RFLAGS's arithmetic bits, X0-X15."""

    gp: list[int]
    flags: int
    xs: list[int]

    def table(self) -> bytes:
        out = b"".join(v.to_bytes(8, "little") for v in self.gp)
        out += (self.flags | 0x2).to_bytes(8, "little") + bytes(8)  # bit 1 of RFLAGS is always set
        return out + b"".join(v.to_bytes(16, "little") for v in self.xs)

    def complement(self) -> Values:
        return Values([~v & U64 for v in self.gp], ~self.flags & FLAG_MASK, [~v & U128 for v in self.xs])

    def expected(self) -> dict[str, int]:
        return {**dict(zip(GP, self.gp, strict=True)), **{f"X{i}": v for i, v in enumerate(self.xs)}}


ZERO = Values([0] * len(GP), 0, [0] * 16)


def _run(
    program: Program,
    target: int,
    values: Values = ZERO,
    config: Config | None = None,
) -> tuple[Observed, Process]:
    """Boot the program, fill want<> with values and junk<> with their complement, ask for a
    preemption (preemptone) the first time an M is about to execute `target`, and run it to
    its exit, recording what the runtime did on the way."""
    obs = Observed()
    proc = boot(program.image, program.gates, io.BytesIO(), io.BytesIO(), config or Config(gomaxprocs=1))
    rt, space = proc.runtime, proc.machine.space
    space.write(program.sym("want<>"), values.table())
    space.write(program.sym("junk<>"), values.complement().table())
    counter = program.sym("counter<>")
    watched = {
        program.sym("main.victim"): "victim",
        program.sym("main.frame16"): "frame16",
        program.sym("main.inner"): "inner",
    }
    checks = {program.check: "check", program.check16: "check16"}

    def m_of(cpu: CPU) -> M:
        return rt.allm[cpu.index]

    def hook(cpu: CPU) -> None:
        def on_code(uc, address, _size, _data):  # type: ignore[no-untyped-def]
            mp = m_of(cpu)
            if address in watched:
                obs.entries.setdefault(watched[address], []).append(
                    (uc.reg_read(x86.UC_X86_REG_RSP), uc.reg_read(x86.UC_X86_REG_RBP))
                )
            if address == target and not obs.requested:
                gp, pp = G(rt.mem, mp.curg), P(rt.mem, mp.p)
                obs.requested.append(
                    {
                        "ok": runtime.preempt.preemptone(rt, pp),
                        "rsp": uc.reg_read(x86.UC_X86_REG_RSP),
                        "counter": space.load(counter, 8),
                        "preemptGen": mp.preemptGen,
                        "sigpending": set(rt.sigpending),
                        "signalPending": mp.signalPending,
                        "g.preempt": gp.preempt,
                        "stackguard0": gp.stackguard0,
                        "m": mp.addr,
                    }
                )
                proc.stopped_early = True  # end the slice before this instruction executes
                uc.emu_stop()
                return
            if address in checks:
                regs = _read_registers(uc)
                gp = G(rt.mem, mp.curg)
                regs |= {
                    "counter": space.load(counter, 8),
                    "preemptGen": mp.preemptGen,
                    "sigpending": len(rt.sigpending),
                    "g.preempt": gp.preempt,
                    "stackguard0": gp.stackguard0,
                    "goid": gp.goid,
                    **{f"{8 * i}(SP)": space.load(regs["RSP"] + 8 * i, 8) for i in range(6)},
                }
                obs.checks.setdefault(checks[address], regs)

        proc.hooks.append(on_code)
        for func in ("main.victim", "main.frame16", "main.inner"):
            code = program.code(func)
            cpu.uc.hook_add(UC_HOOK_CODE, on_code, None, code[0][0], code[-1][0])

    for cpu in proc.machine.cpus:
        hook(cpu)
    newosproc = rt.newosproc

    def newosproc_hooked(mp: M) -> None:
        newosproc(mp)
        hook(proc.machine.cpus[-1])

    rt.newosproc = newosproc_hooked
    with _recording(obs):
        try:
            obs.status = run_process(proc, Limits(max_insns=5_000_000))
        finally:
            proc.machine.close()
    return obs, proc


@contextmanager
def _recording(obs: Observed) -> Iterator[None]:
    """Wrap pushCall (the call doSigPreempt injects) and gopreempt_m (where both kinds of
    preemption end up) to record every use, then do what they do."""
    push_call, gopreempt_m = runtime.preempt.pushCall, runtime.preempt.gopreempt_m

    def pushCall(rt, ctxt, target, resume):  # type: ignore[no-untyped-def]
        obs.pushcalls.append((ctxt.sigpc(), ctxt.sigsp(), target, resume))
        return push_call(rt, ctxt, target, resume)

    def gopreempt(rt, mp, gp, kind):  # type: ignore[no-untyped-def]
        obs.gopreempts.append((gp.goid, gp.sched.pc, gp.sched.sp, gp.sched.bp))
        return gopreempt_m(rt, mp, gp, kind)

    with (
        mock.patch.object(runtime.preempt, "pushCall", pushCall),
        mock.patch.object(runtime.preempt, "gopreempt_m", gopreempt),
    ):
        yield


def _sp_delta(index: int) -> int:
    """How far SP is below victim's entry SP at sled instruction `index` (inside a PUSH/POP pair)."""
    depth = 0
    for line in SLED[:index]:
        op = line.split()[0]
        depth += 8 if op.startswith("PUSH") else -8 if op.startswith("POP") else 0
    return depth


# asyncPreempt's frame below the interrupted SP when it calls asyncPreempt2: the return address
# pushCall pushed, BP, RFLAGS, the 368-byte register save area, asyncPreempt2's return address.
ASYNC_PREEMPT_DEPTH = 8 + 8 + 8 + 368 + 8


def _assert_async_preempted_at(program: Program, obs: Observed, pc: int, sp: int) -> None:
    """The one preemption was asynchronous, at exactly pc: the signal found the request, pushed a
    call of asyncPreempt returning to pc, and asyncPreempt2 yielded with g.sched inside it."""
    rt_async = program.sym("runtime.asyncPreempt")
    assert obs.pushcalls == [(pc, sp, rt_async, pc)]
    resume = program.sym("runtime.asyncPreempt2.resume")
    assert obs.gopreempts == [(1, resume, sp - ASYNC_PREEMPT_DEPTH, sp - 16)]  # main is goroutine 1


values_strategy = st.builds(
    Values,
    gp=st.lists(st.integers(0, U64), min_size=len(GP), max_size=len(GP)),
    flags=st.sets(st.sampled_from(FLAG_BITS)).map(sum),
    xs=st.lists(st.integers(0, U128), min_size=16, max_size=16),
)
ONES = Values([U64] * len(GP), FLAG_MASK, [U128] * 16)
MIXED = Values(
    [0x8000_0000_0000_0001 ^ (i * 0x0101_0101_0101_0101) for i in range(len(GP))],
    0x1 | 0x40 | 0x800,
    [(0xDEAD_BEEF << 96) | (i << 64) | (0xFFFF_FFFF_0000_0000 >> i) for i in range(16)],
)
POPQ_R15 = SLED.index("\tPOPQ\tR15")  # inside a PUSHQ/POPQ pair: SP is 8 below the entry's
SECOND_NOTQ_DX = SLED.index("\tNOTQ\tDX") + 1  # DX holds its complement here
SECOND_PSHUFD = SLED.index("\tPSHUFD\t$0x1b, X2, X2") + 1  # X2's dwords are reversed here


@settings(max_examples=100, deadline=None)  # ~10 ms each
@given(values=values_strategy, index=st.integers(0, len(SLED) - 1))
@example(values=ZERO, index=0)
@example(values=ONES, index=0)
@example(values=ONES, index=len(SLED) - 1)
@example(values=ZERO, index=len(SLED) - 1)
@example(values=MIXED, index=POPQ_R15)
@example(values=MIXED, index=SECOND_NOTQ_DX)
@example(values=ONES, index=SECOND_PSHUFD)
def test_async_preemption_restores_every_register(program, values, index):
    """Preempted asynchronously at any instruction of the sled (the function's first included),
    with another goroutine running in between that puts the complement of every value in every
    register, the goroutine reaches `check` with its 14 general registers, RFLAGS (exactly the
    drawn arithmetic bits, plus bit 1) and X0-X15 back bit for bit, and SP and BP as they were at
    the function's entry."""
    pc = program.sled[index]
    obs, _ = _run(program, pc, values)
    assert obs.status == 0

    [(entry_sp, entry_bp)] = set(obs.entries["victim"])  # index 0: entered, and returned to by asyncPreempt
    assert len(obs.entries["victim"]) == (2 if index == 0 else 1)
    [req] = obs.requested
    assert req["ok"]
    sp = entry_sp - _sp_delta(index)
    assert req["rsp"] == sp
    assert req["sigpending"] == {req["m"]} and req["signalPending"] == 1  # the SIGURG is on its way
    assert req["counter"] == 0  # the clobberer has not run yet
    _assert_async_preempted_at(program, obs, pc, sp)

    got = obs.checks["check"]
    regs = {name: got[name] for name in values.expected()}
    assert {k: hex(v) for k, v in regs.items()} == {k: hex(v) for k, v in values.expected().items()}
    assert hex(got["RFLAGS"]) == hex(values.flags | 0x2)
    assert (got["RSP"], got["RBP"]) == (entry_sp, entry_bp)
    assert got["counter"] >= 1  # the clobberer ran while the goroutine was preempted
    assert got["preemptGen"] == req["preemptGen"] + 1  # one signal handled
    assert got["sigpending"] == 0
    assert (got["goid"], got["g.preempt"]) == (1, False)
    assert got["16(SP)"] == MAIN_MAGIC  # main's frame: victim's return address, main's arg slot, its local


def test_first_instruction_of_a_nosplit_noframe_function_is_a_safe_point(program):
    """victim has no prologue (NOSPLIT|NOFRAME), so under goemu's rule its first instruction is an
    asynchronous safe point: the injected call returns to the entry itself, with SP at the return
    address main's CALL pushed, and every register comes back."""
    victim = program.sym("main.victim")
    assert program.sled[0] == victim
    obs, proc = _run(program, victim, MIXED)
    assert obs.status == 0
    assert proc.runtime.syms.functab.findfunc(victim).unsafe == ()
    entry_sp = obs.entries["victim"][0][0]
    _assert_async_preempted_at(program, obs, victim, entry_sp)
    got = obs.checks["check"]
    assert {k: got[k] for k in MIXED.expected()} == MIXED.expected()
    assert got["RFLAGS"] == MIXED.flags | 0x2


FRAME16_PROLOGUE = ("MOVQ\t(TLS), R14", "CMPQ\tSP, 16(R14)", "JLS", "SUBQ\t$24, SP", "MOVQ\tBP, 16(SP)",
                    "LEAQ\t16(SP), BP")  # fmt: skip


@pytest.mark.parametrize("index", range(len(FRAME16_PROLOGUE)))
def test_no_async_preemption_inside_a_prologue(program, index):
    """A SIGURG that finds the goroutine inside frame16's stack-check prologue (`$16-0`, not
    NOSPLIT: MOVQ (TLS), R14; CMPQ SP, 16(R14); JLS morestack; SUBQ $24, SP; MOVQ BP, 16(SP);
    LEAQ 16(SP), BP) is acknowledged (m.preemptGen counts it) but injects no asyncPreempt call:
    goemu's rule refuses the whole prologue. The request stays in stackguard0 (stackPreempt), so a
    prologue check preempts the goroutine cooperatively: frame16's own when the signal came
    before its CMPQ executed (morestack -> newstack -> gopreempt_m with g.sched.pc at the JMP
    back to frame16's entry, which runs its prologue again), else the next one, inner's.

    Registers are not compared here: a prologue is at a call boundary, and in ABI0 every register
    but SP and BP is the callee's to clobber, so a cooperative preemption need not keep them (the
    clobberer ran in between, so they hold junk). SP and BP must be exactly as frame16 set them
    up, and the values main and frame16 keep in their frames intact."""
    prologue = program.prologue("main.frame16")
    texts = [t.split("\t")[0] if t.startswith("JLS") else t for _, t in prologue]
    assert texts == list(FRAME16_PROLOGUE)
    pc = prologue[index][0]
    obs, proc = _run(program, pc)
    assert obs.status == 0
    assert proc.runtime.syms.functab.findfunc(pc).unsafe_at(pc)

    [req] = obs.requested
    assert req["ok"] and req["sigpending"] == {req["m"]} and req["counter"] == 0
    assert obs.pushcalls == []  # doSigPreempt refused: no asyncPreempt call at this pc (or any)

    [f16] = set(obs.entries["frame16"])
    [inn] = set(obs.entries["inner"])
    f16_sp, f16_bp = f16
    if index < 2:  # before CMPQ read stackguard0: this prologue's check sees stackPreempt
        where, sp, bp = "main.frame16", f16_sp, f16_bp
        # the stopped instruction (only when it is the entry), the entry run after the signal,
        # and the restart from morestack's JMP
        assert len(obs.entries["frame16"]) == 3 - index and len(obs.entries["inner"]) == 1
    else:  # the check already passed: inner's prologue catches the request
        where, sp, bp = "main.inner", inn[0], inn[1]
        assert len(obs.entries["frame16"]) == 1 and len(obs.entries["inner"]) == 2
        assert inn == (f16_sp - 24 - 8, f16_sp - 8)  # called from frame16's body
    assert obs.gopreempts == [(1, program.after_morestack(where), sp, bp)]

    got = obs.checks["check16"]
    assert got["counter"] >= 1  # the clobberer ran while the goroutine was preempted
    assert got["preemptGen"] == req["preemptGen"] + 1  # the one signal, refused
    assert (got["sigpending"], got["g.preempt"]) == (0, False)
    assert (got["RSP"], got["RBP"]) == (f16_sp - 24, f16_sp - 8)
    assert got["16(SP)"] == f16_bp  # frame16's saved BP: main's frame pointer
    assert got["8(SP)"] == FRAME16_MAGIC  # frame16's local
    assert got["40(SP)"] == MAIN_MAGIC  # main's local, above frame16's return address and arg slot


def test_asyncpreemptoff_leaves_the_request_to_the_next_prologue(program):
    """With GODEBUG=asyncpreemptoff=1 preemptone still sets g.preempt and stackguard0 =
    stackPreempt but sends no signal (no pending SIGURG, m.signalPending 0): the NOSPLIT sled runs
    on to `check` unpreempted (no asyncPreempt call, m.preemptGen unchanged, the clobberer has not
    run) with every register intact, and the next prologue, frame16's, preempts cooperatively."""
    config = Config(gomaxprocs=1, debug=DebugVars(asyncpreemptoff=1))
    index = len(SLED) // 2
    obs, _ = _run(program, program.sled[index], MIXED, config)
    assert obs.status == 0

    [req] = obs.requested
    assert req["ok"] and req["sigpending"] == set() and req["signalPending"] == 0
    assert req["g.preempt"] and req["stackguard0"] == const.stackPreempt
    assert obs.pushcalls == []

    got = obs.checks["check"]
    assert {k: got[k] for k in MIXED.expected()} == MIXED.expected()
    assert got["RFLAGS"] == MIXED.flags | 0x2
    assert got["counter"] == 0 and got["preemptGen"] == req["preemptGen"]
    assert got["g.preempt"] and got["stackguard0"] == const.stackPreempt  # still requested
    [(f16_sp, f16_bp)] = set(obs.entries["frame16"])
    assert len(obs.entries["frame16"]) == 2  # entered, and restarted after the preemption
    assert obs.gopreempts == [(1, program.after_morestack("main.frame16"), f16_sp, f16_bp)]
    got16 = obs.checks["check16"]
    assert got16["counter"] >= 1 and got16["preemptGen"] == req["preemptGen"]
    assert (got16["RSP"], got16["RBP"]) == (f16_sp - 24, f16_sp - 8)
