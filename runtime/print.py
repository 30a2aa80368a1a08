"""The runtime's print functions (print.go): what println in Go compiles to, to standard error.

Each is a gate taking its ABI0 argument at 8(SP). printlock/printunlock count m.printlock as Go
does; output goes through the runtime's write, so it interleaves with write(2) in program order.
"""

from __future__ import annotations

from .gates import Frame, gate
from .layout import M
from .memory import MemoryFault, read
from .proc import Runtime

STDERR = 2


def _out(rt: Runtime, text: str) -> None:
    rt.write(STDERR, text.encode())


@gate("runtime.printlock")
def printlock(rt: Runtime, mp: M, frame: Frame) -> None:
    """The first printlock of an M takes debuglock: one println's pieces stay together."""
    if mp.printlock == 0:
        rt.lock(mp, rt.debuglock)  # may sleep; the call is then made again
    mp.printlock += 1


@gate("runtime.printunlock")
def printunlock(rt: Runtime, mp: M, frame: Frame) -> None:
    mp.printlock -= 1
    if mp.printlock == 0:
        rt.unlock(rt.debuglock)


@gate("runtime.printint", args=8)
def printint(rt: Runtime, mp: M, frame: Frame) -> None:
    _out(rt, str(frame.i64(0)))


@gate("runtime.printuint", args=8)
def printuint(rt: Runtime, mp: M, frame: Frame) -> None:
    _out(rt, str(frame.u64(0)))


@gate("runtime.printhex", args=8)
def printhex(rt: Runtime, mp: M, frame: Frame) -> None:
    _out(rt, f"{frame.u64(0):#x}")


@gate("runtime.printpointer", args=8)
def printpointer(rt: Runtime, mp: M, frame: Frame) -> None:
    _out(rt, f"{frame.u64(0):#x}")


@gate("runtime.printbool", args=1)
def printbool(rt: Runtime, mp: M, frame: Frame) -> None:
    _out(rt, "true" if frame.u64(0) & 0xFF else "false")


@gate("runtime.printstring", args=16)
def printstring(rt: Runtime, mp: M, frame: Frame) -> None:
    rt.write(STDERR, read(rt.mem, frame.u64(0), frame.u64(8)))


@gate("runtime.printnl")
def printnl(rt: Runtime, mp: M, frame: Frame) -> None:
    _out(rt, "\n")


@gate("runtime.printsp")
def printsp(rt: Runtime, mp: M, frame: Frame) -> None:
    _out(rt, " ")


EBADF, EFAULT = 9, 14


WRITE_CHUNK = 1 << 20  # bytes of guest memory copied at a time by a write


def write1(rt: Runtime, fd: int, p: int, n: int) -> int:
    """The write system call, to the program's standard output and error only (the guest never
    touches files): n, or -errno. Both runtime·write and SYSCALL write come here."""
    if fd not in (1, 2):
        return -EBADF
    for off in range(0, n, WRITE_CHUNK):  # a write of gigabytes costs no more host memory than this
        try:
            data = read(rt.mem, p + off, min(WRITE_CHUNK, n - off))
        except MemoryFault:
            return off or -EFAULT  # what was written before the bad page, as Linux counts it
        if (err := rt.write(fd, data)) < 0:
            return off or err
    return n


@gate("runtime.write", args=28)
def write(rt: Runtime, mp: M, frame: Frame) -> None:
    """write(fd uintptr, p unsafe.Pointer, n int32) int32."""
    n = write1(rt, frame.u64(0), frame.u64(8), frame.u64(16) & 0xFFFFFFFF)
    frame.set_u64(24, n & 0xFFFFFFFF)
