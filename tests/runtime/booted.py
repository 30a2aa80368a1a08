"""A Runtime over a plain bytearray memory (no CPU), booted by rt0_go: m0, its g0, the Ps, and
the main goroutine ready to run; the scheduler tests build on it."""

from runtime.malloc import Arena
from runtime.memory import BytesMemory
from runtime.proc import G0_STACK_SIZE, Runtime, Symbols

BASE = 0x100000
SIZE = 64 << 20
GOEXIT, MAIN_FN = 0x401000, 0x401100  # fake code addresses: nothing executes them


def booted_runtime(gomaxprocs: int = 1, newosproc=None) -> Runtime:
    """rt0_go done; r.m0 is m0. The main goroutine's funcval is at BASE."""
    mem = BytesMemory(BASE, SIZE)
    mem.write(BASE, MAIN_FN.to_bytes(8, "little"))
    arena = Arena(BASE + 0x1000, SIZE - 0x1000 - G0_STACK_SIZE)
    r = Runtime(mem, arena, Symbols(goexit=GOEXIT, main_pc=BASE), BASE + SIZE - G0_STACK_SIZE, gomaxprocs=gomaxprocs)
    if newosproc is not None:
        r.newosproc = newosproc
    r.m0 = r.rt0_go()
    return r
