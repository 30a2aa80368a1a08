"""schedtrace (proc.go): the scheduler's state in the lines GODEBUG=schedtrace=X prints from
sysmon every X ms, and with scheddetail=1 every P, M and G.

goemu's sysmon has no M of its own (it runs between rounds, see sysmon.py), but Go's does, and Go
lists it: its line is written here as Go's would read while sysmon prints (no P, no G, holding
sched.sysmonlock and sched.lock: locks=2; 0 when a dying M prints). Go's m.blocked is set by notesleep; goemu's Ms sleep
through Runtime.parked, so an M parked on a note counts as blocked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .layout import G, M, P, waitReasonStrings

if TYPE_CHECKING:
    from .proc import Runtime

SYSMON_M_ID = 1  # newm(sysmon) in runtime.main: the second M


def schedtrace(rt: Runtime, detailed: bool) -> None:
    """Print the trace to standard error, as sysmon does."""
    rt.write(2, "".join(line + "\n" for line in lines(rt, detailed, by_sysmon=True)).encode())


def lines(rt: Runtime, detailed: bool, by_sysmon: bool = False) -> list[str]:
    """The trace; by_sysmon: sysmon prints it (holding sched.sysmonlock and sched.lock), else a
    dying M does and sysmon sleeps in usleep, holding nothing."""
    now = rt.nanotime()
    s = rt.sysmon
    if s.starttime == 0:
        s.starttime = now
    sched = rt.sched
    head = (
        f"SCHED {(now - s.starttime) // 1_000_000}ms: gomaxprocs={rt.gomaxprocs} idleprocs={sched.npidle}"
        f" threads={sched.mnext - sched.nmfreed} spinningthreads={sched.nmspinning}"
        f" idlethreads={sched.nmidle} runqueue={sched.runqsize}"
    )
    if not detailed:
        return [head + " [" + " ".join(str(_runqsize(pp)) for pp in rt.allp) + "]"]
    out = [head + f" gcwaiting={sched.gcwaiting} nmidlelocked={sched.nmidlelocked}"
                  f" stopwait={sched.stopwait} sysmonwait={sched.sysmonwait}"]  # fmt: skip
    for i, pp in enumerate(rt.allp):
        m = M(rt.mem, pp.m).id if pp.m else -1
        out.append(f"  P{i}: status={pp.status} schedtick={pp.schedtick} syscalltick={pp.syscalltick}"
                   f" m={m} runqsize={_runqsize(pp)} gfreecnt={pp.gFree.n} timerslen={pp.timers.len}")  # fmt: skip
    ms = [(mp.id, _m_line(rt, mp)) for mp in rt.allm]
    ms.append((SYSMON_M_ID, _m_fields(SYSMON_M_ID, -1, -1, 0, 0, "", 2 if by_sysmon else 0, 0, False, False, -1)))
    out += [line for _, line in sorted(ms, reverse=True)]  # allm: the newest M first
    for addr in rt.allgs:
        g = G(rt.mem, addr)
        m = M(rt.mem, g.m).id if g.m else -1
        lockedm = M(rt.mem, g.lockedm).id if g.lockedm else -1
        reason = waitReasonStrings[g.waitreason] if g.waitreason < len(waitReasonStrings) else "unknown wait reason"
        out.append(f"  G{g.goid}: status={g.atomicstatus}({reason}) m={m} lockedm={lockedm}")
    return out


def _runqsize(pp: P) -> int:
    return (pp.runqtail - pp.runqhead) & 0xFFFFFFFF


def _m_line(rt: Runtime, mp: M) -> str:
    p = P(rt.mem, mp.p).id if mp.p else -1
    curg = G(rt.mem, mp.curg).goid if mp.curg else -1
    lockedg = G(rt.mem, mp.lockedg).goid if mp.lockedg else -1
    park = rt.parked.get(mp.addr)
    blocked = park is not None and park.note != 0
    return _m_fields(mp.id, p, curg, mp.mallocing, mp.throwing, "", mp.locks, mp.dying, mp.spinning, blocked, lockedg)


def _m_fields(id: int, p: int, curg: int, mallocing: int, throwing: int, preemptoff: str, locks: int,
              dying: int, spinning: bool, blocked: bool, lockedg: int) -> str:  # fmt: skip
    b = {True: "true", False: "false"}
    return (f"  M{id}: p={p} curg={curg} mallocing={mallocing} throwing={throwing} preemptoff={preemptoff}"
            f" locks={locks} dying={dying} spinning={b[bool(spinning)]} blocked={b[blocked]} lockedg={lockedg}")  # fmt: skip
