"""The emulated address space: host buffers mapped into every CPU, read by Python as memoryviews.

Each region is one anonymous host mapping (MAP_NORESERVE, so a large arena costs only the pages
written). Every M's Unicorn maps the same buffers with mem_map_ptr, so all CPUs share memory,
and the Python runtime reads and writes the same bytes through memoryviews without a single
mem_read/mem_write call (runtime.memory.Memory is the interface it sees).
"""

from __future__ import annotations

import bisect
import ctypes
import mmap
from dataclasses import dataclass, field

from runtime.memory import MemoryAccess, MemoryFault

PAGE = 0x1000

# The layout of DESIGN.md, in the spirit of a linux/amd64 Go process.
GATE_BASE = 0x300000  # the gate page: addresses of Python-implemented runtime functions
TEXT_BASE = 0x400000  # the linked image (its text starts at 0x401000, as in a Go binary)
ARENA_BASE = 0xC000000000  # heap arena: G structs, stacks, channels, mallocgc
G0_STACKS_BASE = 0x7F0000000000  # per-M g0 stacks
TLS_BASE = 0x7FFF00000000  # per-M TLS blocks: g at FS:-8


@dataclass
class Region:
    name: str
    base: int
    size: int
    perms: str  # "rwx" subset, for Unicorn's protection bits
    buf: mmap.mmap = field(repr=False)
    view: memoryview = field(repr=False)
    end: int = field(init=False)

    def __post_init__(self) -> None:
        self.end = self.base + self.size

    def host_address(self) -> int:
        """The host address of the buffer, for Unicorn's mem_map_ptr."""
        return ctypes.addressof(ctypes.c_char.from_buffer(self.buf))


class AddressSpace(MemoryAccess):
    """The regions of the guest, shared by all CPUs; implements runtime.memory.Memory."""

    def __init__(self) -> None:
        self.regions: list[Region] = []
        self._starts: list[int] = []
        self.views: dict = {}  # the lasting structs' views (runtime.memory.Memory)
        self._last: Region | None = None  # the region the last locate found
        self._before: Region | None = None  # and the one before it

    def map(self, name: str, base: int, size: int, perms: str = "rw") -> Region:
        if base % PAGE or size <= 0:
            raise ValueError(f"region {name}: base {base:#x} and size {size:#x} must be page-aligned")
        size = (size + PAGE - 1) // PAGE * PAGE
        for r in self.regions:
            if base < r.end and r.base < base + size:
                raise ValueError(f"region {name} [{base:#x}, {base + size:#x}) overlaps {r.name}")
        flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0)
        buf = mmap.mmap(-1, size, flags=flags, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        region = Region(name, base, size, perms, buf, memoryview(buf))
        i = bisect.bisect(self._starts, base)
        self.regions.insert(i, region)
        self._starts.insert(i, base)
        return region

    def region_at(self, addr: int) -> Region | None:
        i = bisect.bisect(self._starts, addr) - 1
        if i >= 0 and addr < self.regions[i].end:
            return self.regions[i]
        return None

    def locate(self, addr: int, size: int) -> tuple[memoryview, int]:
        """A writable view of the region holding [addr, addr+size) and addr's offset in it."""
        # Accesses go mostly to one or two regions in turn (the arena, and TLS or a g0 stack).
        r = self._last
        if r is not None and r.base <= addr and addr + size <= r.end:
            return r.view, addr - r.base
        r = self._before
        if r is not None and r.base <= addr and addr + size <= r.end:
            self._last, self._before = r, self._last
            return r.view, addr - r.base
        r = self.region_at(addr)
        if r is None or addr + size > r.end:
            raise MemoryFault(addr, size)
        self._last, self._before = r, self._last
        return r.view, addr - r.base

    def close(self) -> None:
        """Unmap what nothing references any more; buffers still seen through runtime views (or a
        CPU) are left to the garbage collector, which unmaps them once the last view goes."""
        self.views.clear()
        self._last = self._before = None
        for r in self.regions:
            try:
                r.view.release()
                r.buf.close()
            except BufferError:
                pass
        self.regions.clear()
        self._starts.clear()
