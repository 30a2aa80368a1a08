"""The Linux system calls a program may make with SYSCALL (DESIGN.md's subset), on the emulated
machine: output goes to the program's streams, time is the runtime's clock, sleeping stops the
calling M's CPU. Any other number returns -ENOSYS, as an old kernel would.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from runtime.layout import M
from runtime.memory import MemoryFault
from runtime.print import write1
from runtime.proc import Park

if TYPE_CHECKING:
    from .run import Process

SYS_WRITE, SYS_NANOSLEEP, SYS_SCHED_YIELD, SYS_GETPID, SYS_CLOCK_GETTIME, SYS_EXIT_GROUP = 1, 35, 24, 39, 228, 231
EFAULT, EINVAL, ENOSYS = 14, 22, 38
CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1
PID = 1  # the only process on the emulated machine
NSEC = 1_000_000_000


def dispatch(proc: Process, mp: M, nr: int, args: list[int]) -> int | None:
    """The result for RAX, or None when the CPU must stop (exit_group, or a sleep)."""
    if nr == SYS_WRITE:
        return write1(proc.runtime, *args)
    if nr == SYS_EXIT_GROUP:
        proc.status = args[0] & 0xFF
        return None
    if nr == SYS_NANOSLEEP:
        return sys_nanosleep(proc, mp, args[0])
    if nr == SYS_GETPID:
        return PID
    if nr == SYS_SCHED_YIELD:
        return 0  # the thread keeps its CPU: nothing else is waiting for it
    if nr == SYS_CLOCK_GETTIME:
        return sys_clock_gettime(proc, args[0], args[1])
    return -ENOSYS


def _timespec(proc: Process, addr: int) -> int | None:
    try:
        sec, nsec = struct.unpack("<qq", proc.machine.space.read(addr, 16))
    except MemoryFault:
        return None
    if sec < 0 or not 0 <= nsec < NSEC:
        return -1
    return sec * NSEC + nsec


def sys_nanosleep(proc: Process, mp: M, req: int) -> int | None:
    """nanosleep(req, rem): the thread (and the P it holds) sleeps until the clock passes req."""
    ns = _timespec(proc, req)
    if ns is None:
        return -EFAULT
    if ns < 0:
        return -EINVAL
    rt = proc.runtime
    rt.sleep(mp, Park(lambda: None, until=rt.nanotime() + ns))
    return None


def sys_clock_gettime(proc: Process, clock: int, tp: int) -> int:
    """Both clocks read the runtime's clock (deterministic: the wall clock starts at the Go
    playground's 2009-11-10 23:00 UTC, like the monotonic one)."""
    if clock not in (CLOCK_REALTIME, CLOCK_MONOTONIC):
        return -EINVAL
    now = proc.runtime.nanotime()
    try:
        proc.machine.space.write(tp, struct.pack("<qq", now // NSEC, now % NSEC))
    except MemoryFault:
        return -EFAULT
    return 0
