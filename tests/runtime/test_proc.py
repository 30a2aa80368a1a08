"""The scheduler's data structures against Go 1.19's behaviour (proc.go, proc_test.go)."""

import pytest

from runtime.layout import Funcval, G, P, const
from runtime.malloc import Arena
from runtime.memory import BytesMemory
from runtime.proc import G0_STACK_SIZE, RUNQ_SIZE, Runtime, Symbols

BASE = 0x100000
GOEXIT, MAIN_FN = 0x401000, 0x401100


@pytest.fixture
def rt():
    mem = BytesMemory(BASE, 64 << 20)
    fv = BASE  # a funcval for "main" at the start of memory
    mem.write(fv, MAIN_FN.to_bytes(8, "little"))
    arena = Arena(BASE + 0x1000, (64 << 20) - 0x1000 - G0_STACK_SIZE)
    r = Runtime(mem, arena, Symbols(goexit=GOEXIT, main_pc=fv), g0_stack_base=BASE + (64 << 20) - G0_STACK_SIZE)
    r.m0 = r.rt0_go()
    return r


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
