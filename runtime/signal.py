"""Signals, after Go 1.19's runtime/signal_unix.go, for the one signal goemu's runtime sends:
SIGURG (sigPreempt), from preemptM to an M. The emulator delivers a pending signal when the M's
CPU is stopped between slices, which is when a real thread's handler would interrupt it at an
instruction boundary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import preempt
from .layout import G, M

if TYPE_CHECKING:
    from .preempt import SigContext
    from .proc import Runtime

SIGURG = 23
sigPreempt = SIGURG


def sighandler(rt: Runtime, mp: M, sig: int, ctxt: SigContext, g: int) -> None:
    """The handler on mp, interrupted with g running (its curg, or g0 in the runtime). SIGURG is otherwise ignored
    (_SigNotify+_SigIgn, and no signal.Notify in goemu's programs)."""
    if sig == sigPreempt and not rt.debug.asyncpreemptoff:
        preempt.doSigPreempt(rt, G(rt.mem, g), ctxt)


def deliver(rt: Runtime, mp: M, ctxt: SigContext, g: int) -> None:
    """Run the handler for the signal pending for mp (the kernel does this as the thread
    resumes); the caller saw mp in rt.sigpending."""
    rt.sigpending.discard(mp.addr)
    sighandler(rt, mp, sigPreempt, ctxt, g)
