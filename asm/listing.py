"""Listings of an assembled Object: `go tool asm -S` text and a JSON form for tools and tests."""

from __future__ import annotations

from .objfile import DataSymbol, Object, TextSymbol
from .prog import RelocKind
from .textflag import DUPOK, NOSPLIT, TOPFRAME

SYMBOL_KIND = {"rodata": "SRODATA", "data": "SDATA", "noptrdata": "SNOPTRDATA", "bss": "SBSS", "noptrbss": "SNOPTRBSS"}


def _u64(v: int) -> int:
    return v & ((1 << 64) - 1)


def hexdump(data: bytes) -> list[str]:
    """The `\\t0x0000 64 4c ...  dL..` lines of cmd/internal/obj's writeSymDebug."""
    lines = []
    for i in range(0, len(data), 16):
        chunk = data[i : i + 16]
        cols = "".join(f" {b:02x}" for b in chunk) + "   " * (16 - len(chunk))
        text = "".join(chr(b) if 0x20 <= b <= 0x7E else "." for b in chunk)
        lines.append(f"\t0x{i:04x}{cols}  {text}")
    return lines


def _relocs(sym: TextSymbol | DataSymbol) -> list[str]:
    out = []
    for r in sorted(sym.relocs, key=lambda r: r.offset):
        name = _go_name(r.symbol or ("TLS" if r.kind is RelocKind.TLS_LE else ""))
        out.append(f"\trel {r.offset}+{r.size} t={r.kind.value} {name}+{r.addend}")
    return out


def _go_name(name: str) -> str:
    """Go names a file-local symbol without its <>, marking it `static` instead."""
    return name[:-2] if name.endswith("<>") else name


def _text_header(t: TextSymbol) -> str:
    attrs = "".join(
        word
        for cond, word in (
            (t.static, "static "),
            (t.flags & DUPOK, "dupok "),
            (t.nosplit, "nosplit "),
            (t.flags & TOPFRAME, "topframe "),
            (True, "asm "),
        )
        if cond
    )
    return (
        f"{_go_name(t.name)} STEXT {attrs}size={t.size} args={_u64(t.args):#x} locals={_u64(t.frame):#x} "
        f"funcid={t.funcid:#x} align=0x0"
    )


def listing(obj: Object) -> str:
    """The assembly listing in the form of `go tool asm -S`."""
    out: list[str] = []
    for t in obj.texts:
        out.append(_text_header(t))
        for ins in t.instructions:
            out.append(f"\t0x{ins.offset:04x} {ins.offset:05d} ({ins.file}:{ins.line})\t{ins.text}")
        out += hexdump(t.code)
        out += _relocs(t)
    for d in obj.datas:
        attrs = ("static " if d.static else "") + ("dupok " if d.flags & DUPOK else "")
        out.append(f"{_go_name(d.name)} {SYMBOL_KIND[d.section]} {attrs}size={d.size}")
        if d.initialized:
            out += hexdump(bytes(d.data))
        out += _relocs(d)
    return "".join(line + "\n" for line in out)


def _reloc_json(sym: TextSymbol | DataSymbol) -> list[dict]:
    return [
        {"offset": r.offset, "size": r.size, "symbol": r.symbol, "addend": r.addend, "kind": f"R_{r.kind.name}"}
        for r in sorted(sym.relocs, key=lambda r: r.offset)
    ]


def to_json(obj: Object) -> dict:
    """Symbols with code, one record per instruction (source or inserted), and relocations."""
    from .amd64.list6 import flags_string

    symbols = []
    for t in obj.texts:
        symbols.append(
            {
                "name": t.name,
                "kind": "text",
                "flags": flags_string(t.flags | (NOSPLIT if t.nosplit else 0)),
                "frame": t.frame,
                "args": None if t.args == -0x80000000 else t.args,
                "size": t.size,
                "code": t.code.hex(),
                "instructions": [
                    {
                        "offset": i.offset,
                        "file": i.file,
                        "line": i.line,
                        "text": i.text,
                        "bytes": i.code.hex(),
                        "inserted": i.inserted,
                        **({"source": i.source} if i.source else {}),
                    }
                    for i in t.instructions[1:]  # the TEXT line is the symbol itself
                ],
                "relocations": _reloc_json(t),
            }
        )
    data = [
        {
            "name": d.name,
            "kind": d.section,
            "flags": flags_string(d.flags),
            "size": d.size,
            "data": bytes(d.data).hex() if d.initialized else None,
            "relocations": _reloc_json(d),
        }
        for d in obj.datas
    ]
    return {"file": obj.file, "symbols": symbols, "data": data}
