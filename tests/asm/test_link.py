"""The linker: layout, relocations, file-local symbols, the pc -> line table."""

import struct

import pytest

from asm.assemble import assemble_source
from asm.errors import AsmError
from asm.link import TEXT_BASE, link

HEADER = '#include "textflag.h"\n'

A = (
    HEADER
    + """
DATA tab<>+0(SB)/8, $·g(SB)
DATA tab<>+8(SB)/8, $77
GLOBL tab<>(SB), RODATA, $16
GLOBL counter(SB), NOPTR, $8

TEXT ·f(SB), NOSPLIT, $0
	MOVQ tab<>+8(SB), AX
	CALL ·g(SB)
	MOVQ (TLS), R14
	RET
"""
)

B = (
    HEADER
    + """
DATA tab<>+0(SB)/8, $5
GLOBL tab<>(SB), RODATA, $8

TEXT ·g(SB), NOSPLIT, $0
	MOVQ tab<>(SB), BX
	MOVQ BX, counter(SB)
	RET
"""
)


def image():
    return link([assemble_source(A, "a.s"), assemble_source(B, "b.s")])


def test_text_layout_and_alignment():
    img = image()
    f, g = img.symbols["main.f"], img.symbols["main.g"]
    assert f.addr == TEXT_BASE
    assert g.addr == TEXT_BASE + 32  # f is 22 bytes; functions start on 32-byte boundaries
    assert img.read(f.addr + f.size, g.addr - f.addr - f.size) == b"\xcc" * (g.addr - f.addr - f.size)


def test_call_and_pcrel_relocations_resolve():
    img = image()
    f, g = img.symbols["main.f"], img.symbols["main.g"]
    code = img.read(f.addr, f.size)
    # MOVQ tab<>+8(SB), AX: 48 8b 05 rel32, relative to the end of the instruction.
    (rel,) = struct.unpack_from("<i", code, 3)
    assert f.addr + 7 + rel == img.symbols["tab<>"].addr + 8
    # CALL ·g(SB): e8 rel32
    assert code[7] == 0xE8
    (rel,) = struct.unpack_from("<i", code, 8)
    assert f.addr + 12 + rel == g.addr
    # MOVQ (TLS), R14: the g slot at FS:-8
    assert code[12:21] == bytes.fromhex("644c8b3425f8ffffff")


def test_file_local_symbols_are_per_file():
    img = image()
    g = img.symbols["main.g"]
    code = img.read(g.addr, g.size)
    (rel,) = struct.unpack_from("<i", code, 3)
    b_tab = g.addr + 7 + rel
    assert img.read(b_tab, 8) == struct.pack("<q", 5)  # b.s's tab<>, not a.s's


def test_data_address_relocation_and_sections():
    img = image()
    tab = img.symbols["tab<>"]  # a.s's, listed first
    assert tab.section == "rodata"
    assert img.read(tab.addr, 16) == struct.pack("<QQ", img.symbols["main.g"].addr, 77)
    counter = img.symbols["counter"]
    assert counter.section == "noptrbss" and counter.addr % 8 == 0
    assert img.sections["rodata"].addr % 0x1000 == 0


def test_externals_and_lines():
    obj = assemble_source(HEADER + "TEXT ·h(SB), NOSPLIT, $0\n\tNOP\n\tCALL runtime·gate(SB)\n\tRET\n", "h.s")
    img = link([obj], externals={"runtime.gate": 0x500000})
    h = img.symbols["main.h"]
    (rel,) = struct.unpack_from("<i", img.read(h.addr + 1, 4))
    assert h.addr + 5 + rel == 0x500000
    assert img.line_at(h.addr) == ("h.s", 4)
    assert img.line_at(h.addr + 5) == ("h.s", 5)
    assert img.symbol_at(h.addr + 5).name == "main.h"


def test_symbols_and_sections_past_two_gigabytes_are_too_large():
    """cmd/link's cutoff (2e9 bytes) for one symbol, and for the sum in a section; nothing of
    that size is allocated before it says so."""
    big = assemble_source('#include "textflag.h"\nGLOBL ·x(SB), NOPTR, $4294967296000\n', "big.s")
    with pytest.raises(AsmError) as e:
        link([big])
    assert str(e.value) == "big.s:2:1: main.x: symbol too large (4294967296000 bytes)"
    two = assemble_source('#include "textflag.h"\nGLOBL ·a(SB), NOPTR, $1500000000\nGLOBL ·b(SB), NOPTR, $1500000000\n', "two.s")
    with pytest.raises(AsmError) as e:
        link([two])
    assert str(e.value) == "too much data in section noptrbss (over 2000000000 bytes)"
