"""sysmon, retake and preemption against Go 1.19's proc.go and preempt.go: when sysmon looks, what
preemptone asks for, where an asynchronous preemption may land, and the paths the samples take."""

import argparse
import io
from pathlib import Path

import pytest
from booted import booted_runtime

import runtime.preempt as preempt
from asm import assemble_file
from emu.cli import duration
from emu.functab import functab, unsafe_ranges
from emu.run import Config, Limits, boot, build, run_process
from runtime import sysmon
from runtime.debug import DebugVars, parsedebugvars
from runtime.layout import Funcval, G, P, const
from runtime.proc import CLOCK_START
from runtime.symtab import Func, Functab

ROOT = Path(__file__).resolve().parents[2]
MS = 1_000_000


@pytest.fixture
def rt():
    r = booted_runtime()
    r.schedule(r.m0)  # main runs on m0's P
    return r


def test_godebug_is_parsed_as_go_does():
    d = parsedebugvars("asyncpreemptoff=1,schedtrace=1000,scheddetail=x,nosuch=3,junk")
    assert d == DebugVars(asyncpreemptoff=1, schedtrace=1000, scheddetail=0)
    assert parsedebugvars("") == DebugVars()


@pytest.mark.parametrize(
    ("text", "ns"), [("10ms", 10 * MS), ("20us", 20_000), ("20µs", 20_000), ("1.5s", 1_500_000_000), ("1m", 60_000 * MS),
                     ("1h", 3_600_000 * MS), ("1h30m", 5_400_000 * MS), ("1s500ms", 1_500 * MS), (".5s", 500 * MS),
                     ("2562047h47m16.854775807s", (1 << 63) - 1)]
)
def test_timeslice_takes_go_durations(text, ns):
    assert duration(text) == ns


@pytest.mark.parametrize("text", ["10", "ms", "-1ms", "0s", "1d", "1s 5ms", "s1", "2562047h47m16.854775808s"])
def test_timeslice_rejects_what_is_not_a_positive_duration(text):
    with pytest.raises(argparse.ArgumentTypeError):
        duration(text)


def _sleeps(rt, n):
    """Start sysmon and run n iterations of its loop, the clock jumping to each wake time: the
    n+1 sleeps it chose, in ns."""
    sysmon.start(rt)
    sleeps = [rt.sysmon.wake - rt.clock]
    for _ in range(n):
        rt.clock = rt.sysmon.wake
        sysmon.tick(rt)
        sleeps.append(rt.sysmon.wake - rt.clock)
    return sleeps


def test_sysmon_sleeps_20us_then_doubles_after_1ms_idle_up_to_10ms(rt):
    P(rt.mem, rt.m0.p).schedtick = 1  # not a P sysmon has never seen (see below)
    sleeps = _sleeps(rt, 61)
    # idle (ticks without a retaken P) counts up from 0; past 50 the sleep doubles, up to 10 ms.
    assert sleeps[:51] == [20_000] * 51
    doubling = [40_000, 80_000, 160_000, 320_000, 640_000, 1_280_000, 2_560_000, 5_120_000, 10 * MS, 10 * MS, 10 * MS]
    assert sleeps[51:] == doubling


def test_sysmon_looks_at_least_once_per_timeslice(rt):
    rt.forcePreemptNS = 50_000
    assert _sleeps(rt, 80)[-1] == 50_000


def test_a_p_whose_schedtick_sysmon_never_saw_change_is_preempted_at_first_sight(rt):
    """pd.schedwhen starts at 0: with schedtick still 0 (main started from runnext, inheriting its
    time slice), the first look finds 0 + forcePreemptNS <= now, as in Go."""
    sysmon.retake(rt, rt.clock)
    assert G(rt.mem, rt.m0.curg).preempt


def test_retake_preempts_a_g_after_forcePreemptNS(rt):
    pp, mp = P(rt.mem, rt.m0.p), rt.m0
    pp.schedtick = 1
    gp = G(rt.mem, mp.curg)
    now = rt.clock
    assert sysmon.retake(rt, now) == 0  # first look: records schedtick and when
    assert (pp.sysmontick.schedtick, pp.sysmontick.schedwhen) == (pp.schedtick, now)
    sysmon.retake(rt, now + 10 * MS - 1)
    assert not gp.preempt and gp.stackguard0 == gp.stack.lo + const._StackGuard
    sysmon.retake(rt, now + 10 * MS)
    assert gp.preempt and gp.stackguard0 == const.stackPreempt
    assert pp.preempt and mp.signalPending == 1 and rt.sigpending == {mp.addr}
    # A second request before the signal is handled sends no second signal.
    rt.sigpending.clear()
    sysmon.retake(rt, now + 20 * MS)
    assert rt.sigpending == set()


def test_asyncpreemptoff_leaves_only_the_prologue_check(rt):
    rt.debug = DebugVars(asyncpreemptoff=1)
    pp, mp = P(rt.mem, rt.m0.p), rt.m0
    assert preempt.preemptone(rt, pp)
    gp = G(rt.mem, mp.curg)
    assert gp.preempt and gp.stackguard0 == const.stackPreempt
    assert not pp.preempt and mp.signalPending == 0 and rt.sigpending == set()


def test_a_new_schedtick_restarts_the_timeslice(rt):
    pp = P(rt.mem, rt.m0.p)
    pp.schedtick = 1
    now = rt.clock
    sysmon.retake(rt, now)
    pp.schedtick += 1  # another G was scheduled meanwhile
    sysmon.retake(rt, now + 10 * MS)
    assert not G(rt.mem, rt.m0.curg).preempt
    assert pp.sysmontick.schedwhen == now + 10 * MS


def test_unsafe_points_are_the_prologue_and_cmd_asm_pcdata():
    texts = {t.name: t for t in assemble_file(str(ROOT / "tests/vectors/prologue.s")).texts}
    # f24: the stack check, JLS (PCDATA $0,$-2), SUBQ/MOVQ BP/LEAQ BP up to 0x1d; the morestack call.
    assert unsafe_ranges(texts["main.f24"]) == [(0, 0x1D), (0xD, 0xF), (0x3F, 0x44)]
    assert unsafe_ranges(texts["main.leaf16"]) == [(0, 0xE)]  # NOSPLIT with a frame: SUBQ, MOVQ, LEAQ
    assert unsafe_ranges(texts["main.nosplit0"]) == []  # no prologue: its first instruction is safe


def _gp_at_safe_state(rt, table):
    rt.syms.functab = table
    rt.syms.async_preempt_stack = 472
    gp = G(rt.mem, rt.m0.curg)
    return gp, gp.stack.hi - 64


def test_isAsyncSafePoint_follows_goemus_rule(rt):
    prog = Func("main.f", 0x401000, 0x401040, 32, program=True, unsafe=((0x401000, 0x40101D),))
    rtfn = Func("runtime.gogo", 0x401040, 0x401080, 0, program=False)
    gp, sp = _gp_at_safe_state(rt, Functab([prog, rtfn]))
    assert preempt.isAsyncSafePoint(rt, gp, 0x401020, sp) == (True, 0x401020)
    assert preempt.isAsyncSafePoint(rt, gp, 0x401000, sp) == (False, 0)  # prologue
    assert preempt.isAsyncSafePoint(rt, gp, 0x401050, sp) == (False, 0)  # runtime text
    assert preempt.isAsyncSafePoint(rt, gp, 0x402000, sp) == (False, 0)  # no function
    assert preempt.isAsyncSafePoint(rt, gp, 0x401020, gp.stack.lo + 471) == (False, 0)  # no room
    assert preempt.isAsyncSafePoint(rt, gp, 0x401020, gp.stack.lo + 472) == (True, 0x401020)
    rt.m0.locks = 1
    assert preempt.isAsyncSafePoint(rt, gp, 0x401020, sp) == (False, 0)


def test_async_preempt_stack_is_go_1_19s():
    """asyncPreemptStack: asyncPreempt's 384 bytes + asyncPreempt2's 24 + 64 = 472 in Go 1.19."""
    image, _ = build([str(ROOT / "samples/hello.s")])
    assert preempt.async_preempt_stack(functab(image)) == 472


def _run_sample(name, monkeypatch, config, limits=None):
    monkeypatch.chdir(ROOT)
    image, gates = build([f"samples/{name}.s"])
    out, err = io.BytesIO(), io.BytesIO()
    proc = boot(image, gates, out, err, config)
    status = run_process(proc, limits or Limits(max_insns=100_000_000))
    return proc, status, err.getvalue().decode()


def test_tightloop_is_preempted_asynchronously_in_its_loop(monkeypatch):
    """sysmon preempts main after 10 ms of running; the signal finds it in main.main's loop (an
    async safe point) and injects asyncPreempt there: the resume pc is the loop's INCQ or JMP."""
    pushed = []
    orig = preempt.pushCall
    monkeypatch.setattr(preempt, "pushCall", lambda rt, c, t, r: pushed.append((rt.clock, r)) or orig(rt, c, t, r))
    proc, status, err = _run_sample("tightloop", monkeypatch, Config(gomaxprocs=1))
    assert status == 0 and err.startswith("printer: main spins")
    assert len(pushed) == 1 and pushed[0][1] in _loop_pcs(proc)
    assert pushed[0][0] - CLOCK_START >= 10 * MS  # not before a full timeslice


def _loop_pcs(proc):
    """The addresses of main.main's INCQ AX; JMP loop."""
    main = proc.machine.image.symbols["main.main"]
    return [main.addr + i.offset for i in main.text.instructions if i.text in ("INCQ\tAX", "JMP\t" + _jmp(main))]


def _jmp(main):
    return next(i.text.split("\t")[1] for i in main.text.instructions if i.text.startswith("JMP"))


def test_tightloop_hangs_without_async_preemption(monkeypatch):
    cfg = Config(gomaxprocs=1, debug=DebugVars(asyncpreemptoff=1))
    proc, status, err = _run_sample("tightloop", monkeypatch, cfg, Limits(max_insns=30_000_000))
    assert status == 2
    main = proc.machine.image.symbols["main.main"].addr
    assert err in [
        f"goemu: stopped after --max-insns 30000000 instructions (pc={pc:#x} main.main+{pc - main:#x})\n"
        for pc in _loop_pcs(proc)
    ]
    gp = G(proc.machine.space, proc.runtime.allm[0].curg)
    assert gp.goid == 1 and gp.preempt and gp.stackguard0 == const.stackPreempt  # asked, never checked


def test_callloop_is_preempted_in_steps_prologue(monkeypatch):
    seen = []
    orig = preempt.gopreempt_m

    def spy(rt, mp, gp, kind):
        fn = rt.syms.functab.findfunc(gp.sched.pc)
        seen.append((gp.goid, fn.name, gp.sched.pc - fn.entry, kind))
        return orig(rt, mp, gp, kind)

    monkeypatch.setattr(preempt, "gopreempt_m", spy)
    cfg = Config(gomaxprocs=1, debug=DebugVars(asyncpreemptoff=1))
    proc, status, err = _run_sample("callloop", monkeypatch, cfg)
    assert status == 0 and err == "printer: main was preempted at a function prologue\n"
    # g.sched.pc is where morestack was called from: step's morestack call returns to its JMP.
    step = [i for i in proc.machine.image.symbols["main.step"].text.instructions if i.text.startswith("JMP")]
    assert seen == [(1, "main.step", step[-1].offset, "sync")]


def test_blocked_syscall_hands_its_p_to_a_new_m(monkeypatch):
    retaken = []
    orig = sysmon.retake

    def spy(rt, now):
        n = orig(rt, now)
        if n:
            pp = rt.allp[0]
            retaken.append((n, pp.status, [m.id for m in rt.allm if m.nextp == pp.addr]))
        return n

    monkeypatch.setattr(sysmon, "retake", spy)
    proc, status, err = _run_sample("blocksyscall", monkeypatch, Config(gomaxprocs=1))
    assert status == 0 and err.endswith("worker ran meanwhile: true\n")
    # One P taken from the syscall and handed to a new M (handoffp -> startm -> newm), m2: m1 is
    # sysmon's id. The new M acquires it from nextp when it starts.
    assert retaken == [(1, const._Pidle, [2])]
    assert [m.id for m in proc.runtime.allm] == [0, 2]


def test_preemptPark_parks_in_Gpreempted_for_suspendG(rt):
    """A G asked to stop (g.preemptStop, suspendG's request; goemu has no GC to ask) parks in
    _Gpreempted with wait reason `preempted` instead of going to the run queue; the M runs
    another G."""
    gp = G(rt.mem, rt.m0.curg)
    other = rt.newproc(rt.m0, Funcval(rt.mem, rt.syms.main_pc))
    gp.preemptStop = True
    rt.syms.functab = Functab([Func("runtime.asyncPreempt2.resume", 0x401000, 0x401010, 0, program=False)])
    gp.sched.pc, gp.asyncSafePoint = 0x401000, True
    buf = preempt.preemptPark(rt, rt.m0, gp)
    assert (gp.atomicstatus, gp.waitreason, gp.m) == (const._Gpreempted, 25, 0)
    assert buf.addr == other.addr_of("sched") and rt.m0.curg == other.addr
    assert rt.sched.runqsize == 0  # not queued anywhere: only a resume would ready it
