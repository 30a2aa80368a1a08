"""The machine: shared memory across CPUs and Python, FS-relative g, the image's sections in place."""

import struct

import pytest

from asm import assemble_source, link
from emu.machine import Machine
from emu.memory import ARENA_BASE, AddressSpace
from runtime.layout import G
from runtime.memory import MemoryFault

SRC = """
#include "textflag.h"
#include "go_tls.h"

DATA seven<>+0(SB)/8, $7
GLOBL seven<>(SB), RODATA|NOPTR, $8
GLOBL counter(SB), NOPTR, $8

// Reads this M's g from TLS twice (both Go forms) and its goid; bumps a shared counter.
TEXT ·probe(SB), NOSPLIT, $0
	MOVQ (TLS), R14
	get_tls(CX)
	MOVQ g(CX), BX
	MOVQ 152(R14), AX
	MOVQ seven<>(SB), DX
	ADDQ DX, counter(SB)
	MOVQ counter(SB), SI
done:
	NOP
	RET
"""


@pytest.fixture
def machine():
    image = link([assemble_source(SRC, "probe.s")])
    m = Machine(image)
    m.add_cpu()
    m.add_cpu()
    yield m
    m.close()


def test_each_cpu_reads_its_own_g_at_fs_minus_8(machine):
    machine.map("arena", ARENA_BASE, 1 << 20)
    probe = machine.image.symbols["main.probe"]
    end = probe.addr + probe.size - 1  # the RET
    for i, cpu in enumerate(machine.cpus):
        g = G(machine.space, ARENA_BASE + 0x1000 * (i + 1))
        g.goid = 100 + i
        machine.space.write(machine.g_slot(cpu), struct.pack("<Q", g.addr))
        stop = cpu.run(probe.addr, end)
        assert stop.error is None and stop.pc == end
        assert cpu.reg("r14") == cpu.reg("rbx") == g.addr
        assert cpu.reg("rax") == 100 + i
    # Both CPUs added 7 to the same counter; Python sees their stores.
    counter = machine.image.symbols["counter"].addr
    assert machine.space.read(counter, 8) == struct.pack("<Q", 14)
    assert machine.cpus[1].reg("rsi") == 14


def test_sections_are_loaded_and_protected(machine):
    probe = machine.image.symbols["main.probe"]
    assert machine.space.read(probe.addr, 9) == bytes.fromhex("644c8b3425f8ffffff")
    seven = machine.image.symbols["seven<>"].addr
    assert machine.space.read(seven, 8) == struct.pack("<Q", 7)
    # Text is not writable from the guest: a store faults.
    cpu = machine.cpus[0]
    code = assemble_source("TEXT ·w(SB), 4, $0\n\tMOVQ AX, (BX)\n\tRET\n", "w.s").texts[0].code
    machine.map("scratch", 0x200000, 0x1000, "rwx")
    machine.space.write(0x200000, code)
    cpu.set_reg("rbx", probe.addr)
    stop = cpu.run(0x200000, 0x200000 + len(code) - 1)
    assert stop.error is not None and stop.pc == 0x200000


def test_address_space_faults_and_overlaps():
    space = AddressSpace()
    space.map("a", 0x10000, 0x2000)
    with pytest.raises(MemoryFault):
        space.locate(0x11FF8, 16)  # runs past the region's end
    with pytest.raises(ValueError, match="overlaps a"):
        space.map("b", 0x11000, 0x1000)
    view, off = space.locate(0x10010, 8)
    view[off : off + 8] = b"abcdefgh"
    assert space.read(0x10010, 8) == b"abcdefgh"
    space.close()
