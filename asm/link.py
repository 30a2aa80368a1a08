"""The linker: lay out several Objects into one Image, resolve relocations, build pc -> line.

Layout follows Go's linker on linux/amd64 in spirit: text from 0x401000 with functions aligned to
32 bytes and INT3 padding between them, then rodata, noptrdata, data, bss and noptrbss, each
section page-aligned, data symbols aligned to the largest power of two <= min(size, 32).
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field

from .errors import NOPOS, AsmError, ErrorList, Pos
from .objfile import DataSymbol, Object, TextSymbol
from .prog import Reloc, RelocKind
from .textflag import DUPOK

TEXT_BASE = 0x401000
FUNC_ALIGN = 32
PAGE = 0x1000
CUTOFF = 2_000_000_000  # cmd/link's limit on a symbol and on a section (2e9: "2 GB, or so")
MAX_ALIGN = 32
TLS_OFFSET = -8  # g lives at FS:-8 on linux/amd64
SECTION_ORDER = ("text", "rodata", "noptrdata", "data", "bss", "noptrbss")


@dataclass
class Section:
    name: str
    addr: int
    data: bytearray = field(default_factory=bytearray)
    size: int = 0  # bss sections have a size and no data

    @property
    def end(self) -> int:
        return self.addr + self.size


@dataclass
class Symbol:
    name: str
    addr: int
    size: int
    section: str
    pos: Pos
    text: TextSymbol | None = None  # function details (frame, args, flags, instructions)
    data: DataSymbol | None = None


@dataclass
class Image:
    sections: dict[str, Section]
    symbols: dict[str, Symbol]  # by linker name; file-local ones as name<> (first file's)
    lines: list[tuple[int, str, int]]  # (addr, file, line), sorted by addr
    funcs: list[Symbol]  # text symbols sorted by address
    relocs: dict[int, tuple[str, str]] = field(default_factory=dict)  # field addr -> (symbol, kind)
    unresolved: list[str] = field(default_factory=list)  # symbols left at 0 (allow_undefined)

    def __post_init__(self) -> None:
        self._func_starts = [f.addr for f in self.funcs]  # for bisect: funcs are sorted by address

    def symbol_at(self, addr: int) -> Symbol | None:
        """The function or data symbol containing addr."""
        i = bisect.bisect_right(self._func_starts, addr) - 1
        if i >= 0 and self.funcs[i].addr <= addr < self.funcs[i].addr + self.funcs[i].size:
            return self.funcs[i]
        for s in self.symbols.values():
            if s.section != "text" and s.addr <= addr < s.addr + max(s.size, 1):
                return s
        return None

    def line_at(self, addr: int) -> tuple[str, int] | None:
        i = bisect.bisect_right(self.lines, (addr, "\U0010ffff", 1 << 30)) - 1
        if i < 0:
            return None
        sym = self.symbol_at(addr)
        if sym is None or sym.section != "text":
            return None
        a, f, line = self.lines[i]
        return (f, line) if a >= sym.addr else None

    def read(self, addr: int, n: int) -> bytes:
        for s in self.sections.values():
            if s.addr <= addr and addr + n <= s.addr + len(s.data):
                off = addr - s.addr
                return bytes(s.data[off : off + n])
        raise KeyError(f"{addr:#x} is not in an initialized section")


def _align(v: int, a: int) -> int:
    return (v + a - 1) // a * a


def _data_align(size: int) -> int:
    a = MAX_ALIGN
    while a > size and a > 1:
        a >>= 1
    return a


def link(
    objects: list[Object],
    externals: dict[str, int] | None = None,
    base: int = TEXT_BASE,
    allow_undefined: bool = False,
) -> Image:
    """Link objects into an Image; externals give addresses of symbols defined elsewhere (gates).

    With allow_undefined (objdump of a lone file), undefined targets resolve to 0 and are listed.
    """
    errors = ErrorList()
    externals = externals or {}
    sections = {name: Section(name, 0) for name in SECTION_ORDER}
    placed: list[tuple[Object, TextSymbol | DataSymbol, Symbol]] = []
    globals_: dict[str, Symbol] = {}
    locals_: list[dict[str, Symbol]] = []

    def define(obj_locals: dict[str, Symbol], sym: Symbol, dupok: bool) -> None:
        table = obj_locals if sym.name.endswith("<>") else globals_
        prev = table.get(sym.name)
        if prev is not None:
            if not dupok:
                errors.add(sym.pos, f"duplicate symbol {sym.name} (first defined at {prev.pos})")
            return
        table[sym.name] = sym

    # Text first, in object order, each function aligned.
    addr = base
    text = sections["text"]
    text.addr = base
    for obj in objects:
        loc: dict[str, Symbol] = {}
        locals_.append(loc)
        for t in obj.texts:
            start = _align(addr, FUNC_ALIGN)
            text.data += b"\xcc" * (start - addr)
            sym = Symbol(t.name, start, t.size, "text", t.pos, text=t)
            text.data += t.code
            addr = start + t.size
            define(loc, sym, bool(t.flags & DUPOK))
            placed.append((obj, t, sym))
    text.size = len(text.data)
    addr = _align(text.end, PAGE)
    for name in SECTION_ORDER[1:]:
        sec = sections[name]
        sec.addr = addr
        for i, obj in enumerate(objects):
            for d in obj.datas:
                if d.section != name:
                    continue
                if d.size > CUTOFF:
                    errors.add(d.pos, f"{d.name}: symbol too large ({d.size} bytes)")
                    continue
                start = _align(addr, _data_align(d.size))
                sym = Symbol(d.name, start, d.size, name, d.pos, data=d)
                if not name.endswith("bss"):
                    sec.data += bytes(start - addr) + bytes(d.data) + bytes(d.size - len(d.data))
                addr = start + d.size
                define(locals_[i], sym, d.dupok)
                if sym is (locals_[i] if d.name.endswith("<>") else globals_).get(d.name):
                    placed.append((obj, d, sym))
        sec.size = addr - sec.addr
        if sec.size > CUTOFF:
            errors.add(NOPOS, f"too much data in section {name} (over {CUTOFF} bytes)")
        addr = _align(addr, PAGE)
    errors.check()

    memory = {name: sections[name] for name in SECTION_ORDER if not name.endswith("bss")}
    reloc_at: dict[int, tuple[str, str]] = {}
    unresolved: set[str] = set()
    for i, obj in enumerate(objects):
        for osym, sym in ((o, s) for (ob, o, s) in placed if ob is obj):
            for r in osym.relocs:
                if r.kind is not RelocKind.CALLIND:
                    reloc_at[sym.addr + r.offset] = (r.symbol or "TLS", r.kind.name)
                try:
                    _apply(r, sym, memory[sym.section], locals_[i], globals_, externals, allow_undefined, unresolved)
                except AsmError as e:
                    errors.add(_pos_of(osym, r.offset), e.message)
    errors.check()

    symbols: dict[str, Symbol] = dict(globals_)
    for loc in locals_:
        for name, s in loc.items():
            symbols.setdefault(name, s)
    funcs = sorted((s for _, _, s in placed if s.text is not None), key=lambda s: s.addr)
    lines: list[tuple[int, str, int]] = []
    for f in funcs:
        assert f.text is not None
        for ins in f.text.instructions:
            if ins.code:
                lines.append((f.addr + ins.offset, ins.file, ins.line))
    lines.sort()
    return Image(sections, symbols, lines, funcs, reloc_at, sorted(unresolved))


def _pos_of(osym: TextSymbol | DataSymbol, offset: int) -> Pos:
    if isinstance(osym, TextSymbol):
        for ins in osym.instructions:
            if ins.offset <= offset < ins.offset + len(ins.code):
                return Pos(ins.file, ins.line)
    return osym.pos


def _apply(
    r: Reloc,
    sym: Symbol,
    sec: Section,
    locals_: dict[str, Symbol],
    globals_: dict[str, Symbol],
    ext: dict[str, int],
    allow_undefined: bool,
    unresolved: set[str],
) -> None:
    if r.kind is RelocKind.CALLIND:
        return
    place = sym.addr + r.offset
    if r.kind is RelocKind.TLS_LE:
        value = TLS_OFFSET + r.addend
    else:
        name = r.symbol or ""
        target = locals_.get(name) or globals_.get(name)
        if target is not None:
            s = target.addr
        elif name in ext:
            s = ext[name]
        elif allow_undefined:
            s = 0
            unresolved.add(name)
        else:
            raise AsmError(f"{sym.name}: relocation target {name} not defined")
        value = s + r.addend
        if r.kind in (RelocKind.CALL, RelocKind.PCREL):
            value -= place + r.size
    fmt = {4: "<i", 8: "<q"}[r.size]
    if r.size == 4 and r.kind is RelocKind.ADDR:
        fmt = "<I"
    try:
        struct.pack_into(fmt, sec.data, place - sec.addr, value)
    except struct.error:
        raise AsmError(f"{sym.name}: relocation to {r.symbol} out of range ({value:#x})") from None
