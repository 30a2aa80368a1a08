"""A linked Image on disk (`goemu asm -o prog.img`), read back by `goemu objdump` and the emulator.

JSON, so it is inspectable and safe to load: sections as hex, symbols, the pc -> line table and
the relocation sites (so a disassembly can name call targets).
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import AsmError, Pos
from .link import Image, Section, Symbol

FORMAT = "goemu-image/1"


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
    try:
        with open(path, "rb") as f:
            return f.read(40).lstrip().startswith(b'{"format":"goemu-image/')
    except OSError:
        return False


def load(path: str) -> Image:
    try:
        doc = json.loads(Path(path).read_text())
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        sections = {
            s["name"]: Section(s["name"], s["addr"], bytearray.fromhex(s["data"]), s["size"]) for s in doc["sections"]
        }
        symbols = {
            s["name"]: Symbol(s["name"], s["addr"], s["size"], s["section"], Pos(s["file"], s["line"]))
            for s in doc["symbols"]
        }
        funcs = sorted((s for s in symbols.values() if s.section == "text"), key=lambda s: s.addr)
        lines = [tuple(x) for x in doc["lines"]]
        relocs = {a: (sym, kind) for a, sym, kind in doc["relocs"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise AsmError(f"{path}: not a goemu image: {e}", Pos(path, 0)) from None
    image = Image(sections, symbols, lines, funcs, relocs, list(doc.get("unresolved", [])))  # type: ignore[arg-type]
    return image
