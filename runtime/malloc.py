"""Memory for the runtime's objects in the heap arena: Gs, Ms, Ps, stacks (no GC: nothing is freed
back to the arena; freed Gs and their stacks are reused through the free lists, as in Go)."""

from __future__ import annotations

from dataclasses import dataclass, field


class OutOfMemory(Exception):
    """An allocation does not fit: the runtime reports `fatal error: out of memory`."""

    def __init__(self, size: int, in_use: int) -> None:
        super().__init__(f"cannot allocate {size}-byte block ({in_use} in use)")
        self.size = size
        self.in_use = in_use


@dataclass
class Budget:
    """What the arenas may hand out together (goemu run --max-memory; 0: as much as they hold)."""

    limit: int = 0
    used: int = 0


@dataclass
class Arena:
    """A bump allocator over [base, base+size): fresh guest memory is zero (anonymous mappings)."""

    base: int
    size: int
    next: int = 0
    budget: Budget = field(default_factory=Budget)  # shared by the heap and the stack arenas

    def __post_init__(self) -> None:
        self.next = self.base

    def alloc(self, size: int, align: int = 8) -> int:
        addr = (self.next + align - 1) & -align
        grow = addr + size - self.next
        budget = self.budget
        if addr + size > self.base + self.size or (budget.limit and budget.used + grow > budget.limit):
            raise OutOfMemory(size, budget.used)
        budget.used += grow
        self.next = addr + size
        return addr

    @property
    def used(self) -> int:
        return self.next - self.base
