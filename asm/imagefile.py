"""A linked Image on disk (`goemu asm -o prog.img`), read back by `goemu objdump` and the emulator.

JSON, so it is inspectable and safe to load: sections as hex, symbols, the pc -> line table and
the relocation sites (so a disassembly can name call targets). A file is only JSON, though: load
checks every field its readers rely on (types, sizes, that symbols, lines and relocations lie in
the sections) and says what is wrong, so that a damaged or hand-edited image is an error message,
not a traceback deep in the disassembler.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import AsmError, Pos, file_error
from .link import SECTION_ORDER, Image, Section, Symbol
from .prog import RelocKind

FORMAT = "goemu-image/1"
FORMAT_FAMILY = "goemu-image/"
IMAGE_SUFFIX = ".img"  # what the README's `goemu asm -o x.img` writes
ADDR_LIMIT = 1 << 64  # addresses and sizes are 64-bit
LINE_LIMIT = 1 << 31
RELOC_KINDS = tuple(k.name for k in RelocKind if k is not RelocKind.CALLIND)  # CALLIND is never stored
JSON_SPACE = b" \t\r\n"
UTF8_BOM = b"\xef\xbb\xbf"
SNIFF_BYTES = 4096


class ImageError(AsmError):
    """A file that is not a valid image (or cannot be read); the message names the file and the fault.

    An AsmError, so that a command printing assembler diagnostics prints this one too."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message, Pos(path, 0))
        self.path = path


class _Invalid(Exception):
    """What is wrong with an image document, in words (load adds the file name)."""


def dumps(image: Image) -> str:
    return json.dumps(
        {
            "format": FORMAT,
            "sections": [
                {"name": s.name, "addr": s.addr, "size": s.size, "data": bytes(s.data).hex()}
                for s in image.sections.values()
            ],
            "symbols": [
                {"name": s.name, "addr": s.addr, "size": s.size, "section": s.section, "file": s.pos.file,
                 "line": s.pos.line}
                for s in image.symbols.values()
            ],
            "lines": image.lines,
            "relocs": [[addr, sym, kind] for addr, (sym, kind) in sorted(image.relocs.items())],
            "unresolved": image.unresolved,
        },
        separators=(",", ":"),
    )  # fmt: skip


def save(image: Image, path: str) -> None:
    Path(path).write_text(dumps(image))


def is_image(path: str) -> bool:
    """Whether path is meant as an image rather than assembly source.

    It is when its text starts as JSON does, with { or [ (however it is laid out: `python -m
    json.tool` output is one; no assembly source starts so), or when it is named *.img. load then
    says whether it is a valid image, so a truncated or damaged image is reported as one instead of
    being assembled. A file that cannot be read is left to the assembler, which says why.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return False
    head = head.removeprefix(UTF8_BOM).lstrip(JSON_SPACE)
    return head[:1] in (b"{", b"[") or Path(path).name.lower().endswith(IMAGE_SUFFIX)


def load(path: str) -> Image:
    """The Image in the file at path; ImageError (`FILE: not a valid goemu image: ...`) if it is not one."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise ImageError(path, file_error(path, e)) from None
    try:
        return _image(_json(raw))
    except _Invalid as e:
        raise ImageError(path, f"{path}: not a valid goemu image: {e}") from None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise _Invalid(f"not JSON ({e.msg}: line {e.lineno} column {e.colno})") from None
    except UnicodeDecodeError:
        raise _Invalid("not JSON (not UTF-8 text)") from None
    except RecursionError:
        raise _Invalid("not JSON (nested too deeply)") from None
    except ValueError:  # Python's limit on the digits of an integer
        raise _Invalid("not JSON (a number too long to read)") from None


def _image(doc: Any) -> Image:
    if not isinstance(doc, dict):
        raise _Invalid(f"the file is a JSON {_kind(doc)}, not an object")
    fmt = doc.get("format")
    if fmt != FORMAT:
        if isinstance(fmt, str) and fmt.startswith(FORMAT_FAMILY):
            raise _Invalid(f'format is "{fmt}", and this goemu reads {FORMAT}')
        raise _Invalid(
            f'no "format": "{FORMAT}"' if fmt is None else f"format is {_show(fmt)}, not {FORMAT!r}"
        )
    sections = _sections(_list(doc, "sections"))
    symbols = _symbols(_list(doc, "symbols"), sections)
    text = sections.get("text")
    lines = sorted(_line(i, x, text) for i, x in enumerate(_list(doc, "lines")))
    relocs: dict[int, tuple[str, str]] = {}
    for i, x in enumerate(_list(doc, "relocs")):
        addr, sym, kind = _reloc(i, x, sections)
        if addr in relocs:
            raise _Invalid(f"relocs[{i}]: a second relocation at {addr:#x}")
        relocs[addr] = (sym, kind)
    unresolved = _list(doc, "unresolved") if "unresolved" in doc else []
    for i, name in enumerate(unresolved):
        _name(name, f"unresolved[{i}]")
    funcs = sorted((s for s in symbols.values() if s.section == "text"), key=lambda s: s.addr)
    return Image(sections, symbols, lines, funcs, relocs, list(unresolved))


def _sections(items: list[Any]) -> dict[str, Section]:
    sections: dict[str, Section] = {}
    for i, s in enumerate(items):
        where = f"sections[{i}]"
        _fields(s, where, "name", "addr", "size", "data")
        name = s["name"]
        if name not in SECTION_ORDER:
            raise _Invalid(f"{where}.name is {_show(name)}, not one of {', '.join(SECTION_ORDER)}")
        where = f"{where} ({name})"
        if name in sections:
            raise _Invalid(f"{where}: a second {name} section")
        addr, size = _int(s["addr"], f"{where}.addr"), _int(s["size"], f"{where}.size")
        if addr + size > ADDR_LIMIT:
            raise _Invalid(f"{where}: {size} bytes at {addr:#x} end past the 64-bit address space")
        data = _hex(s["data"], f"{where}.data")
        if name.endswith("bss") and data:
            raise _Invalid(f"{where}: {len(data)} bytes of data in a bss section")
        if not name.endswith("bss") and len(data) != size:
            raise _Invalid(f"{where}: {len(data)} bytes of data, but size is {size}")
        for other in sections.values():
            if size and other.size and addr < other.end and other.addr < addr + size:
                raise _Invalid(
                    f"{where}: {_span(addr, size)} overlaps section {other.name} {_span(other.addr, other.size)}"
                )
        sections[name] = Section(name, addr, data, size)
    return sections


def _symbols(items: list[Any], sections: dict[str, Section]) -> dict[str, Symbol]:
    symbols: dict[str, Symbol] = {}
    for i, s in enumerate(items):
        where = f"symbols[{i}]"
        _fields(s, where, "name", "addr", "size", "section", "file", "line")
        name = _name(s["name"], f"{where}.name")
        where = f"{where} ({name if name.isprintable() else _show(name)})"
        if name in symbols:
            raise _Invalid(f"{where}: a second symbol named {name}")
        addr, size = _int(s["addr"], f"{where}.addr"), _int(s["size"], f"{where}.size")
        section = s["section"]
        sec = sections.get(section) if isinstance(section, str) else None
        if sec is None:
            raise _Invalid(f"{where}.section is {_show(section)}, not a section of the image")
        if not sec.addr <= addr <= addr + size <= sec.end:  # objdump reads a function's bytes
            raise _Invalid(
                f"{where}: {_span(addr, size)} is outside section {section} {_span(sec.addr, sec.size)}"
            )
        file = s["file"]
        if not isinstance(file, str):
            raise _Invalid(f"{where}.file is {_show(file)}, not a file name")
        symbols[name] = Symbol(
            name, addr, size, section, Pos(file, _int(s["line"], f"{where}.line", LINE_LIMIT))
        )
    return symbols


def _line(i: int, x: Any, text: Section | None) -> tuple[int, str, int]:
    where = f"lines[{i}]"
    if not isinstance(x, list) or len(x) != 3:
        raise _Invalid(f"{where} is {_show(x)}, not [address, file, line]")
    addr, file, line = _int(x[0], f"{where}[0]"), x[1], _int(x[2], f"{where}[2]", LINE_LIMIT)
    if not isinstance(file, str):
        raise _Invalid(f"{where}[1] is {_show(file)}, not a file name")
    if text is None or not text.addr <= addr < text.addr + len(text.data):
        where_text = _span(text.addr, len(text.data)) if text else "(there is none)"
        raise _Invalid(f"{where}: address {addr:#x} is outside section text {where_text}")
    return addr, file, line


def _reloc(i: int, x: Any, sections: dict[str, Section]) -> tuple[int, str, str]:
    where = f"relocs[{i}]"
    if not isinstance(x, list) or len(x) != 3:
        raise _Invalid(f"{where} is {_show(x)}, not [address, symbol, kind]")
    addr, sym, kind = _int(x[0], f"{where}[0]"), _name(x[1], f"{where}[1]"), x[2]
    if kind not in RELOC_KINDS:
        raise _Invalid(f"{where}[2] is {_show(kind)}, not one of {', '.join(RELOC_KINDS)}")
    if not any(s.addr <= addr < s.addr + len(s.data) for s in sections.values()):
        raise _Invalid(f"{where}: address {addr:#x} is not in the bytes of a section")
    return addr, sym, kind


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    if key not in doc:
        raise _Invalid(f'no "{key}" list')
    if not isinstance(doc[key], list):
        raise _Invalid(f"{key} is {_show(doc[key])}, not a list")
    return doc[key]


def _fields(x: Any, where: str, *keys: str) -> None:
    if not isinstance(x, dict):
        raise _Invalid(f"{where} is {_show(x)}, not an object")
    for key in keys:
        if key not in x:
            raise _Invalid(f'{where} has no "{key}"')


def _int(v: Any, where: str, limit: int = ADDR_LIMIT) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _Invalid(f"{where} is {_show(v)}, not an integer")
    if not 0 <= v < limit:
        raise _Invalid(f"{where} is {_show(v)}, out of range (0 to {limit - 1:#x})")
    return v


def _name(v: Any, where: str) -> str:
    if not isinstance(v, str) or not v:
        raise _Invalid(f"{where} is {_show(v)}, not a symbol name")
    return v


def _hex(v: Any, where: str) -> bytearray:
    try:
        data = bytearray.fromhex(v) if isinstance(v, str) else None
    except ValueError:
        data = None
    if data is None or 2 * len(data) != len(v):  # fromhex also skips spaces
        raise _Invalid(f"{where} is {_show(v)}, not bytes in hexadecimal")
    return data


def _span(addr: int, size: int) -> str:
    return f"[{addr:#x}, {addr + size:#x})"


def _kind(v: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(v), "number")


def _show(v: Any, width: int = 40) -> str:
    """v as JSON, shortened for a message."""
    text = json.dumps(v)
    return text if len(text) <= width else text[: width - 1] + "…"
