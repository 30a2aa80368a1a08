"""The assembler driver: preprocess, parse, rewrite and encode one file into an Object.

Each pass reports every error it finds; the driver stops between passes when there are errors,
so a file with mistakes gets them all listed, as `file.s:LINE:COL: message` lines.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from .amd64 import obj6, span
from .amd64.arch import ARCH
from .amd64.list6 import prog_string
from .errors import AsmError, ErrorList, Pos
from .objfile import DataSymbol, Instruction, Object, TextSymbol
from .parser import Parser
from .preprocess import Preprocessor
from .prog import AddrType, Name, Prog, Reloc, RelocKind
from .textflag import DUPOK, NOPTR, NOSPLIT, RODATA

INCLUDE_DIR = Path(__file__).parent / "include"
PREDEFINED = {"GOOS_linux": "1", "GOARCH_amd64": "1", "GOAMD64_v1": "1"}  # as cmd/go passes to asm


def builtin_headers() -> dict[str, str]:
    return {p.name: p.read_text() for p in INCLUDE_DIR.glob("*.h")}


@dataclass
class Options:
    include_dirs: list[str] = field(default_factory=list)
    defines: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # extra built-in headers (go_asm.h)
    pkg: str = "main"


def assemble_source(text: str, path: str = "x.s", options: Options | None = None) -> Object:
    """Assemble one file's text into an Object; raises AsmError with every error found."""
    opts = options or Options()
    errors = ErrorList()
    pp = Preprocessor(
        include_dirs=list(opts.include_dirs),
        builtin_headers={**builtin_headers(), **opts.headers},
        defines={**PREDEFINED, **opts.defines},
        errors=errors,
    )
    tokens = pp.run(path, text)  # bad lines are reported and dropped: parse the rest too
    progs = Parser(ARCH, opts.pkg, errors).parse(tokens)
    errors.check()
    obj = Object(path, files=list(dict.fromkeys(pp.files)))
    funcs, data_progs = obj6.split_functions(progs, errors)
    _check_duplicates(funcs, data_progs, errors)
    constants: dict[str, bytes] = {}
    for fn in funcs:
        for p in fn.progs:
            obj6.progedit(p, constants)
        obj6.preprocess(fn, errors)
    todo = []  # obj6's errors (unbalanced PUSH/POP, ...) are reported together with encoding errors
    for fn in funcs:
        todo += span.prepare(fn, errors)
    span.encode_all(todo, errors)
    errors.check()
    for fn in funcs:
        code, relocs = span.layout(fn, errors)
        obj.texts.append(_text_symbol(fn, code, relocs))
    obj.datas = _data_symbols(data_progs, constants, errors)
    errors.check()
    return obj


def _check_duplicates(funcs: list[obj6.Function], data: list[Prog], errors: ErrorList) -> None:
    seen: dict[str, Pos] = {}
    for fn in funcs:
        if fn.name in seen and not fn.flags & DUPOK:
            errors.add(fn.pos, f"duplicate symbol {fn.name} (first defined at {seen[fn.name]})")
        seen.setdefault(fn.name, fn.pos)
    for p in data:
        if p.op == "GLOBL":
            name = str(p.args[0].sym)
            if name in seen and not p.args[1].offset & DUPOK:
                errors.add(p.pos, f"duplicate symbol {name} (first defined at {seen[name]})")
            seen.setdefault(name, p.pos)


def _text_symbol(fn: obj6.Function, code: bytes, relocs: list[Reloc]) -> TextSymbol:
    frame = fn.frame + fn.bpsize  # what Go reports (and prints in TEXT): the written frame plus the BP slot
    sym = TextSymbol(fn.name, fn.flags, frame, fn.args, fn.pos, code, relocs, nosplit=fn.nosplit, noframe=fn.noframe,
                     spwrite=fn.spwrite)
    size_addr = fn.text.args[2]
    size_addr.offset = frame
    if fn.nosplit:
        fn.text.args[1].offset |= NOSPLIT
    sym.instructions.append(Instruction(0, fn.pos.line, fn.pos.file, prog_string(fn.text), b"", False, fn.text.text))
    sp = 0
    for p in fn.progs:
        sym.instructions.append(
            Instruction(p.pc, p.pos.line, p.pos.file, prog_string(p), p.code, p.inserted, "" if p.inserted else p.text, sp)
        )
        sp += p.spadj
    sym.progs = fn.progs
    sym.max_sp_delta = max_sp_delta(fn.progs)
    return sym


def max_sp_delta(progs: list[Prog]) -> int:
    """funcMaxSPDelta: the largest SP adjustment in effect at any instruction (Go reads it from
    the pcsp table, which the same spadj values build)."""
    delta = most = 0
    for p in progs:
        delta += p.spadj
        most = max(most, delta)
    return most


def _data_symbols(progs: list[Prog], constants: dict[str, bytes], errors: ErrorList) -> list[DataSymbol]:
    syms: dict[str, DataSymbol] = {}
    for p in progs:
        if p.op == "GLOBL":
            name = str(p.args[0].sym)
            if name not in syms:
                syms[name] = DataSymbol(name, p.args[1].offset, p.args[2].offset, p.pos)
    written: dict[str, int] = {}
    for p in progs:
        if p.op != "DATA":
            continue
        target, value = p.args
        name, off, width = str(target.sym), target.offset, target.width
        sym = syms.get(name)
        where = f"DATA {name}+{off}(SB)/{width}"
        if sym is None:
            errors.add(p.pos, f"{where}: no GLOBL for {name}")
            continue
        if off < written.get(name, 0):
            errors.add(p.pos, f"{where}: overlapping DATA entry for {name} (DATA must be in increasing order)")
            continue
        if off < 0 or off + width > sym.size:
            errors.add(p.pos, f"{where}: past the end of {name} (GLOBL size {sym.size})")
            continue
        try:
            data, reloc = _data_value(value, width, p)
        except AsmError as e:
            errors.extend(e)
            continue
        written[name] = off + width
        sym.initialized = True
        if len(sym.data) < sym.size:
            sym.data.extend(bytes(sym.size - len(sym.data)))
        sym.data[off : off + width] = data
        if reloc is not None:
            sym.relocs.append(Reloc(off, width, RelocKind.ADDR, reloc[0], reloc[1]))
    for name, data in sorted(constants.items()):
        sym = DataSymbol(name, RODATA | NOPTR, len(data), Pos("<autogenerated>", 1))
        sym.data = bytearray(data)
        sym.initialized = sym.content_addressable = True
        syms[name] = sym
    return list(syms.values())


def _data_value(value, width: int, p: Prog) -> tuple[bytes, tuple[str, int] | None]:
    t = value.type
    if t is AddrType.CONST:
        if width not in (1, 2, 4, 8):
            raise AsmError(f"bad int size for DATA argument: {width}", p.pos)
        return (value.offset & ((1 << (8 * width)) - 1)).to_bytes(width, "little"), None
    if t is AddrType.FCONST:
        if width not in (4, 8):
            raise AsmError(f"bad float size for DATA argument: {width}", p.pos)
        return struct.pack("<f" if width == 4 else "<d", value.value), None
    if t is AddrType.SCONST:
        s = bytes(value.value)
        if len(s) > width:
            raise AsmError(f"string too long for DATA of width {width}: {len(s)} bytes", p.pos)
        return s + bytes(width - len(s)), None
    if t is AddrType.ADDR and value.name in (Name.EXTERN, Name.STATIC) and value.reg is None:
        if width != 8:
            raise AsmError(f"bad addr size for DATA argument: {width}", p.pos)
        return bytes(8), (str(value.sym), value.offset)
    raise AsmError("DATA value must be an immediate constant or address", p.pos)
