"""Semaphore wait queues (sema.go's semaRoot): FIFO per address, several addresses per root."""

from runtime.chan import acquire_sudog
from runtime.layout import G
from runtime.malloc import Arena
from runtime.memory import BytesMemory
from runtime.proc import Runtime, Symbols
from runtime.sema import _dequeue, _queue, cansemacquire, semroot

BASE = 0x100000


def make_rt():
    mem = BytesMemory(BASE, 8 << 20)
    return Runtime(mem, Arena(BASE, 8 << 20), Symbols(goexit=0, main_pc=0), g0_stack_base=0)


def test_waiters_of_one_address_wake_in_fifo_order_across_addresses():
    rt = make_rt()
    a = rt.arena.alloc(8, 8)
    b = a + 251 * 8  # (addr>>3) % 251 is the same: both addresses share one semaRoot
    root = semroot(rt, a)
    assert semroot(rt, b) == root
    order = [(a, 1), (b, 2), (a, 3), (b, 4), (a, 5)]
    for addr, n in order:
        g = rt.new(G)
        g.goid = n
        _queue(rt, root, addr, acquire_sudog(rt), g)

    def woken(addr, n=99):
        out = []
        while len(out) < n and (s := _dequeue(rt, root, addr)) is not None:
            out.append(G(rt.mem, s.g).goid)
        return out

    assert woken(a, 1) == [1]
    assert woken(b) == [2, 4]
    assert woken(a) == [3, 5]
    assert root.treap == 0


def test_cansemacquire_decrements_only_a_positive_count():
    rt = make_rt()
    a = rt.arena.alloc(8, 8)
    assert not cansemacquire(rt, a)
    rt.mem.write(a, (2).to_bytes(4, "little"))
    assert cansemacquire(rt, a) and cansemacquire(rt, a) and not cansemacquire(rt, a)
