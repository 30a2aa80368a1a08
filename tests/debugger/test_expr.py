"""emu/debugger/expr.py: `print EXPR` and breakpoint conditions over a real, stopped process.

samples/pingpong.s with GOMAXPROCS=1 is stopped after 4500 instructions (the run is
deterministic): main (g1) runs on m0 after "ping 1"; the players g5 and g6 wait in P0's local run
queue; g2..g4 (forcegc, bgsweep, bgscavenge) are parked; m2 is idle without a P. Expected values
come from the layout views (G, M, P) and runtime/layout.py's offsets, never from the module under
test; the strings are exact.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emu import run as R
from emu.debugger.expr import ExprContext, ExprError, evaluate, format_value, parse, print_expr, truthy
from runtime.layout import CONSTANTS, STRUCTS, G, P, const
from runtime.memory import load

ROOT = Path(__file__).resolve().parents[2]


def _stopped(max_insns: int):  # type: ignore[no-untyped-def]
    image, gates = R.build([str(ROOT / "samples/pingpong.s")])
    out = io.BytesIO()
    proc = R.boot(image, gates, out, out, R.Config(gomaxprocs=1))
    R.run_process(proc, R.Limits(max_insns=max_insns))
    return proc


@pytest.fixture(scope="module")
def proc():  # type: ignore[no-untyped-def]
    return _stopped(4500)


@pytest.fixture(scope="module")
def ctx(proc) -> ExprContext:  # type: ignore[no-untyped-def]
    """g1 selected, CPU 0 (m0, which holds P0)."""
    return ExprContext(proc, g=proc.runtime.allm[0].curg, cpu=0)


def _g(proc, goid: int) -> G:  # type: ignore[no-untyped-def]
    (gp,) = [G(proc.machine.space, a) for a in proc.runtime.allgs if G(proc.machine.space, a).goid == goid]
    return gp


def test_the_state_the_tests_rely_on(proc) -> None:  # type: ignore[no-untyped-def]
    rt = proc.runtime
    assert proc.status is None  # stopped mid-run
    assert [G(rt.mem, a).goid for a in rt.allgs] == [1, 2, 3, 4, 5, 6]
    assert [G(rt.mem, a).atomicstatus for a in rt.allgs] == [2, 4, 4, 4, 1, 1]
    assert [m.id for m in rt.allm] == [0, 2]
    assert rt.allm[0].curg == rt.allgs[0] and rt.allm[1].curg == 0 and rt.allm[1].p == 0
    p0 = rt.allp[0]
    assert (p0.runqhead, p0.runqtail) == (5, 7)
    assert [p0.runq[5], p0.runq[6]] == [_g(proc, 6).addr, _g(proc, 5).addr]


# ---- values ----------------------------------------------------------------------------------


def test_scalars_print_as_numbers(ctx) -> None:  # type: ignore[no-untyped-def]
    assert print_expr("g5.goid", ctx) == "5"
    assert print_expr("sched.runqsize", ctx) == "0"
    assert print_expr("p0.runqtail", ctx) == "7"
    assert print_expr("m2.id", ctx) == "2"
    assert print_expr("g5.preempt", ctx) == "false"
    assert print_expr("g1.stack.hi - g1.stack.lo", ctx) == "0x800"  # uintptr - uintptr is a uintptr
    assert print_expr("_Grunnable", ctx) == str(const._Grunnable)


def test_a_field_is_read_at_the_layout_offset(proc, ctx) -> None:  # type: ignore[no-untyped-def]
    g5 = _g(proc, 5)
    v = evaluate("g5.sched.sp", ctx)
    assert v.kind == "uintptr" and v.type.gotype == "uintptr"
    assert v.addr == g5.addr + STRUCTS["g"]["sched"].offset + STRUCTS["gobuf"]["sp"].offset
    assert v.value == g5.sched.sp == load(proc.machine.space, v.addr, 8)
    assert format_value(v) == f"{g5.sched.sp:#x}"
    goid = evaluate("g5.goid", ctx)
    assert (goid.kind, goid.value, goid.addr) == ("i64", 5, g5.addr_of("goid"))


def test_uintptr_and_pointers_print_in_hex(proc, ctx) -> None:  # type: ignore[no-untyped-def]
    g1 = _g(proc, 1)
    assert print_expr("g1.sched.pc", ctx) == f"{g1.sched.pc:#x}"
    assert print_expr("g1.schedlink", ctx) == "0x0"  # a guintptr is a uintptr: printed, not followed
    assert print_expr("m0.p", ctx) == f"{proc.runtime.allp[0].addr:#x}"
    assert print_expr("g1.param", ctx) == "unsafe.Pointer(0x0)"


def test_struct(proc, ctx) -> None:  # type: ignore[no-untyped-def]
    b = _g(proc, 5).sched
    assert print_expr("g5.sched", ctx) == (
        f"runtime.gobuf {{sp: {b.sp:#x}, pc: {b.pc:#x}, g: {b.g:#x}, ctxt: unsafe.Pointer({b.ctxt:#x}), "
        f"ret: {b.ret:#x}, lr: {b.lr:#x}, bp: {b.bp:#x}}}"
    )
    assert b.g == _g(proc, 5).addr
    assert (
        print_expr("sched.lock", ctx) == "runtime.mutex {lockRankStruct: runtime.lockRankStruct {}, key: 0x0}"
    )
    assert print_expr("sched.runq", ctx) == "runtime.gQueue {head: 0x0, tail: 0x0}"
    assert print_expr("p0.gFree", ctx) == (
        "struct { gList runtime.gList; n int32 } {gList: runtime.gList {head: 0x0}, n: 0}"
    )


def test_a_pointer_to_a_struct_prints_dereferenced(proc, ctx) -> None:  # type: ignore[no-untyped-def]
    g1, m0 = _g(proc, 1), proc.runtime.allm[0]
    out = print_expr("m0.curg", ctx)
    assert out == print_expr("g1", ctx) == print_expr("g", ctx) == "*" + print_expr("*g1", ctx)
    assert out.startswith(
        f"*runtime.g {{stack: runtime.stack {{lo: {g1.stack.lo:#x}, hi: {g1.stack.hi:#x}}}, "
        f"stackguard0: {g1.stackguard0:#x}, stackguard1: 0xffffffffffffffff, "
        "_panic: (*runtime._panic)(nil), _defer: (*runtime._defer)(nil), "
        f"m: (*runtime.m)({m0.addr:#x}), sched: runtime.gobuf {{sp: {g1.sched.sp:#x}, "
    )
    assert ", goid: 1, schedlink: 0x0, " in out
    assert out.endswith(
        ", timer: (*runtime.timer)(nil), selectDone: 0, goroutineProfiled: 0, gcAssistBytes: 0}"
    )
    # one "name: value" per field of g and of the structs it embeds (stack, gobuf, two slices)
    fields = {name: len(STRUCTS[name].fields) for name in ("g", "stack", "gobuf", "slice")}
    assert out.count(": ") == fields["g"] + fields["stack"] + fields["gobuf"] + 2 * fields["slice"]
    assert print_expr("m2.curg", ctx) == "(*runtime.g)(nil)"


def test_opaque_fields_and_small_arrays(ctx) -> None:  # type: ignore[no-untyped-def]
    out = print_expr("m0", ctx)
    assert ", goSigStack: (opaque 40 bytes), sigmask: [2]uint32 [0, 0], " in out
    assert ", tls: [6]uintptr [0x0, 0x0, 0x0, 0x0, 0x0, 0x0], mstartfn: 0x0, " in out
    assert ", dlogPerM: runtime.dlogPerM {}, mOS: (opaque 12 bytes), " in out


def test_arrays_print_their_first_64_elements(proc, ctx) -> None:  # type: ignore[no-untyped-def]
    runq = list(proc.runtime.allp[0].runq)
    items = ", ".join(f"{x:#x}" for x in runq[:64])
    assert print_expr("p0.runq", ctx) == f"[256]runtime.guintptr [{items}, ...+192 more]"
    assert print_expr("p0.sudogbuf", ctx).startswith("[128]*runtime.sudog [(*runtime.sudog)(nil), ")


def test_index_and_pointers_followed_on_field_access(proc, ctx) -> None:  # type: ignore[no-untyped-def]
    assert print_expr("p0.runq[5]", ctx) == f"{_g(proc, 6).addr:#x}"
    assert print_expr("p0.runq[p0.runqhead % 256].goid", ctx) == "6"  # a guintptr followed by `.`
    assert print_expr("p0.runq[p0.runqtail-1].sched.g == g5", ctx) == "true"
    assert print_expr("m0.curg.goid", ctx) == "1"
    assert print_expr("m0.curg.m.curg.m.id", ctx) == "0"
    assert print_expr("m0.p.id", ctx) == "0"  # puintptr
    assert print_expr("(*m0.curg).goid", ctx) == "1"
    assert evaluate("p0.runq[6]", ctx).addr == proc.runtime.allp[0].runq.addr_of(6)


def test_waitreason_prints_go_s_name(ctx) -> None:  # type: ignore[no-untyped-def]
    assert print_expr("g2.waitreason", ctx) == "waitReasonForceGCIdle (17)"
    assert print_expr("g3.waitreason", ctx) == "waitReasonGCSweepWait (12)"
    assert print_expr("g5.waitreason", ctx) == "waitReasonZero (0)"
    assert "waitreason: waitReasonGCScavengeWait (13)," in print_expr("g4", ctx)
    assert truthy("g2.waitreason == waitReasonForceGCIdle", ctx)
    assert CONSTANTS["waitReasonForceGCIdle"] == 17


def test_registers_of_the_selected_cpu(proc, ctx) -> None:  # type: ignore[no-untyped-def]
    cpu0, cpu1 = proc.machine.cpus
    assert print_expr("$rsp", ctx) == print_expr("$sp", ctx) == f"{cpu0.reg('rsp'):#x}"
    assert print_expr("$pc", ctx) == print_expr("$rip", ctx) == f"{cpu0.reg('rip'):#x}"
    assert print_expr("$fs_base", ctx) == f"{cpu0.fs_base:#x}"
    assert print_expr("$r14 == g", ctx) == ("true" if cpu0.reg("r14") == ctx.g else "false")
    assert print_expr("*$rsp", ctx) == f"{load(proc.machine.space, cpu0.reg('rsp'), 8):#x}"
    assert print_expr("$xmm15", ctx) == "0x0"
    other = ExprContext(proc, cpu=1)
    assert print_expr("$rsp", other) == f"{cpu1.reg('rsp'):#x}"


def test_selected_g_m_p(proc, ctx) -> None:  # type: ignore[no-untyped-def]
    assert print_expr("g.goid", ctx) == "1"
    assert print_expr("m.id", ctx) == "0"
    assert print_expr("p.id", ctx) == "0"
    assert print_expr("m.p == p && m.curg == g", ctx) == "true"
    other = ExprContext(proc, g=_g(proc, 5).addr, cpu=1)
    assert print_expr("g.goid", other) == "5"
    assert print_expr("m.id", other) == "2"
    with pytest.raises(ExprError, match=r"^m \(m2\) has no P$"):
        evaluate("p", other)
    with pytest.raises(ExprError, match="^no goroutine selected$"):
        evaluate("g", ExprContext(proc))
    with pytest.raises(ExprError, match="^no M on CPU 5$"):
        evaluate("m", ExprContext(proc, cpu=5))


def test_dead_goroutines_have_no_name() -> None:
    done = _stopped(30_000)  # pingpong has exited: the players are dead, their gs kept for reuse
    assert done.status == 0
    ctx = ExprContext(done)
    assert [G(done.machine.space, a).atomicstatus for a in done.runtime.allgs][4:] == [const._Gdead] * 2
    assert print_expr("g1.goid", ctx) == "1"
    with pytest.raises(ExprError, match="^no goroutine 5$"):
        evaluate("g5", ctx)


# ---- operators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2*3", 7),
        ("(1 + 2) * 3", 9),
        ("1<<2 + 1", 5),  # << binds like *
        ("7&3 | 4", 7),
        ("1 | 2 ^ 3", 0),  # | and ^ are at one level, left to right
        ("10 - 3 - 2", 5),
        ("2*3 % 4", 2),
        ("5 &^ 1", 4),
        ("-2 * -3", 6),
        ("^0", -1),
        ("-7 / 2", -3),  # Go truncates toward zero
        ("-7 % 2", -1),
        ("7 % -2", 1),
        ("0x10 + 010 + 0b11 + 1_000", 16 + 8 + 3 + 1000),
        ("1 + 2 == 3", True),
        ("1 < 2 == true", True),
        ("2 > 1 && 1 > 2 || 3 >= 3", True),  # && before ||
        ("1 == 1 || 1/0 == 0", True),  # short circuit
        ("1 == 2 && 1/0 == 0", False),
        ("!true || !(1 != 1)", True),
        ("g5.goid - 6", -1),
        ("p0.runqhead - 6", 2**32 - 1),  # uint32 wraps as Go's does
        ("g5.goid * 2 + -g6.goid", 4),
        ("nil == m2.curg", True),
    ],
)
def test_operators(ctx, text: str, value: int | bool) -> None:  # type: ignore[no-untyped-def]
    v = evaluate(text, ctx)
    assert v.value == value and type(v.value) is type(value)


def test_address_of(proc, ctx) -> None:  # type: ignore[no-untyped-def]
    g5 = _g(proc, 5)
    assert evaluate("&g5.sched", ctx).value == g5.addr_of("sched")
    assert print_expr("&g5.sched", ctx) == "*" + print_expr("g5.sched", ctx)
    runq = proc.runtime.allp[0].runq
    assert print_expr("&p0.runq[3]", ctx) == f"(*runtime.guintptr)({runq.addr_of(3):#x})"
    assert print_expr("*&p0.runq[3]", ctx) == f"{runq[3]:#x}"


def test_truthy(ctx) -> None:  # type: ignore[no-untyped-def]
    assert truthy("g5.goid == 5", ctx) is True
    assert truthy("g.goid == 5", ctx) is False
    assert truthy("g5.goid", ctx) is True  # a number that is not zero
    assert truthy("m0.curg", ctx) is True and truthy("m2.curg", ctx) is False  # pointers: not nil
    assert truthy("m2.curg != nil && m2.curg.goid == 1", ctx) is False  # no nil dereference
    assert truthy("g5.atomicstatus == _Grunnable && !g5.preempt", ctx) is True
    with pytest.raises(ExprError, match=r"^g5\.sched is a runtime\.gobuf, not a condition$"):
        truthy("g5.sched", ctx)


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo", "unknown name foo"),
        ("g7", "no goroutine 7"),
        ("m1", "no M 1"),
        ("p1", "no P 1"),
        ("$foo", "unknown register $foo"),
        ("g5.foo", "g5 has no field foo"),
        ("m0.curg.sched.foo", "m0.curg.sched has no field foo"),
        ("g5.goid.x", "g5.goid (int64) has no fields"),
        ("p0.runq[256]", "index out of range [256] with length 256"),
        ("p0.runq[-1]", "index out of range [-1] with length 256"),
        ("g5.goid[0]", "cannot index g5.goid (int64)"),
        ("m2.curg.goid", "nil pointer dereference: m2.curg"),
        ("(m2.curg).sched.sp", "nil pointer dereference: (m2.curg)"),
        ("*m2.curg", "nil pointer dereference: m2.curg"),
        ("*0x10", "cannot read 8 bytes at 0x10: unmapped memory"),
        ("*g5.sched", "cannot dereference g5.sched (runtime.gobuf)"),
        ("g5.sched + 1", "g5.sched is a runtime.gobuf, not a number"),
        ("g5.sched == g6.sched", "cannot compare g5.sched (runtime.gobuf)"),
        ("&1", "cannot take the address of 1"),
        ("1 / (g5.goid - 5)", "integer divide by zero"),
        ("1 << -1", "negative shift count -1"),
        ("g5.", "cannot parse 'g5.': expected a field name after '.' at the end"),
        ("g5.3", "cannot parse 'g5.3': expected a field name after '.', found '3' at column 4"),
        ("(1", "cannot parse '(1': expected ')' at the end"),
        ("p0.runq[1", "cannot parse 'p0.runq[1': expected ']' at the end"),
        ("1 +", "cannot parse '1 +': expected an operand at the end"),
        ("g5 g6", "cannot parse 'g5 g6': expected an operator, found 'g6' at column 4"),
        ("1 ) 2", "cannot parse '1 ) 2': expected an operator, found ')' at column 3"),
        ("g5 @ 1", "cannot parse 'g5 @ 1': unexpected '@' at column 4"),
        ("09", "cannot parse '09': bad number '09'"),
        ("", "no expression"),
        ("  ", "no expression"),
        ("(" * 2000 + "1" + ")" * 2000, "expression nested too deeply"),
    ],
)
def test_errors(ctx, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ExprError) as e:
        print_expr(text, ctx)
    assert str(e.value) == message


def test_parse_once_for_a_condition() -> None:
    node = parse("g.goid == 5")
    assert (node.op, node.start, node.end) == ("==", 0, 11)
    with pytest.raises(ExprError, match="^cannot parse"):
        parse("g.")


_PIECES = ["g5", "g", "m0", "m2", "p0", "sched", "$rsp", "nil", "0", "1", "0x10", "256", ".goid", ".sched",
           ".curg", ".runq", ".sp", "[", "]", "(", ")", "*", "&", "-", "!", "^", "+", "/", "%", "<<", ">>",
           "==", "&&", "||", "<", " ", ".", "@", "'", "9"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12))
def test_bad_input_never_escapes_as_a_traceback(proc, pieces: list[str]) -> None:  # type: ignore[no-untyped-def]
    ctx = ExprContext(proc, g=proc.runtime.allm[0].curg)
    text = "".join(pieces)
    try:
        assert isinstance(print_expr(text, ctx), str)
        assert truthy(text, ctx) in (True, False)
    except ExprError as e:
        assert str(e)


def test_p_view_agrees(proc, ctx) -> None:  # type: ignore[no-untyped-def]
    p0 = P(proc.machine.space, proc.runtime.allp[0].addr)
    assert print_expr("p0.schedtick", ctx) == str(p0.schedtick)
    assert print_expr("p0.m == m0", ctx) == "true"
    assert evaluate("p0", ctx).value == p0.addr
