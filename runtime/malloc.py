"""Memory for the runtime's objects in the heap arena: Gs, Ms, Ps, stacks (no GC: nothing is freed
back to the arena; freed Gs and their stacks are reused through the free lists, as in Go)."""

from __future__ import annotations

from dataclasses import dataclass


class OutOfMemory(Exception):
    """The arena is exhausted: the runtime reports `fatal error: out of memory`."""


@dataclass
class Arena:
    """A bump allocator over [base, base+size): fresh guest memory is zero (anonymous mappings)."""

    base: int
    size: int
    next: int = 0

    def __post_init__(self) -> None:
        self.next = self.base

    def alloc(self, size: int, align: int = 8) -> int:
        addr = (self.next + align - 1) & -align
        if addr + size > self.base + self.size:
            raise OutOfMemory(f"arena of {self.size} bytes exhausted allocating {size}")
        self.next = addr + size
        return addr

    @property
    def used(self) -> int:
        return self.next - self.base
