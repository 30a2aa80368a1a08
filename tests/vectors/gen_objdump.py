#!/usr/bin/env python3
"""Generate tests/vectors/objdump_go119.json: Go 1.19's `go tool objdump` of a linked binary.

This script needs Go 1.19; the tests only read the JSON it writes, so they never need Go.

objdump.s (next to this script) is built, with a main.go that keeps every TEXT symbol reachable,
into a static linux/amd64 binary (-trimpath, so file names do not depend on the temporary
directory). The JSON records what a test needs to rebuild the same disassembly from an Image:
  text:      address and bytes of the text section from the first to the last listed function
  funcs:     [name, addr, size] of the listed functions (Go names them main.f.abi0)
  symbols:   [name, addr, size, nm type] of every symbol the listings name, and the functions
  lines:     [addr, file, line] of every instruction, from the listing
  listings:  {pattern: `go tool objdump -s pattern` output}
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import tempfile
from pathlib import Path

GO = os.environ.get("GO", "/usr/lib/go-1.19/bin/go")
HERE = Path(__file__).parent
SOURCE = HERE / "objdump.s"
OUT = HERE / "objdump_go119.json"
MODULE = "example.com/objdump"
PATTERNS = [r"^main\.[a-z]+\.abi0$", r"alu\.abi0", r"^main\.(strings|target)\.abi0$"]


def go_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ, GO111MODULE="on", GOFLAGS="-mod=mod", GOOS="linux", GOARCH="amd64")
    env.update(GOPATH=str(tmp / "gopath"), GOCACHE=str(tmp / "gocache"), CGO_ENABLED="0", GOAMD64="v1")
    return env


def build(tmp: Path) -> Path:
    """Build objdump.s into a binary in which every one of its functions is reachable."""
    names = re.findall(r"^TEXT ·(\w+)\(SB\)", SOURCE.read_text(), re.M)
    decls = "".join(f"func {n}()\n" for n in names)
    main = f"package main\n\n{decls}\nvar funcs = []func(){{{', '.join(names)}}}\n\nfunc main() {{ println(len(funcs)) }}\n"
    src = tmp / "src"
    src.mkdir()
    (src / "go.mod").write_text(f"module {MODULE}\n\ngo 1.19\n")
    (src / "main.go").write_text(main)
    (src / "objdump.s").write_text(SOURCE.read_text())
    subprocess.run([GO, "build", "-trimpath", "-o", "prog", "."], cwd=src, env=go_env(tmp), check=True)
    return src / "prog"


def go_tool(tmp: Path, *args: str) -> str:
    return subprocess.run(
        [GO, "tool", *args], env=go_env(tmp), check=True, capture_output=True, text=True
    ).stdout


def text_section(binary: Path) -> tuple[int, bytes]:
    """(address, bytes) of the ELF's .text section."""
    elf = binary.read_bytes()
    (shoff,) = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    strtab = headers[shstrndx][4]
    for name, _type, _flags, addr, offset, size, *_ in headers:
        if elf[strtab + name : elf.index(b"\0", strtab + name)] == b".text":
            return addr, elf[offset : offset + size]
    raise SystemExit("no .text section")


def parse_listing(listing: str) -> tuple[list[list], list[list]]:
    """The functions (name, file) and instruction lines (addr, file, line) of a listing."""
    funcs, lines, file = [], [], ""
    for row in listing.splitlines():
        if m := re.match(r"TEXT (\S+)\(SB\) (.*)", row):
            file = m[2]
            funcs.append([m[1], file])
        elif m := re.match(r"  \S+:(\d+)\t+0x([0-9a-f]+)\t", row):
            lines.append([int(m[2], 16), file, int(m[1])])
    return funcs, lines


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        binary = build(tmp)
        listings = {p: go_tool(tmp, "objdump", "-s", p, str(binary)) for p in PATTERNS}
        nm = [line.split() for line in go_tool(tmp, "nm", "-size", str(binary)).splitlines()]
        text_addr, text = text_section(binary)
    funcs, lines = parse_listing(listings[PATTERNS[0]])
    table = {row[3]: [row[3], int(row[0], 16), int(row[1]), row[2]] for row in nm if len(row) == 4}
    named = set(re.findall(r"([^\s$,()]+?)(?:[+-]\d+)?\(SB\)", "".join(listings.values())))
    symbols = [table[n] for n in sorted(named | {f[0] for f in funcs}) if n in table]
    start = min(table[f[0]][1] for f in funcs)
    end = max(table[f[0]][1] + table[f[0]][2] for f in funcs)
    record = {
        "text": {"addr": start, "hex": text[start - text_addr : end - text_addr].hex()},
        "funcs": [table[f[0]][:3] for f in funcs],
        "symbols": symbols,
        "lines": lines,
        "listings": listings,
    }
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {OUT}: {len(lines)} instructions in {len(funcs)} functions")


if __name__ == "__main__":
    main()
