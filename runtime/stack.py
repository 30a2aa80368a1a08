"""Goroutine stacks, after Go 1.19's runtime/stack.go: stackalloc/stackfree, newstack (entered
from morestack on g0 when a prologue's check fails: grow the stack, or yield if the check failed
because stackguard0 is stackPreempt) and copystack.

goemu has no stack maps: copystack treats every word of the used stack that holds an address
inside the old stack as a pointer and moves it (the frame-pointer chain, saved gobufs, pointers
to locals), where Go adjusts exactly the pointers its stack maps name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import preempt
from .errors import Throw
from .gates import Frame, gate
from .layout import G, M, P, Sudog, const
from .memory import load, read, store, write

if TYPE_CHECKING:
    from .layout import Gobuf
    from .proc import Runtime

PTR = 8
MAX_STACK = 1_000_000_000  # maxstacksize on 64-bit, as runtime.main sets it (--max-stack lowers it)
MAX_STACK_CEILING = 2 * MAX_STACK  # maxstackceiling
STACK_MIN = const._StackMin  # a new goroutine's stack


def stackalloc(rt: Runtime, size: int) -> int:
    """A stack of `size` bytes (a power of two) aligned to its size: a freed one of that size if
    there is one (last freed first, like the stack caches), else fresh memory from the stack half
    of the arena."""
    free = rt.stackpool.get(size)
    if free:
        return free.pop()
    return rt.stacks.alloc(size, size)


def stackfree(rt: Runtime, lo: int, size: int) -> None:
    rt.stackpool.setdefault(size, []).append(lo)


@gate("runtime.newstack")
def newstack(rt: Runtime, mp: M, frame: Frame) -> Gobuf:
    """Called by morestack on g0 for m.curg, whose g.sched morestack filled in (the function
    whose prologue failed, stopped at its morestack call) and m.morebuf (its caller)."""
    morebuf_g = G(rt.mem, mp.morebuf.g)
    if morebuf_g.stackguard0 == const.stackFork:
        raise Throw("stack growth after fork")
    if morebuf_g.addr != mp.curg:
        rt.write(
            2,
            f"runtime: newstack called from g={morebuf_g.addr:#x}\n\tm={mp.addr:#x} m->curg={mp.curg:#x} "
            f"m->g0={mp.g0:#x} m->gsignal={mp.gsignal:#x}\n".encode(),
        )
        raise Throw("runtime: wrong goroutine in newstack")
    gp = rt.curg(mp)
    morebuf = mp.morebuf
    mb = (morebuf.pc, morebuf.sp, morebuf.lr)
    if gp.throwsplit:
        gp.syscallsp, gp.syscallpc = morebuf.sp, morebuf.pc
        fn = rt.syms.functab.findfunc(gp.sched.pc)
        name, off = (fn.name, gp.sched.pc - fn.entry) if fn else ("(unknown)", 0)
        rt.write(2, f"runtime: newstack at {name}+{off:#x} sp={gp.sched.sp:#x} {_stack(gp)}\n{_bufs(gp, mb)}".encode())
        raise Throw("runtime: stack split at bad time", g=gp.addr)
    morebuf.pc = morebuf.lr = morebuf.sp = morebuf.g = 0

    stackguard0 = gp.stackguard0
    preempting = stackguard0 == const.stackPreempt
    if preempting and not preempt.canPreemptM(rt, mp):
        # Let the goroutine keep running for now; gp.preempt is set, so it will be preempted
        # next time.
        gp.stackguard0 = gp.stack.lo + const._StackGuard
        return gp.sched
    if gp.stack.lo == 0:
        raise Throw("missing stack in newstack")
    sp = gp.sched.sp - PTR  # the return address morestack's caller pushed
    if sp < gp.stack.lo:
        rt.write(2, f"runtime: newstack sp={sp:#x} {_stack(gp)}\n{_bufs(gp, mb)}".encode())
        rt.write(2, f"runtime: gp={gp.addr:#x}, goid={gp.goid}, gp->status={gp.atomicstatus:#x}\n ".encode())
        rt.write(2, f"runtime: split stack overflow: {sp:#x} < {gp.stack.lo:#x}\n".encode())
        raise Throw("runtime: split stack overflow")

    if preempting:
        if gp.addr == mp.g0:
            raise Throw("runtime: preempt g0")
        if mp.p == 0 and mp.locks == 0:
            raise Throw("runtime: g is running but p is not")
        gp.preemptShrink = False  # shrinkstack: goemu has no GC, so stacks never shrink
        if gp.preemptStop:
            return preempt.preemptPark(rt, mp, gp)
        return preempt.gopreempt_m(rt, mp, gp, "sync")  # act like the goroutine called Gosched

    oldsize = gp.stack.hi - gp.stack.lo
    newsize = oldsize * 2
    fn = rt.syms.functab.findfunc(gp.sched.pc)
    if fn is not None:
        # Make sure we grow at least as much as needed to fit the new frame.
        needed = fn.max_sp_delta + const._StackGuard
        used = gp.stack.hi - gp.sched.sp
        while newsize - used < needed:
            newsize *= 2
    if stackguard0 == const.stackForceMove:
        newsize = oldsize
    if newsize > rt.maxstacksize or newsize > MAX_STACK_CEILING:
        limit = rt.maxstacksize if rt.maxstacksize < MAX_STACK_CEILING else MAX_STACK_CEILING
        rt.write(2, f"runtime: goroutine stack exceeds {limit}-byte limit\n".encode())
        rt.write(2, f"runtime: sp={sp:#x} {_stack(gp)}\n".encode())
        raise Throw("stack overflow", g=gp.addr)

    gp.atomicstatus = const._Gcopystack  # concurrent GC will not scan the stack while we copy it
    copystack(rt, gp, newsize)
    if rt.trace:  # goemu's: Go does not trace stack growth
        rt.trace.StackGrow(mp, P(rt.mem, mp.p) if mp.p else None, gp, oldsize, newsize)
    gp.atomicstatus = const._Grunning
    return gp.sched


def _stack(gp: G) -> str:
    return f"stack=[{gp.stack.lo:#x}, {gp.stack.hi:#x}]"


def _bufs(gp: G, morebuf: tuple[int, int, int]) -> str:
    """newstack's morebuf= and sched= lines; morebuf as (pc, sp, lr), read before it is cleared."""
    (pc, sp, lr), s = morebuf, gp.sched
    return (
        f"\tmorebuf={{pc:{pc:#x} sp:{sp:#x} lr:{lr:#x}}}\n"
        f"\tsched={{pc:{s.pc:#x} sp:{s.sp:#x} lr:{s.lr:#x} ctxt:{s.ctxt:#x}}}\n"
    )


def copystack(rt: Runtime, gp: G, newsize: int) -> None:
    """Copy gp's used stack to a new one of newsize bytes, move the pointers into it, free the
    old one."""
    if gp.syscallsp:
        raise Throw("stack growth not allowed in system call")
    old_lo, old_hi = gp.stack.lo, gp.stack.hi
    if old_lo == 0:
        raise Throw("nil stackbase")
    used = old_hi - gp.sched.sp
    new_lo = stackalloc(rt, newsize)
    new_hi = new_lo + newsize
    delta = new_hi - old_hi

    def adjustpointer(addr: int) -> None:
        p = load(rt.mem, addr, PTR)
        if old_lo <= p < old_hi:
            store(rt.mem, addr, PTR, p + delta)

    s = gp.waiting
    while s:  # adjustsudogs: a blocked G's elem pointers may point into its stack
        adjustpointer(Sudog(rt.mem, s).addr_of("elem"))
        s = Sudog(rt.mem, s).waitlink
    write(rt.mem, new_hi - used, read(rt.mem, old_hi - used, used))
    adjustpointer(gp.sched.addr_of("ctxt"))  # adjustctxt
    adjustpointer(gp.sched.addr_of("bp"))
    gp.stack.lo, gp.stack.hi = new_lo, new_hi
    gp.stackguard0 = new_lo + const._StackGuard  # NOTE: might clobber a preempt request
    gp.sched.sp = new_hi - used
    gp.stktopsp += delta
    adjustpointers(rt, new_hi - used, new_hi, old_lo, old_hi, delta)
    stackfree(rt, old_lo, old_hi - old_lo)


def adjustpointers(rt: Runtime, lo: int, hi: int, old_lo: int, old_hi: int, delta: int) -> None:
    """Add delta to every aligned word of [lo, hi) that lies in [old_lo, old_hi). A stack is
    aligned to its power-of-two size, so all its addresses share their top bytes: only the words
    whose top bytes match are looked at."""
    data = bytearray(read(rt.mem, lo, hi - lo))
    fixed = (64 - (old_hi - old_lo - 1).bit_length()) // 8  # top bytes common to every address
    top = old_lo.to_bytes(8, "little")[8 - fixed :]
    words = memoryview(data).cast("Q")
    changed = False
    at = data.find(top)
    while at >= 0:
        start = at - (8 - fixed)
        if start % 8 == 0:
            i = start // 8
            if old_lo <= words[i] < old_hi:
                words[i] += delta
                changed = True
        at = data.find(top, at + 1)
    words.release()
    if changed:
        write(rt.mem, lo, bytes(data))


# ---- what morestack calls when it must not grow the stack --------------------------------------


@gate("runtime.badmorestackg0")
def badmorestackg0(rt: Runtime, mp: M, frame: Frame) -> None:
    """morestack on g0 (the scheduler stack cannot grow); morestack then calls abort (INT $3)."""
    rt.write(2, b"fatal: morestack on g0\n")


@gate("runtime.badmorestackgsignal")
def badmorestackgsignal(rt: Runtime, mp: M, frame: Frame) -> None:
    rt.write(2, b"fatal: morestack on gsignal\n")
