"""sysmon, after Go 1.19's proc.go: the monitor that runs without a P, preempts Gs that ran too
long and retakes Ps from Ms blocked in system calls.

goemu's sysmon has no M or CPU of its own: the emulator runs one iteration of its loop (tick)
whenever the clock reaches its wake time, between slices. It sleeps 20 us, doubling after 1 ms
without work up to 10 ms (or the --timeslice, if shorter, so that sysmon looks at least once per
timeslice); while every P is idle it sleeps until the next timer or until a system call wakes
it (sched.sysmonwait), as Go's does on sched.sysmonnote (Go wakes it at least every 60 s for
the forced GC, which goemu does not have).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import preempt, time
from .layout import const
from .schedtrace import schedtrace

if TYPE_CHECKING:
    from .proc import Runtime

US = 1000
FORCE_PREEMPT_NS = 10_000_000  # forcePreemptNS: a G runs this long before sysmon preempts it
MAX_DELAY_US = 10_000


@dataclass
class Sysmon:
    """sysmon's loop variables."""

    wake: int = 0  # when the next iteration runs (0: sysmon not started)
    idle: int = 0  # how many cycles in succession we had not woken somebody
    delay: int = 0  # microseconds
    lasttrace: int = 0
    starttime: int = 0  # schedtrace's origin: the clock at its first line (a global in Go)
    ticks: int = 0  # iterations run (for tests and statistics)


def start(rt: Runtime) -> None:
    """newm(sysmon, nil, -1): the loop's first usleep(20) starts now."""
    _sleep(rt, rt.nanotime())


def _sleep(rt: Runtime, now: int) -> None:
    """The top of sysmon's loop: choose the delay, then usleep(delay)."""
    s = rt.sysmon
    if s.idle == 0:  # start with 20us sleep...
        s.delay = 20
    elif s.idle > 50:  # start doubling the sleep after 1ms...
        s.delay *= 2
    s.delay = min(s.delay, MAX_DELAY_US, max(1, rt.forcePreemptNS // US))
    s.wake = now + s.delay * US


def tick(rt: Runtime) -> None:
    """One iteration of sysmon's loop, after its sleep."""
    s = rt.sysmon
    s.ticks += 1
    now = rt.nanotime()
    sched = rt.sched
    if rt.debug.schedtrace <= 0 and (sched.gcwaiting or sched.npidle == rt.gomaxprocs):
        next_timer = time.timeSleepUntil(rt)
        if next_timer > now:
            sched.sysmonwait = 1
            # Go caps this sleep at forcegcperiod/2, to start a forced GC; goemu has no GC, and
            # its deterministic clock may jump years ahead (a long time.Sleep) in one step.
            s.wake = next_timer
            return
    lastpoll = sched.lastpoll
    if rt.netpoll_inited and lastpoll and lastpoll + 10_000_000 < now:
        sched.lastpoll = now  # netpoll(0): no network, nothing to inject
    if retake(rt, now):
        s.idle = 0
    else:
        s.idle += 1
    if rt.debug.schedtrace > 0 and s.lasttrace + rt.debug.schedtrace * 1_000_000 <= now:
        s.lasttrace = now
        schedtrace(rt, rt.debug.scheddetail > 0)
    _sleep(rt, now)


def wake_deep_sleep(rt: Runtime) -> None:
    """notewakeup(&sched.sysmonnote) for a sysmon sleeping with every P idle."""
    if rt.sched.sysmonwait:
        rt.sched.sysmonwait = 0
        rt.sysmon.idle = 0  # syscallWake: back to 20 us sleeps
        _sleep(rt, rt.nanotime())


def retake(rt: Runtime, now: int) -> int:
    """Preempt Gs running longer than forcePreemptNS; retake Ps blocked in system calls. Returns
    how many Ps it took from system calls."""
    n = 0
    for pp in rt.allp:
        pd = pp.sysmontick
        s = pp.status
        sysretake = False
        if s in (const._Prunning, const._Psyscall):
            t = pp.schedtick
            if pd.schedtick != t:
                pd.schedtick = t
                pd.schedwhen = now
            elif pd.schedwhen + rt.forcePreemptNS <= now:
                preempt.preemptone(rt, pp)
                sysretake = True  # preemptone cannot stop a G in a syscall: take its P instead
        if s == const._Psyscall:
            # Retake the P from the syscall if it has been there for more than one sysmon tick.
            t = pp.syscalltick
            if not sysretake and pd.syscalltick != t:
                pd.syscalltick = t
                pd.syscallwhen = now
                continue
            # Only if there is other work to do, or it has been 10ms.
            if (
                rt.runqempty(pp)
                and rt.sched.nmspinning + rt.sched.npidle > 0
                and pd.syscallwhen + 10_000_000 > now
            ):
                continue
            rt.incidlelocked(-1)
            if rt.trace:
                syscaller = next(m for m in rt.allm if m.oldp == pp.addr)
                rt.trace.GoSysBlock(pp, rt.curg(syscaller))
                rt.trace.ProcStop(None, pp)
            pp.status = const._Pidle
            n += 1
            pp.syscalltick += 1
            rt.handoffp(pp)
            rt.incidlelocked(1)
    return n
