"""The machine: the shared address space, the linked image in it, and one Unicorn CPU per M.

Every CPU maps the same host buffers (so a store by one M is seen by all and by Python at once),
and each has its own FS base pointing just past its M's TLS block, so that `MOVQ (TLS), R14`,
`get_tls(CX)` / `g(CX)` read and write that M's g at FS:-8 as on linux/amd64.
"""

from __future__ import annotations

from dataclasses import dataclass

from unicorn import UC_ARCH_X86, UC_MODE_64, UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE, Uc, UcError
from unicorn import x86_const as x86

from asm.link import Image

from .memory import PAGE, TEXT_BASE, TLS_BASE, AddressSpace, Region

TLS_BLOCK = PAGE  # one page per M; FS points at its end, g is the word below
MAX_CPUS = 10000  # one per M: sched.maxmcount
_PERMS = {"r": UC_PROT_READ, "w": UC_PROT_WRITE, "x": UC_PROT_EXEC}
_SECTION_PERMS = {"text": "rx", "rodata": "r", "noptrdata": "rw", "data": "rw", "bss": "rw", "noptrbss": "rw"}
GP_REGS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
           "r14", "r15", "rip", "rflags", "fs_base")  # fmt: skip
_REG_IDS = {name: getattr(x86, f"UC_X86_REG_{name.upper()}") for name in GP_REGS}


def _perms(s: str) -> int:
    p = 0
    for c in s:
        p |= _PERMS[c]
    return p


@dataclass
class Stop:
    """Why a run of a CPU ended: reached `until`, used up its count, or faulted."""

    pc: int
    error: UcError | None = None


class CPU:
    """One M's processor. Registers are read from Python only at stops, never on the hot path."""

    def __init__(self, space: AddressSpace, index: int):
        self.index = index
        self.uc = Uc(UC_ARCH_X86, UC_MODE_64)
        self.tls_block = TLS_BASE + index * TLS_BLOCK
        self.fs_base = self.tls_block + TLS_BLOCK
        for region in space.regions:
            self.map(region)
        self.uc.reg_write(x86.UC_X86_REG_FS_BASE, self.fs_base)

    def map(self, region: Region) -> None:
        self.uc.mem_map_ptr(region.base, region.size, _perms(region.perms), region.host_address())

    def reg(self, name: str) -> int:
        return self.uc.reg_read(_REG_IDS[name])

    def set_reg(self, name: str, value: int) -> None:
        self.uc.reg_write(_REG_IDS[name], value & ((1 << 64) - 1))

    def run(self, begin: int, until: int, count: int = 0, timeout_us: int = 0) -> Stop:
        """Execute from begin until the instruction at `until` (not executed), count instructions
        or timeout_us microseconds of host time."""
        try:
            self.uc.emu_start(begin, until, timeout=timeout_us, count=count)
        except UcError as e:
            return Stop(self.reg("rip"), e)
        return Stop(self.reg("rip"))


class Machine:
    """The address space, the image loaded into it, and the CPUs (one per M)."""

    def __init__(self, image: Image, max_cpus: int = MAX_CPUS):
        self.image = image
        self.space = AddressSpace()
        self._load(image)
        self.max_cpus = max_cpus
        self.space.map("tls", TLS_BASE, max_cpus * TLS_BLOCK, "rw")  # NORESERVE: pages as used
        self.cpus: list[CPU] = []

    def add_cpu(self) -> CPU:
        """A CPU for a new M, mapping every region so far (later ones are mapped by map())."""
        if len(self.cpus) == self.max_cpus:
            raise MemoryError(f"more than {self.max_cpus} CPUs")
        cpu = CPU(self.space, len(self.cpus))
        self.cpus.append(cpu)
        return cpu

    def _load(self, image: Image) -> None:
        """Map each section of the image with its protection; text's region starts at 0x400000."""
        for name, sec in image.sections.items():
            if sec.size == 0:
                continue
            base = TEXT_BASE if name == "text" else sec.addr
            end = (sec.addr + sec.size + PAGE - 1) // PAGE * PAGE
            self.space.map(name, base, end - base, _SECTION_PERMS[name])
            if sec.data:
                self.space.write(sec.addr, bytes(sec.data))

    def map(self, name: str, base: int, size: int, perms: str = "rw") -> Region:
        """A new region, visible to every CPU at once."""
        region = self.space.map(name, base, size, perms)
        for cpu in self.cpus:
            cpu.map(region)
        return region

    def g_slot(self, cpu: CPU) -> int:
        """The address of the M's TLS g slot (FS:-8)."""
        return cpu.fs_base - 8

    def close(self) -> None:
        for cpu in self.cpus:
            cpu.uc = None  # type: ignore[assignment]  # release Unicorn before the buffers it maps
        self.space.close()
