"""The function table the runtime consults (Go's symtab.go): findfunc, funcMaxSPDelta, and the
pcdata goemu keeps for asynchronous preemption (where it is unsafe).

The emulator builds it from the linked image (emu/functab.py); the runtime sees only these records,
never the assembler's objects.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Func:
    """One function of the image (Go's funcInfo, reduced to what the runtime asks of it)."""

    name: str
    entry: int
    end: int
    max_sp_delta: int  # funcMaxSPDelta
    program: bool  # the program's own text, not the runtime's (stubs, gates)
    # PC ranges [lo, hi) where an asynchronous preemption must not happen: the prologue up to the
    # instruction after the frame is set up, and cmd/asm's _PCDATA_UnsafePointUnsafe regions (the
    # stack check's branch and the morestack call).
    unsafe: tuple[tuple[int, int], ...] = ()

    def unsafe_at(self, pc: int) -> bool:
        return any(lo <= pc < hi for lo, hi in self.unsafe)


@dataclass
class Functab:
    funcs: list[Func]  # sorted by entry
    _entries: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.funcs.sort(key=lambda f: f.entry)
        self._entries = [f.entry for f in self.funcs]

    def findfunc(self, pc: int) -> Func | None:
        i = bisect.bisect_right(self._entries, pc) - 1
        if i >= 0 and pc < self.funcs[i].end:
            return self.funcs[i]
        return None

    def byname(self, name: str) -> Func | None:
        return next((f for f in self.funcs if f.name == name), None)
