"""The scheduler's data structures against Go 1.19's behaviour (proc.go, proc_test.go)."""

import pytest
from booted import GOEXIT, MAIN_FN, booted_runtime

from runtime.errors import Deadlock
from runtime.layout import Funcval, G, P, const
from runtime.proc import RUNQ_SIZE, RandomOrder


@pytest.fixture
def rt():
    return booted_runtime()


def new_gs(rt, n):
    return [rt.new(G) for _ in range(n)]


def test_main_goroutine_is_goid_1_ready_to_start_main(rt):
    g1 = G(rt.mem, P(rt.mem, rt.m0.p).runnext)
    assert (g1.goid, g1.atomicstatus, g1.startpc) == (1, const._Grunnable, MAIN_FN)
    assert g1.stack.hi - g1.stack.lo == 2048 and g1.stack.lo % 2048 == 0
    assert g1.stackguard0 == g1.stack.lo + const._StackGuard
    # gostartcallfn: starts at fn with goexit+1 pushed as the return address, DX = funcval.
    assert (g1.sched.pc, g1.sched.ctxt, g1.sched.g) == (MAIN_FN, rt.syms.main_pc, g1.addr)
    assert g1.sched.sp == g1.stack.hi - 32 - 8
    assert int.from_bytes(rt.mem.read(g1.sched.sp, 8), "little") == GOEXIT + 1
    # The goid batch: sched.goidgen moved by 16, the P holds the rest.
    p0 = P(rt.mem, rt.m0.p)
    assert (rt.sched.goidgen, p0.goidcache, p0.goidcacheend) == (16, 2, 17)


def test_execute_runs_main_and_counts_schedtick(rt):
    buf = rt.schedule(rt.m0)
    g1 = G(rt.mem, rt.m0.curg)
    assert buf.addr == g1.addr_of("sched") and g1.atomicstatus == const._Grunning and g1.m == rt.m0.addr
    assert P(rt.mem, rt.m0.p).schedtick == 0  # runnext inherits the time slice


def test_goids_come_in_batches_of_16(rt):
    fn = Funcval(rt.mem, rt.syms.main_pc)
    goids = [rt.newproc(rt.m0, fn).goid for _ in range(40)]
    assert goids == list(range(2, 42))
    assert rt.sched.goidgen == 48


def test_spawn5_order_is_runnext_then_fifo(rt):
    """Five `go` statements then blocking: Go runs them 4 0 1 2 3 (the last one is in runnext)."""
    p0 = P(rt.mem, rt.m0.p)
    rt.runqget(p0)  # take the main goroutine out, as if it were running
    gs = new_gs(rt, 5)
    for g in gs:
        rt.runqput(p0, g, True)
    order = []
    while (g := rt.runqget(p0)[0]) is not None:
        order.append(gs.index(g))
    assert order == [4, 0, 1, 2, 3]


def test_local_queue_like_RunSchedLocalQueueTest(rt):
    """proc_test.go's RunSchedLocalQueueTest: every G put is got once, in order, for every size."""
    pp = rt.new(P)
    gs = new_gs(rt, RUNQ_SIZE)
    for n in range(RUNQ_SIZE):
        assert rt.runqget(pp)[0] is None
        for j in range(n):
            rt.runqput(pp, gs[j], False)
        got = [rt.runqget(pp)[0] for _ in range(n)]
        assert got == gs[:n]
        assert rt.runqget(pp)[0] is None


def test_full_local_queue_spills_half_to_global(rt):
    """runqputslow: the 257th G moves the older half (128) and itself to the global queue."""
    pp = rt.new(P)
    gs = new_gs(rt, RUNQ_SIZE + 1)
    for g in gs:
        rt.runqput(pp, g, False)
    assert rt.sched.runqsize == RUNQ_SIZE // 2 + 1
    assert (pp.runqtail - pp.runqhead) == RUNQ_SIZE // 2
    local = [rt.runqget(pp)[0] for _ in range(RUNQ_SIZE // 2)]
    assert local == gs[RUNQ_SIZE // 2 : RUNQ_SIZE]
    # The global queue holds the first half then the newest, linked through schedlink.
    first = G(rt.mem, rt.sched.runq.head)
    assert first == gs[0] and G(rt.mem, rt.sched.runq.tail) == gs[-1]


def test_globrunqget_batch_formula(rt):
    """globrunqget takes min(runqsize, runqsize/gomaxprocs+1, len(runq)/2) and runs the first."""
    pp = rt.new(P)
    gs = new_gs(rt, 10)
    rt.globrunqputbatch([g.addr for g in gs])
    assert rt.sched.runqsize == 10
    gp = rt.globrunqget(pp, 0)
    assert gp == gs[0]
    assert rt.sched.runqsize == 0  # gomaxprocs=1: 10/1+1 = 11 > 10, so all of them
    assert [rt.runqget(pp)[0] for _ in range(9)] == gs[1:]


def test_steal_takes_half_like_RunSchedLocalQueueStealTest(rt):
    """proc_test.go's RunSchedLocalQueueStealTest: after runqsteal every G is seen exactly once,
    and the thief got i/2 or i/2+1 of them."""
    p1, p2 = rt.new(P), rt.new(P)
    gs = new_gs(rt, RUNQ_SIZE)
    for i in range(RUNQ_SIZE):
        for j in range(i):
            rt.runqput(p1, gs[j], False)
        seen = []
        gp = rt.runqsteal(p2, p1, True)
        stolen = [gp] if gp is not None else []
        while (g := rt.runqget(p2)[0]) is not None:
            stolen.append(g)
        seen = stolen[:]
        while (g := rt.runqget(p1)[0]) is not None:
            seen.append(g)
        assert sorted(g.addr for g in seen) == sorted(g.addr for g in gs[:i])
        assert len(stolen) in (i // 2, i // 2 + 1)


def test_steal_takes_runnext_only_when_asked(rt):
    p1, p2 = rt.new(P), rt.new(P)
    (g,) = new_gs(rt, 1)
    rt.runqput(p1, g, True)
    assert rt.runqsteal(p2, p1, False) is None and p1.runnext == g.addr
    assert rt.runqsteal(p2, p1, True) == g and p1.runnext == 0


def test_steal_order_visits_every_p_once():
    """randomOrder: from any start, each position exactly once (a stride coprime to count)."""
    order = RandomOrder()
    for count in (1, 2, 3, 4, 6, 8, 12):
        order.reset(count)
        for start in range(40):
            assert sorted(order.enum(start)) == list(range(count))
    order.reset(4)
    assert list(order.enum(5)) == [1, 0, 3, 2]  # pos 5%4 = 1, stride coprimes[5%2] = 3


def test_fastrand_is_go_1_19_wyrand(rt):
    rt.m0.fastrand = 1
    x = (1 + 0xA0761D6478BD642F) & (2**64 - 1)
    prod = x * (x ^ 0xE7037ED1A0B428DB)
    assert rt.fastrand(rt.m0) == ((prod >> 64) ^ prod) & 0xFFFFFFFF
    assert rt.m0.fastrand == x


@pytest.fixture
def rt4():
    """A runtime with four Ps; new Ms are recorded instead of given CPUs."""
    started = []
    r = booted_runtime(gomaxprocs=4, newosproc=started.append)
    r.started = started
    return r


def test_procresize_makes_the_other_ps_idle_lowest_first(rt4):
    assert [pp.id for pp in rt4.allp] == [0, 1, 2, 3]
    assert rt4.allp[0].status == const._Prunning and rt4.m0.p == rt4.allp[0].addr
    assert rt4.sched.npidle == 3
    assert [rt4.pidleget().id for _ in range(3)] == [1, 2, 3]  # pidleput from the top: P1 is the head
    assert rt4.pidleget() is None


def test_wakep_starts_one_spinning_m_for_an_idle_p(rt4):
    rt4.wakep()
    (m,) = rt4.started
    assert (m.spinning, m.id) == (False, 2)  # id 1 is sysmon's; spinning is set when it starts (mspinning)
    assert rt4.sched.nmspinning == 1 and P(rt4.mem, m.nextp).id == 1
    rt4.wakep()  # one spinning M is enough
    assert len(rt4.started) == 1
    assert rt4.woken(m)  # the new thread runs at once


def test_new_m_steals_half_of_p0s_queue(rt4):
    p0 = rt4.allp[0]
    rt4.runqget(p0)  # main is running
    gs = new_gs(rt4, 8)
    for g in gs:
        g.atomicstatus = const._Grunnable
        rt4.runqput(p0, g, False)
    rt4.wakep()
    (m,) = rt4.started
    buf = rt4.wake(m)  # mstart: acquire P1, spin, steal
    p1 = P(rt4.mem, m.p)
    assert p1.id == 1 and G(rt4.mem, m.curg) == gs[3] and buf.addr == gs[3].addr_of("sched")
    assert [rt4.runqget(p1)[0] for _ in range(3)] == gs[:3]  # 4 stolen: 3 queued, the last runs
    assert p0.runqtail - p0.runqhead == 4
    # It stopped spinning and, finding work, woke another M (resetspinning -> wakep).
    assert not m.spinning and len(rt4.started) == 2


def test_idle_m_with_nothing_to_do_is_a_deadlock(rt4):
    """The last M going idle with every goroutine blocked and no timer: checkdead."""
    rt4.schedule(rt4.m0)  # main runs
    g1 = G(rt4.mem, rt4.m0.curg)
    g1.atomicstatus = const._Gwaiting
    rt4.dropg(rt4.m0)
    with pytest.raises(Deadlock):
        rt4.schedule(rt4.m0)


def test_gomaxprocs_shrinks_and_moves_runnable_gs_to_the_global_queue(rt4):
    rt4.schedule(rt4.m0)
    gs = new_gs(rt4, 2)
    p3 = rt4.allp[3]
    for g in gs:
        g.atomicstatus = const._Grunnable
        rt4.runqput(p3, g, False)
    rt4.pidleget(), rt4.pidleget(), rt4.pidleget()  # take the idle Ps (as stopTheWorld would)
    for pp in rt4.allp[1:]:
        pp.status = const._Pgcstop
    rt4.allp[0].status = const._Pgcstop
    assert rt4.procresize(rt4.m0, 2) == []
    assert [pp.id for pp in rt4.allp] == [0, 1] and p3.status == const._Pdead
    assert rt4.sched.runqsize == 2 and G(rt4.mem, rt4.sched.runq.head) == gs[0]
    assert rt4.gomaxprocs == 2 and rt4.sched.npidle == 1


def test_every_p_may_have_timers_from_its_start(rt):
    """p.init sets the P's timerpMask bit (and clears its idlepMask bit): P0 goes straight to m0
    without pidleget, and a sleep on it must still be found by other Ms' stealWork."""
    assert rt.timerp_mask == (1 << len(rt.allp)) - 1
    assert rt.idlep_mask == sum(1 << pp.id for pp in rt.allp if pp.addr != rt.m0.p)
