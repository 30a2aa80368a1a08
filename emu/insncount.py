"""Exact instruction counts per CPU, for `goemu run --trace` and `--stats`.

Unicorn does not say how many instructions ran when a slice stops early (at a runtime call), so a
block hook adds each translation block's instruction count as the block starts. Two corrections
make the count exact at the end of every piece of a slice: a piece that ran its whole count ran
exactly that many; a piece stopped at a gate stopped before the gate's jump, which its block (one
instruction) had already counted. Within a piece, the count includes the block under way.
The hook costs a Python call per block, which is why plain runs do without it.
"""

from __future__ import annotations

from collections.abc import Callable

import capstone

from .machine import CPU
from .memory import GATE_BASE


class InsnCounter:
    def __init__(self, gate_end: int) -> None:
        self.total: list[int] = []  # instructions each CPU ran since boot
        self.base: list[int] = []  # totals when the current round began
        self.sizes: dict[int, int] = {}  # block address -> instructions in it
        self._cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        self.gate_end = gate_end  # the end of the gate page: a piece stopped below it stopped at a gate

    def hook(self, cpu: CPU) -> Callable:
        """The block hook for a new CPU (index = its position in total)."""
        self.total.append(0)
        self.base.append(0)
        total, sizes, i = self.total, self.sizes, cpu.index

        def on_block(uc, address, size, _data):  # type: ignore[no-untyped-def]
            n = sizes.get(address)
            if n is None:
                n = sizes[address] = sum(1 for _ in self._cs.disasm_lite(bytes(uc.mem_read(address, size)), address))
            total[i] += n

        return on_block

    def start_round(self) -> None:
        self.base[:] = self.total

    def in_round(self, cpu: int) -> int:
        """Instructions the CPU ran since the round began."""
        return self.total[cpu] - self.base[cpu]

    def longest(self) -> int:
        """Instructions of the CPU that ran most in this round."""
        return max((t - b for t, b in zip(self.total, self.base, strict=True)), default=0)

    def piece_done(self, cpu: int, before: int, count: int, whole: bool, pc: int) -> None:
        """A piece of `count` instructions began at total `before`; correct the block count."""
        if whole:
            self.total[cpu] = before + count
        elif GATE_BASE <= pc < self.gate_end and self.total[cpu] > before:
            self.total[cpu] -= 1
