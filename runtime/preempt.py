"""Preemption, after Go 1.19's runtime/preempt.go and proc.go: preemptone (sysmon's request:
g.preempt, stackguard0 = stackPreempt for the prologue check, and SIGURG to the M for an
asynchronous preemption), the signal's doSigPreempt deciding where a goroutine may be stopped,
asyncPreempt2 (called by the assembled asyncPreempt after it saved every register), and the
continuations gopreempt_m and preemptPark.

goemu's asynchronous safe points (isAsyncSafePoint): the M runs its curg on a P in _Prunning with
no locks; the goroutine's stack has room for asyncPreempt's frame; the pc is in the program's own
text (Go refuses assembly everywhere; goemu's programs are assembly, so every instruction of
theirs counts, NOSPLIT functions included, which Go's compiler would mark unsafe) and not in the
runtime's; and not in a prologue before its frame is set up, nor in the unsafe-point regions
cmd/asm marks (the stack check's branch and the morestack call).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .errors import Throw
from .gates import Frame, gate
from .layout import G, M, P, const
from .memory import store
from .symtab import Functab

if TYPE_CHECKING:
    from .layout import Gobuf
    from .proc import Runtime

PTR = 8
ASYNC_PREEMPT2_FRAME = 24  # funcMaxSPDelta of Go 1.19's asyncPreempt2 (Go code; a gate here)
WAIT_REASON_PREEMPTED = 25  # waitReasonPreempted


def async_preempt_stack(functab: Functab) -> int:
    """asyncPreemptStack: the stack an injected asyncPreempt call needs (472 bytes in Go 1.19)."""
    fn = functab.byname("runtime.asyncPreempt")
    total = (fn.max_sp_delta if fn else 0) + ASYNC_PREEMPT2_FRAME
    return total + 8 * PTR  # some overhead for return PCs, etc.


def canPreemptM(rt: Runtime, mp: M) -> bool:
    """Is it safe to preempt the G running on mp (no locks, not allocating, P running)?"""
    return (
        mp.locks == 0
        and mp.mallocing == 0
        and mp.preemptoff.len == 0
        and mp.p != 0
        and P(rt.mem, mp.p).status == const._Prunning
    )


def preemptone(rt: Runtime, pp: P) -> bool:
    """Ask the G running on pp to stop: at its next prologue (stackguard0) and, unless
    GODEBUG=asyncpreemptoff=1, wherever it is (a SIGURG to its M)."""
    if not pp.m:
        return False
    mp = M(rt.mem, pp.m)
    if not mp.curg or mp.curg == mp.g0:
        return False
    gp = G(rt.mem, mp.curg)
    gp.preempt = True
    gp.stackguard0 = const.stackPreempt
    if rt.trace:  # goemu's: Go does not trace the request
        rt.trace.PreemptRequest(pp, gp)
    if not rt.debug.asyncpreemptoff:
        pp.preempt = True
        preemptM(rt, mp)
    return True


def preemptM(rt: Runtime, mp: M) -> None:
    """signalM(mp, sigPreempt), unless one is already on its way (m.signalPending)."""
    if mp.signalPending == 0:
        mp.signalPending = 1
        rt.sigpending.add(mp.addr)


def wantAsyncPreempt(rt: Runtime, gp: G) -> bool:
    """Is an asynchronous preemption of gp (still) wanted, on the G or on its P?"""
    mp = M(rt.mem, gp.m)
    wanted = gp.preempt or (mp.p != 0 and P(rt.mem, mp.p).preempt)
    return bool(wanted) and gp.atomicstatus & ~const._Gscan == const._Grunning


def isAsyncSafePoint(rt: Runtime, gp: G, pc: int, sp: int) -> tuple[bool, int]:
    """May gp be stopped at pc (with this sp)? Returns (ok, the pc to resume at)."""
    mp = M(rt.mem, gp.m)
    if mp.curg != gp.addr:  # only user Gs have safe points (we often catch mp in the scheduler)
        return False, 0
    if not canPreemptM(rt, mp):
        return False, 0
    if sp < gp.stack.lo or sp - gp.stack.lo < rt.syms.async_preempt_stack:
        return False, 0
    fn = rt.syms.functab.findfunc(pc)
    if fn is None or not fn.program or fn.unsafe_at(pc):
        return False, 0
    return True, pc


class SigContext(Protocol):
    """The interrupted M's registers, as the signal handler's sigctxt gives them."""

    def sigpc(self) -> int: ...
    def sigsp(self) -> int: ...
    def set_rip(self, pc: int) -> None: ...
    def set_rsp(self, sp: int) -> None: ...


def pushCall(rt: Runtime, ctxt: SigContext, target: int, resume: int) -> None:
    """Make it look as if the interrupted code called target from resume."""
    sp = ctxt.sigsp() - PTR
    store(rt.mem, sp, PTR, resume)
    ctxt.set_rsp(sp)
    ctxt.set_rip(target)


def doSigPreempt(rt: Runtime, gp: G, ctxt: SigContext) -> None:
    """SIGURG's work: inject a call to asyncPreempt if gp wants preempting and stands at a safe
    point, and acknowledge the signal in any case."""
    if wantAsyncPreempt(rt, gp):
        ok, newpc = isAsyncSafePoint(rt, gp, ctxt.sigpc(), ctxt.sigsp())
        if ok:
            pushCall(rt, ctxt, rt.syms.async_preempt, newpc)
    mp = M(rt.mem, gp.m)
    mp.preemptGen = (mp.preemptGen + 1) & 0xFFFFFFFF
    mp.signalPending = 0


def _asyncPreempt2_done(rt: Runtime, mp: M, frame: Frame) -> None:
    """After the mcall: the goroutine runs again, back into asyncPreempt's register restore."""
    rt.curg(mp).asyncSafePoint = False


@gate("runtime.asyncPreempt2", resume=_asyncPreempt2_done)
def asyncPreempt2(rt: Runtime, mp: M, frame: Frame) -> Gobuf:
    gp = rt.save_resume(mp, frame, "runtime.asyncPreempt2")  # mcall: g.sched resumes after it
    gp.asyncSafePoint = True
    if gp.preemptStop:
        return preemptPark(rt, mp, gp)
    return gopreempt_m(rt, mp, gp, "async")


def gopreempt_m(rt: Runtime, mp: M, gp: G, kind: str) -> Gobuf:
    """goschedImpl for a preempted G: to the tail of the global run queue. (kind, "async" or
    "sync", is goemu's, for the trace: Go's traceGoPreempt does not tell them apart.)"""
    if rt.trace:
        rt.trace.GoPreempt(mp, P(rt.mem, mp.p), gp, kind)
    if gp.atomicstatus & ~const._Gscan != const._Grunning:
        raise Throw("bad g status")
    return rt.goschedImpl(mp, gp)


def preemptPark(rt: Runtime, mp: M, gp: G) -> Gobuf:
    """Park gp in _Gpreempted (suspendG asked, g.preemptStop) until resumed with ready."""
    if gp.atomicstatus & ~const._Gscan != const._Grunning:
        raise Throw("bad g status")
    gp.waitreason = WAIT_REASON_PREEMPTED
    if gp.asyncSafePoint:
        fn = rt.syms.functab.findfunc(gp.sched.pc)
        if fn is None:
            raise Throw("preempt at unknown pc")
    gp.atomicstatus = const._Gpreempted
    rt.dropg(mp)
    return rt.schedule(mp)
