"""Register-level regression tests of the runtime's switch code as the emulated CPU runs it.

gogo, mcall, morestack and morestack_noctxt are the bytes our assembler makes of Go 1.19's
runtime/asm_amd64.s (copied verbatim). Each test lays out g, m, g0 and gobufs at Go 1.19's offsets
in emulated memory, runs one stub on a Unicorn CPU up to the address it must reach (a function of
the test's own assembly, or a runtime function the Python runtime provides, linked here as an
external on a page of INT3s), and then checks every register and memory word the stub is meant
to set, and the ones it is meant to leave alone, against what Go's runtime relies on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asm import assemble_file, assemble_source, link
from asm.link import Image
from emu.machine import CPU, Machine
from emu.memory import ARENA_BASE, G0_STACKS_BASE, GATE_BASE, PAGE
from runtime.layout import Funcval, G, Gobuf, M
from runtime.stubs import STUB_DIR, asm_options

U64 = (1 << 64) - 1

# The runtime functions the stubs call that are Go (here: Python) code, at addresses of our own
# choosing on one page of INT3s: a run stops there before executing anything of them.
_EXTERNAL_NAMES = (
    "newstack badmcall badmcall2 badmorestackg0 badmorestackgsignal goexit1 badsystemstack"
)
EXTERNALS = {"runtime." + name: GATE_BASE + 0x10 * (i + 1) for i, name in enumerate(_EXTERNAL_NAMES.split())}
NEWSTACK = EXTERNALS["runtime.newstack"]
BADMCALL = EXTERNALS["runtime.badmcall"]
BADMORESTACKG0 = EXTERNALS["runtime.badmorestackg0"]
BADMORESTACKGSIGNAL = EXTERNALS["runtime.badmorestackgsignal"]
LANDING = GATE_BASE + PAGE  # a page of INT3s where gogo's gobuf.pc points
ARENA_SIZE = 0x10000
G0_STACK_SIZE = 0x8000

# Where the test's structures live in the arena; stacks grow down from G_STACK_TOP and G0_SP.
G_ADDR = ARENA_BASE + 0x100
G0_ADDR = ARENA_BASE + 0x300
GSIGNAL_ADDR = ARENA_BASE + 0x500
M_ADDR = ARENA_BASE + 0x800  # 1008 bytes
FUNCVAL_ADDR = ARENA_BASE + 0xC00
GOBUF_GS = tuple(ARENA_BASE + 0x1000 + 0x200 * i for i in range(8))  # gs for gogo to switch to
G_STACK_TOP = ARENA_BASE + 0xF000  # SP at the point of the goroutine's call
G0_SP = G0_STACKS_BASE + G0_STACK_SIZE - 0x40  # g0.sched.sp, as mstart leaves it

# Test code, assembled as package runtime (ABI selectors are runtime-only in Go's assembler).
# mcall is ABIInternal: Go code calls it with fn in AX and g in R14, both set by the tests.
TEST_SRC = """
#include "textflag.h"

TEXT ·switchtest_mcaller(SB), NOSPLIT, $0-0
	CALL	runtime·mcall<ABIInternal>(SB)
	INT	$3

// func(gp *g): mcall's fn; the test stops at its first instruction.
TEXT ·switchtest_mcallfn(SB), NOSPLIT, $0-8
	INT	$3
	RET
"""


@dataclass
class Switch:
    """The machine with the stubs linked in, one CPU, and the addresses the tests need."""

    machine: Machine
    cpu: CPU
    image: Image

    def sym(self, name: str) -> int:
        return self.image.symbols[name].addr

    def after(self, func: str, text: str) -> int:
        """The address right after the instruction of `func` whose listing text is `text`: the
        return address a CALL pushes."""
        sym = self.image.symbols[func]
        assert sym.text is not None
        [ins] = [i for i in sym.text.instructions if i.text == text]
        return sym.addr + ins.offset + len(ins.code)

    def word(self, addr: int) -> int:
        return self.machine.space.load(addr, 8)

    def put(self, addr: int, value: int) -> None:
        self.machine.space.store(addr, 8, value)

    @property
    def tls_g(self) -> int:
        return self.word(self.machine.g_slot(self.cpu))

    @tls_g.setter
    def tls_g(self, value: int) -> None:
        self.put(self.machine.g_slot(self.cpu), value)

    def run(self, begin: int, until: int) -> None:
        """Run from begin and require the CPU to arrive at until, without a fault, in a few
        dozen instructions (every stub here is straight-line code)."""
        stop = self.cpu.run(begin, until, count=200)
        assert stop.error is None, f"fault at {stop.pc:#x}: {stop.error}"
        assert stop.pc == until, f"stopped at {stop.pc:#x}, not {until:#x}"

    def reset(self) -> None:
        """Zero the arena and the g0 stack, and poison the registers the stubs write."""
        for region in self.machine.space.regions:
            if region.name in ("arena", "g0stack"):
                region.view[:] = bytes(region.size)
        for i, reg in enumerate(("rax", "rbx", "rcx", "rdx", "rsi", "rbp", "r12", "r14")):
            self.cpu.set_reg(reg, 0xBAD0_0000_0000_0000 + i)


@pytest.fixture(scope="module")
def sw() -> Iterator[Switch]:
    stubs = assemble_file(str(STUB_DIR / "asm_amd64.s"), asm_options())
    test = assemble_source(TEST_SRC, "switch_test.s", asm_options())
    image = link([stubs, test], externals=EXTERNALS)
    machine = Machine(image, max_cpus=1)
    machine.map("externals", GATE_BASE, 2 * PAGE, "rx")
    machine.space.write(GATE_BASE, b"\xcc" * 2 * PAGE)
    machine.map("arena", ARENA_BASE, ARENA_SIZE)
    machine.map("g0stack", G0_STACKS_BASE, G0_STACK_SIZE)
    cpu = machine.add_cpu()
    yield Switch(machine, cpu, image)
    machine.close()


@dataclass
class World:
    """A goroutine g running on an M whose g0 and gsignal are distinct Gs, as after newm."""

    g: G
    g0: G
    gsignal: G
    m: M


def sentinel_gobuf(buf: Gobuf, tag: int) -> None:
    """Fill every word of a gobuf with a recognizable value (tag in the high bits, field index low)."""
    for i, name in enumerate(("sp", "pc", "g", "ctxt", "ret", "lr", "bp")):
        setattr(buf, name, (tag << 48) | 0x5E00 | i)


def world(sw: Switch) -> World:
    sw.reset()
    space = sw.machine.space
    g, g0, gsignal, m = G(space, G_ADDR), G(space, G0_ADDR), G(space, GSIGNAL_ADDR), M(space, M_ADDR)
    for gp, goid in ((g, 17), (g0, 0), (gsignal, 0)):
        gp.m = m.addr
        gp.goid = goid
    m.g0, m.gsignal, m.curg = g0.addr, gsignal.addr, g.addr
    sentinel_gobuf(g.sched, 0x1111)
    sentinel_gobuf(g0.sched, 0x2222)
    sentinel_gobuf(m.morebuf, 0x3333)
    g0.sched.sp = G0_SP
    g0.sched.g = g0.addr
    return World(g, g0, gsignal, m)


def gobuf_words(buf: Gobuf) -> dict[str, int]:
    return {name: getattr(buf, name) for name in ("sp", "pc", "g", "ctxt", "ret", "lr", "bp")}


# ---- gogo ------------------------------------------------------------------------------------


def run_gogo(sw: Switch, gp: G, sp: int, pc: int, bp: int, ret: int, ctxt: int) -> None:
    """Call gogo(&gp.sched) as ABI0 code does (the pointer at 8(SP) above a return address) with
    gp.sched = {sp, pc, gp, ctxt, ret, lr, bp}, and stop at pc."""
    buf = gp.sched
    buf.sp, buf.pc, buf.g, buf.ctxt, buf.ret, buf.lr, buf.bp = sp, pc, gp.addr, ctxt, ret, 0x1E5E, bp
    gp.stack.lo = 0x57AC_0000 + gp.addr % 0x10000  # gogo's nil check reads g's first word
    caller_sp = G_STACK_TOP - 0x100
    sw.put(caller_sp, 0xDEAD_C0DE)  # gogo's return address: never used
    sw.put(caller_sp + 8, buf.addr)
    # Registers gogo must overwrite start as the complement of what it must load.
    for reg, value in (("rsp", caller_sp), ("rbp", ~bp), ("rax", ~ret), ("rdx", ~ctxt), ("r14", ~gp.addr)):
        sw.cpu.set_reg(reg, value)
    sw.tls_g = G0_ADDR
    sw.run(sw.sym("runtime.gogo"), pc)


def check_gogo(sw: Switch, gp: G, sp: int, pc: int, bp: int, ret: int, ctxt: int) -> None:
    cpu = sw.cpu
    assert cpu.reg("rip") == pc
    assert cpu.reg("rsp") == sp
    assert cpu.reg("rbp") == bp
    assert cpu.reg("rax") == ret
    assert cpu.reg("rdx") == ctxt
    assert cpu.reg("r14") == gp.addr
    assert sw.tls_g == gp.addr
    assert cpu.reg("rbx") == pc  # gogo jumps through BX
    assert cpu.reg("rcx") == gp.stack.lo  # get_tls(CX) is a NOP on linux/amd64: CX keeps *g
    # The gobuf is consumed: sp, ret, ctxt and bp cleared for the GC; pc, g and lr stay.
    assert gobuf_words(gp.sched) == {
        "sp": 0,
        "pc": pc,
        "g": gp.addr,
        "ctxt": 0,
        "ret": 0,
        "lr": 0x1E5E,
        "bp": 0,
    }


def test_gogo_restores_sp_pc_bp_ret_ctxt_and_g_then_clears_the_gobuf(sw):
    """gogo(buf) is the longjmp every switch to a goroutine ends in: it installs buf.g as g (both
    R14 and the TLS slot), restores SP, BP, AX (ret) and DX (ctxt, the closure of a NEEDCTXT
    function) from the gobuf, zeroes the gobuf's sp/ret/ctxt/bp so the GC sees no stale
    pointers, and jumps to buf.pc with nothing pushed."""
    w = world(sw)
    gp = G(sw.machine.space, GOBUF_GS[0])
    gp.m = w.m.addr
    values = {"sp": 0xC000_00AB_CDE0, "pc": LANDING + 0x123, "bp": 0xC000_00AB_CF00,
              "ret": 0x0000_7E7E_7E7E_0001, "ctxt": 0xC000_0C7C_0000}  # fmt: skip
    run_gogo(sw, gp, **values)
    check_gogo(sw, gp, **values)
    assert sw.word(G_STACK_TOP - 0x100 + 8) == gp.sched.addr  # gogo pushed and popped nothing


@settings(max_examples=40, deadline=None)
@given(
    regs=st.lists(st.integers(0, U64), min_size=4, max_size=4, unique=True),
    pc=st.integers(LANDING, LANDING + PAGE - 1),
    which=st.sampled_from(GOBUF_GS),
)
def test_gogo_loads_exactly_the_gobuf_for_any_values(sw, regs, pc, which):
    """Whatever the saved values (SP and BP need not even be mapped: gogo never touches the new
    stack), each register comes from its own gobuf field, never from another one."""
    world(sw)
    gp = G(sw.machine.space, which)
    sp, bp, ret, ctxt = regs
    run_gogo(sw, gp, sp, pc, bp, ret, ctxt)
    check_gogo(sw, gp, sp, pc, bp, ret, ctxt)


def test_gogo_faults_on_a_nil_g_before_switching(sw):
    """gogo's `MOVQ 0(DX), CX // make sure g != nil` faults on a gobuf without a g before g, the
    stack or the gobuf are touched: the fault is at that instruction, not after a half switch."""
    w = world(sw)
    buf = w.g.sched
    sentinel_gobuf(buf, 0x4444)
    buf.g = 0
    before = gobuf_words(buf)
    sw.put(G_STACK_TOP - 0xF8, buf.addr)
    sw.cpu.set_reg("rsp", G_STACK_TOP - 0x100)
    sw.tls_g = w.g0.addr
    gogo = sw.sym("runtime.gogo")
    stop = sw.cpu.run(gogo, LANDING, count=200)
    assert stop.error is not None
    assert stop.pc == gogo + 9  # MOVQ (DX), CX after MOVQ buf+0(FP), BX (5) and MOVQ gobuf_g(BX), DX (4)
    assert sw.tls_g == w.g0.addr
    assert sw.cpu.reg("rsp") == G_STACK_TOP - 0x100
    assert gobuf_words(buf) == before


# ---- mcall -----------------------------------------------------------------------------------


def setup_mcall(sw: Switch, r14: int, bp: int) -> tuple[Funcval, int]:
    """Registers and stack as Go code calling mcall(fn) leaves them: AX = fn (a funcval of the
    test's fn), R14 = the running g; returns the funcval and SP at the caller's CALL."""
    fv = Funcval(sw.machine.space, FUNCVAL_ADDR)
    fv.fn = sw.sym("runtime.switchtest_mcallfn")
    sw.cpu.set_reg("rax", fv.addr)
    sw.cpu.set_reg("r14", r14)
    sw.cpu.set_reg("rbp", bp)
    sw.cpu.set_reg("rsp", G_STACK_TOP)
    sw.tls_g = r14
    return fv, G_STACK_TOP


def test_mcall_saves_the_caller_in_g_sched_and_calls_fn_on_g0_stack(sw):
    """mcall(fn) is how a goroutine gives up its M (gopark, Gosched, goexit): it records the
    caller's resumption point in g.sched (pc = the return address, sp = the caller's SP once
    that return is done, bp), leaves ctxt/ret/g/lr of g.sched as they were, switches g to m.g0
    in R14 and TLS, moves to g0.sched.sp and calls fn(g) there with DX = fn's funcval, g in AX
    and in the spill slot PUSHQ AX opened; g0.sched itself is not modified."""
    w = world(sw)
    bp = 0xC000_00BB_BB00
    fv, call_sp = setup_mcall(sw, w.g.addr, bp)
    g0_before = gobuf_words(w.g0.sched)
    fn = sw.sym("runtime.switchtest_mcallfn")
    sw.run(sw.sym("runtime.switchtest_mcaller"), fn)

    caller_ret = sw.after("runtime.switchtest_mcaller", "CALL\truntime.mcall(SB)")
    assert sw.word(call_sp - 8) == caller_ret
    assert gobuf_words(w.g.sched) == {
        "pc": caller_ret,
        "sp": call_sp,  # &fn+0(FP): mcall's entry SP + 8
        "bp": bp,
        "g": (0x1111 << 48) | 0x5E02,
        "ctxt": (0x1111 << 48) | 0x5E03,
        "ret": (0x1111 << 48) | 0x5E04,
        "lr": (0x1111 << 48) | 0x5E05,
    }
    cpu = sw.cpu
    assert cpu.reg("r14") == w.g0.addr
    assert sw.tls_g == w.g0.addr
    assert cpu.reg("rsp") == G0_SP - 8 - 8  # PUSHQ AX, then CALL R12's return address
    assert sw.word(G0_SP - 8) == w.g.addr  # fn's argument spill slot holds g
    assert sw.word(G0_SP - 16) == sw.after("runtime.mcall", "CALL\tR12")  # fn returns to POPQ AX
    assert cpu.reg("rax") == w.g.addr  # ABIInternal arg 0 = g
    assert cpu.reg("rdx") == fv.addr  # the closure context is fn's funcval
    assert cpu.reg("r12") == fn
    assert cpu.reg("rbp") == bp  # mcall does not touch BP
    assert gobuf_words(w.g0.sched) == g0_before


def test_mcall_on_g0_jumps_to_badmcall(sw):
    """mcall while already on g0 (R14 == m.g0) must not switch: it tail-jumps to
    runtime·badmcall with fn still in AX, g and TLS unchanged and mcall's caller's return address
    on top of the stack. As in Go, the g.sched save happens before the check, so g0.sched holds
    the caller's pc/sp/bp by then."""
    w = world(sw)
    bp = 0xC000_00CC_CC00
    fv, call_sp = setup_mcall(sw, w.g0.addr, bp)
    g_before = gobuf_words(w.g.sched)
    sw.run(sw.sym("runtime.switchtest_mcaller"), BADMCALL)

    caller_ret = sw.after("runtime.switchtest_mcaller", "CALL\truntime.mcall(SB)")
    cpu = sw.cpu
    assert cpu.reg("rsp") == call_sp - 8
    assert sw.word(call_sp - 8) == caller_ret
    assert cpu.reg("rax") == fv.addr
    assert cpu.reg("rdx") == fv.addr
    assert cpu.reg("r14") == w.g0.addr
    assert sw.tls_g == w.g0.addr
    assert (w.g0.sched.pc, w.g0.sched.sp, w.g0.sched.bp) == (caller_ret, call_sp, bp)
    assert gobuf_words(w.g.sched) == g_before  # m.curg is not touched


# ---- morestack -------------------------------------------------------------------------------


def setup_morestack(sw: Switch, tls_g: int, f_pc: int, caller_pc: int, bp: int, dx: int) -> int:
    """The stack as f's prologue leaves it when it calls morestack: 0(SP) = the PC in f after
    that CALL, 8(SP) = the return address into f's caller. Returns SP at morestack's entry."""
    sp = G_STACK_TOP - 0x10
    sw.put(sp, f_pc)
    sw.put(sp + 8, caller_pc)
    sw.cpu.set_reg("rsp", sp)
    sw.cpu.set_reg("rbp", bp)
    sw.cpu.set_reg("rdx", dx)
    sw.cpu.set_reg("r14", tls_g)
    sw.tls_g = tls_g
    return sp


def check_morestack(sw: Switch, w: World, sp: int, f_pc: int, caller_pc: int, bp: int, ctxt: int) -> None:
    assert gobuf_words(w.m.morebuf) == {
        "pc": caller_pc,
        "sp": sp + 16,  # f's caller's SP
        "g": w.g.addr,
        "ctxt": (0x3333 << 48) | 0x5E03,
        "ret": (0x3333 << 48) | 0x5E04,
        "lr": (0x3333 << 48) | 0x5E05,
        "bp": (0x3333 << 48) | 0x5E06,
    }
    assert gobuf_words(w.g.sched) == {
        "pc": f_pc,
        "sp": sp + 8,  # f's SP: f re-runs its prologue when newstack gogo's back here
        "bp": bp,
        "ctxt": ctxt,
        "g": (0x1111 << 48) | 0x5E02,
        "ret": (0x1111 << 48) | 0x5E04,
        "lr": (0x1111 << 48) | 0x5E05,
    }
    cpu = sw.cpu
    assert cpu.reg("rip") == NEWSTACK
    assert sw.tls_g == w.g0.addr
    assert cpu.reg("rsp") == G0_SP - 8  # CALL runtime·newstack pushed its return address
    assert sw.word(G0_SP - 8) == sw.after("runtime.morestack", "CALL\truntime.newstack(SB)")
    # Go 1.19's morestack switches g in TLS only: R14 still holds the old g at newstack, which
    # Go reaches through an ABI0 wrapper that reloads R14 from TLS.
    assert cpu.reg("r14") == w.g.addr
    assert cpu.reg("rbp") == bp
    assert w.g0.sched.sp == G0_SP


def test_morestack_saves_f_and_its_caller_and_calls_newstack_on_g0(sw):
    """morestack, called from the prologue of a function f whose stack is too small, records
    f's caller in m.morebuf (pc, sp, g) and f itself in g.sched (pc, sp, bp and the closure
    context DX), then calls runtime·newstack on g0's stack with g0 in TLS."""
    w = world(sw)
    f_pc, caller_pc, bp, dx = 0x4F_F0C0, 0x4C_A11E, 0xC000_00DD_DD00, 0xC000_0C7C_0010
    sp = setup_morestack(sw, w.g.addr, f_pc, caller_pc, bp, dx)
    sw.run(sw.sym("runtime.morestack"), NEWSTACK)
    check_morestack(sw, w, sp, f_pc, caller_pc, bp, dx)
    assert sw.cpu.reg("rdx") == dx


def test_morestack_noctxt_records_a_nil_context(sw):
    """morestack_noctxt, the prologue's call for functions without a closure context, zeroes DX
    (MOVL $0, DX clears all 64 bits) before morestack, so g.sched.ctxt is nil, never a stale DX."""
    w = world(sw)
    f_pc, caller_pc, bp = 0x4F_F1C0, 0x4C_A21E, 0xC000_00EE_EE00
    sp = setup_morestack(sw, w.g.addr, f_pc, caller_pc, bp, U64)
    sw.run(sw.sym("runtime.morestack_noctxt"), NEWSTACK)
    check_morestack(sw, w, sp, f_pc, caller_pc, bp, 0)
    assert sw.cpu.reg("rdx") == 0


@settings(max_examples=30, deadline=None)
@given(
    words=st.lists(st.integers(0, U64), min_size=4, max_size=4, unique=True),
    noctxt=st.booleans(),
)
def test_morestack_copies_any_values_to_their_own_fields(sw, words, noctxt):
    """Each saved word lands in its own field whatever its value (f's PC, its caller's PC, BP, DX)."""
    w = world(sw)
    f_pc, caller_pc, bp, dx = words
    sp = setup_morestack(sw, w.g.addr, f_pc, caller_pc, bp, dx)
    sw.run(sw.sym("runtime.morestack_noctxt" if noctxt else "runtime.morestack"), NEWSTACK)
    check_morestack(sw, w, sp, f_pc, caller_pc, bp, 0 if noctxt else dx)


@pytest.mark.parametrize(
    ("which", "target", "call"),
    [
        ("g0", BADMORESTACKG0, "CALL\truntime.badmorestackg0(SB)"),
        ("gsignal", BADMORESTACKGSIGNAL, "CALL\truntime.badmorestackgsignal(SB)"),
    ],
)
def test_morestack_refuses_to_grow_g0_and_gsignal_stacks(sw, which, target, call):
    """The scheduler's stack (m.g0) and the signal stack (m.gsignal) cannot grow: morestack
    running on either (as TLS g says) calls runtime·badmorestackg0 / badmorestackgsignal right
    away, on the same stack, before writing m.morebuf or any g's sched."""
    w = world(sw)
    gp = getattr(w, which)
    sp = setup_morestack(sw, gp.addr, 0x4F_F2C0, 0x4C_A31E, 0xC000_00FF_FF00, 0xC7C)
    before = [gobuf_words(b) for b in (w.m.morebuf, w.g.sched, w.g0.sched, w.gsignal.sched)]
    sw.run(sw.sym("runtime.morestack"), target)
    assert sw.cpu.reg("rsp") == sp - 8
    assert sw.word(sp - 8) == sw.after("runtime.morestack", call)  # returns into CALL runtime·abort
    assert sw.word(sp) == 0x4F_F2C0
    assert sw.tls_g == gp.addr
    assert [gobuf_words(b) for b in (w.m.morebuf, w.g.sched, w.g0.sched, w.gsignal.sched)] == before
