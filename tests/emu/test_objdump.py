"""emu.objdump against Go 1.19's own `go tool objdump`, byte for byte.

The expected listings, and the bytes, symbols and lines they were made from, come from a real Go
binary built from tests/vectors/objdump.s (tests/vectors/gen_objdump.py, which needs Go; these
tests do not). The Image is built here directly, so these tests do not depend on the assembler.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asm.errors import Pos
from asm.link import Image, Section, Symbol
from emu.objdump import decode, disassemble, objdump, symbol_lookup

VECTORS = Path(__file__).parent.parent / "vectors" / "objdump_go119.json"
GO = json.loads(VECTORS.read_text())
TEXT_TYPES = "Tt"


def _symbol(name: str, addr: int, size: int, nm_type: str) -> Symbol:
    """A symbol as our linker names it: Go lists file-local data (msg<>) without the <>."""
    section = "text" if nm_type in TEXT_TYPES else "data"
    if nm_type.islower() and section != "text":
        name += "<>"
    return Symbol(name, addr, size, section, Pos("objdump.s", 0))


def go_image() -> Image:
    """The Go binary's functions, symbols and lines as an Image."""
    text = bytes.fromhex(GO["text"]["hex"])
    sections = {"text": Section("text", GO["text"]["addr"], bytearray(text), len(text))}
    symbols = {s.name: s for s in (_symbol(*row) for row in GO["symbols"])}
    funcs = sorted((symbols[name] for name, _, _ in GO["funcs"]), key=lambda s: s.addr)
    lines = sorted((addr, file, line) for addr, file, line in GO["lines"])
    return Image(sections, symbols, lines, funcs)


@pytest.mark.parametrize("pattern", list(GO["listings"]))
def test_listing_matches_go_line_by_line(pattern: str) -> None:
    want = GO["listings"][pattern]
    got = objdump(go_image(), pattern)
    assert got.splitlines() == want.splitlines()
    assert got == want


def test_every_function_without_pattern() -> None:
    assert objdump(go_image()) == GO["listings"][r"^main\.[a-z]+\.abi0$"]


def test_pattern_matching_nothing_prints_nothing() -> None:
    assert objdump(go_image(), "no-such-function") == ""


def test_listing_format() -> None:
    """Spot checks of the layout Go's tabwriter gives (cells padded with tabs to common widths)."""
    listing = GO["listings"][r"alu\.abi0"]
    assert listing.startswith("TEXT main.alu.abi0(SB) example.com/objdump/objdump.s\n")
    assert "  objdump.s:18\t\t0x457ce0\t\t00c3\t\t\tADDL AL, BL\t\t\n" in listing
    assert objdump(go_image(), r"alu\.abi0") == listing


def _go_line(code: str) -> tuple[int, str]:
    """(pc, text) of the Go listing's instruction with these bytes."""
    for line in GO["listings"][r"^main\.[a-z]+\.abi0$"].splitlines():
        cells = [c for c in line.split("\t") if c]
        if len(cells) == 4 and cells[2] == code:
            return int(cells[1], 16), cells[3]
    raise KeyError(code)


@pytest.mark.parametrize(
    "code",
    [
        "06",  # invalid in 64-bit mode: ?
        "90",  # NOPL
        "cc",  # INT $0x3
        "f3c3",  # REP; RET
        "00c3",  # ADDL AL, BL
        "dcc1",  # FADD F0, F1
        "0fc2d207",  # CMPPS $0x7, X2, X2
        "f0debc9a78563412",  # LOCK FIDIVR ...: capstone refuses the LOCK
        "c4e230f713",  # NOTL 0(BX): x86asm reads SHLX's VEX prefix and then a legacy opcode
        "f20f8400000000",  # REPNE; JE ...: a BND prefix
        "2e7400",  # PN JE ...
        "64488b0c25f8ffffff",  # MOVQ FS:0xfffffff8, CX
        "488b8500ffffff",  # MOVQ 0xffffff00(BP), AX
        "48a18877665544332211",  # MOVQ 0x1122334455667788, AX
    ],
)
def test_single_instructions(code: str) -> None:
    """Quirks of x86asm's Go syntax, as the Go listing shows them."""
    pc, text = _go_line(code)
    (_, size, got), *_ = disassemble(bytes.fromhex(code), pc, symbol_lookup(go_image()))
    assert (got, size) == (text, len(code) // 2 if text != "?" else 1)


def test_truncated_instruction_is_question_marks() -> None:
    assert [t for _, _, t in disassemble(bytes.fromhex("488b"), 0x401000, lambda _: ("", 0))] == ["?", "?"]
    assert decode(b"\x48", 0x401000) is None


def _unresolved_image() -> Image:
    """A function calling and loading from main.missing, which the link left at address 0."""
    pc = 0x401000
    call = b"\xe8" + (-(pc + 5) & 0xFFFFFFFF).to_bytes(4, "little")  # CALL main.missing(SB)
    load = b"\x48\x8b\x05" + (8 - (pc + 12) & 0xFFFFFFFF).to_bytes(4, "little")  # MOVQ main.missing+8(SB), AX
    code = call + load + b"\xc3"
    f = Symbol("main.f", pc, len(code), "text", Pos("x.s", 3))
    relocs = {pc + 1: ("main.missing", "CALL"), pc + 8: ("main.missing", "PCREL")}
    lines = [(pc, "x.s", 4), (pc + 5, "x.s", 5), (pc + 12, "x.s", 6)]
    text = Section("text", pc, bytearray(code), len(code))
    return Image({"text": text}, {"main.f": f}, lines, [f], relocs, ["main.missing"])


def test_unresolved_symbols_are_named_from_relocations() -> None:
    """Go cannot link these; we print them as it prints a defined symbol's references."""
    assert objdump(_unresolved_image()).splitlines() == [
        "TEXT main.f(SB) x.s",
        "  x.s:4\t\t\t0x401000\t\te8fbefbfff\t\tCALL main.missing(SB)\t\t",
        "  x.s:5\t\t\t0x401005\t\t488b05fcefbfff\t\tMOVQ main.missing+8(SB), AX\t",
        "  x.s:6\t\t\t0x40100c\t\tc3\t\t\tRET\t\t\t\t",
    ]
