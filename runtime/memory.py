"""The memory interface the runtime model works through, and a bytearray implementation for tests.

The runtime never owns guest memory: the emulator maps host buffers into the CPU's address space
and hands the runtime memoryviews of those very buffers, so a struct the runtime writes is the
struct the emulated code reads, with no copy in between. `Memory` is the whole contract; the
runtime must not assume more (in particular nothing of unicorn, which runtime/ never imports).
"""

from __future__ import annotations

import struct as _struct
from typing import Protocol


class MemoryFault(Exception):
    """An access to guest memory that is not mapped (in one piece): the emulator's SIGSEGV."""

    def __init__(self, addr: int, size: int) -> None:
        super().__init__(f"unmapped guest memory: {size} bytes at {addr:#x}")
        self.addr = addr
        self.size = size


class Memory(Protocol):
    """Guest memory as the runtime sees it: host buffers, found by guest address.

    locate(addr, size) returns (buf, off): a writable, C-contiguous, one-dimensional memoryview of
    bytes and the offset of `addr` in it, such that buf[off:off + size] is guest memory
    [addr, addr + size). It raises MemoryFault when that range is not mapped in one buffer.
    Invariant the views rely on: a buffer stays at its guest address for as long as the mapping
    lives, so a view may keep the memoryview it was given instead of locating again per access.
    A Memory may also have `views`, a dict in which runtime.layout keeps the views of the structs
    that last (g, m, p) by (view class, address), so that each is made once; whoever unmaps the
    memory clears it first.
    """

    def locate(self, addr: int, size: int) -> tuple[memoryview, int]: ...


def read(mem: Memory, addr: int, size: int) -> bytes:
    """A copy of guest bytes [addr, addr + size) (nothing to locate for size 0)."""
    if size == 0:
        return b""
    buf, off = mem.locate(addr, size)
    return bytes(buf[off : off + size])


def write(mem: Memory, addr: int, data: bytes) -> None:
    """Store `data` at guest address `addr`."""
    if data:
        buf, off = mem.locate(addr, len(data))
        buf[off : off + len(data)] = data


# size -> (unpack_from, pack_into, mask) of the unsigned little-endian integers loads and stores use.
_WORDS = {
    n: (_struct.Struct(f"<{c}").unpack_from, _struct.Struct(f"<{c}").pack_into, (1 << 8 * n) - 1)
    for n, c in ((1, "B"), (2, "H"), (4, "I"), (8, "Q"))
}


def load(mem: Memory, addr: int, size: int, signed: bool = False) -> int:
    """A little-endian integer of `size` bytes at addr."""
    buf, off = mem.locate(addr, size)
    if signed or size not in _WORDS:
        return int.from_bytes(buf[off : off + size], "little", signed=signed)
    return _WORDS[size][0](buf, off)[0]


def store(mem: Memory, addr: int, size: int, value: int) -> None:
    """Store value as a little-endian integer of `size` bytes, wrapping as Go's integers do."""
    buf, off = mem.locate(addr, size)
    codec = _WORDS.get(size)
    if codec is None:
        buf[off : off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    else:
        codec[1](buf, off, value & codec[2])


class MemoryAccess:
    """read/write/load/store as methods, for any class that provides locate."""

    def locate(self, addr: int, size: int) -> tuple[memoryview, int]:
        raise NotImplementedError

    def read(self, addr: int, size: int) -> bytes:
        return read(self, addr, size)

    def write(self, addr: int, data: bytes) -> None:
        write(self, addr, data)

    def load(self, addr: int, size: int, signed: bool = False) -> int:
        return load(self, addr, size, signed)

    def store(self, addr: int, size: int, value: int) -> None:
        store(self, addr, size, value)


class BytesMemory(MemoryAccess):
    """One flat region [base, base + size) of zeroed guest memory in a bytearray (tests, tools)."""

    def __init__(self, base: int, size: int) -> None:
        self.base = base
        self.size = size
        self.data = bytearray(size)
        self._view = memoryview(self.data)
        self.views: dict = {}

    def locate(self, addr: int, size: int) -> tuple[memoryview, int]:
        off = addr - self.base
        if off < 0 or size < 0 or off + size > self.size:
            raise MemoryFault(addr, size)
        return self._view, off
