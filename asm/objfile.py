"""The assembler's output for one source file: text and data symbols with relocations.

Like a Go object file: code bytes are final except for relocations, which the linker resolves
once every symbol has an address. File-local symbols (`sym<>`) resolve only within their object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Pos
from .prog import Prog, Reloc
from .textflag import DUPOK, NOPTR, RODATA, WRAPPER


@dataclass
class Instruction:
    """One instruction of a function as the listing shows it (source or inserted)."""

    offset: int
    line: int
    file: str
    text: str  # Plan 9 syntax after rewriting (as go tool asm -S prints it)
    code: bytes
    inserted: bool
    source: str = ""  # the statement as written, for source instructions
    sp: int = 0  # how far SP is below its value at entry while this executes (Go's pcsp table)


# objabi.FuncID: runtime functions that tracebacks and the scheduler treat specially, by name.
_FUNC_IDS = {
    name: i + 1
    for i, name in enumerate(
        "abort asmcgocall asyncPreempt cgocallback debugCallV2 gcBgMarkWorker goexit gogo gopanic "
        "handleAsyncEvent mcall morestack mstart panicwrap rt0_go runfinq main sigpanic systemstack "
        "systemstack_switch".split()
    )
}
FUNCID_WRAPPER = 21
_FUNC_IDS.update(deferreturn=FUNCID_WRAPPER, runOpenDeferFrame=FUNCID_WRAPPER, deferCallSave=FUNCID_WRAPPER)


def func_id(name: str, wrapper: bool) -> int:
    """objabi.GetFuncID: WRAPPER functions, then runtime.<special> names, else 0 (normal)."""
    if wrapper:
        return FUNCID_WRAPPER
    if name.startswith("runtime."):
        return _FUNC_IDS.get(name[len("runtime.") :], 0)
    return 0


@dataclass
class TextSymbol:
    name: str
    flags: int
    frame: int  # locals including the BP slot, as Go reports it
    args: int  # -0x80000000 if unknown
    pos: Pos
    code: bytes = b""
    relocs: list[Reloc] = field(default_factory=list)
    instructions: list[Instruction] = field(default_factory=list)
    nosplit: bool = False
    noframe: bool = False
    spwrite: bool = False  # funcFlag_SPWRITE: a traceback stops at this function
    max_sp_delta: int = 0  # the most SP falls below its entry value (funcMaxSPDelta, from spadj)
    progs: list[Prog] = field(default_factory=list, repr=False)  # not kept in the cache

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["progs"] = []
        return state

    @property
    def size(self) -> int:
        return len(self.code)

    @property
    def funcid(self) -> int:
        return func_id(self.name, bool(self.flags & WRAPPER))

    @property
    def static(self) -> bool:
        return self.name.endswith("<>")


@dataclass
class DataSymbol:
    name: str
    flags: int
    size: int
    pos: Pos
    data: bytearray = field(default_factory=bytearray)
    relocs: list[Reloc] = field(default_factory=list)
    initialized: bool = False  # has DATA: data/rodata rather than bss
    content_addressable: bool = False  # $f64./$f32. constants: same name, same bytes, one copy

    @property
    def dupok(self) -> bool:
        return bool(self.flags & DUPOK) or self.content_addressable

    @property
    def static(self) -> bool:
        return self.name.endswith("<>")

    @property
    def section(self) -> str:
        """rodata, data, noptrdata, bss or noptrbss, chosen as Go's linker does from the flags."""
        if self.flags & RODATA:
            return "rodata"
        kind = "data" if self.initialized else "bss"
        return ("noptr" + kind) if self.flags & NOPTR else kind


@dataclass
class Object:
    file: str
    texts: list[TextSymbol] = field(default_factory=list)
    datas: list[DataSymbol] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file read (includes), for caching
