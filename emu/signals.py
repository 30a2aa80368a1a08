"""Emulated signal delivery: an M's pending signal is handled when its CPU is stopped between
slices, with the CPU's registers as the handler's context (runtime.signal)."""

from __future__ import annotations

from runtime import signal
from runtime.gates import SLOT_SP, fs_offset
from runtime.layout import G, M
from runtime.proc import Runtime

from .machine import CPU, Machine


class CPUContext:
    """sigctxt over a stopped CPU: the interrupted pc and sp, which the handler may change."""

    def __init__(self, cpu: CPU) -> None:
        self.cpu = cpu

    def sigpc(self) -> int:
        return self.cpu.reg("rip")

    def sigsp(self) -> int:
        return self.cpu.reg("rsp")

    def set_rip(self, pc: int) -> None:
        self.cpu.set_reg("rip", pc)

    def set_rsp(self, sp: int) -> None:
        self.cpu.set_reg("rsp", sp)


def deliver(machine: Machine, rt: Runtime, cpu: CPU, mp: M) -> None:
    """Run the handler of a signal sent to mp, if one is pending, on mp's CPU."""
    if mp.addr in rt.sigpending:
        # Stopped at a runtime call whose Python already ran (or blocked in one), the M is in
        # the runtime, on g0 in Go (mcall switched), though TLS still holds the G it left.
        g = machine.space.load(machine.g_slot(cpu), 8)
        if answered_gate(machine, cpu) or not g or G(machine.space, g).m != mp.addr:
            g = mp.g0
        signal.deliver(rt, mp, CPUContext(cpu), g)


def answered_gate(machine: Machine, cpu: CPU) -> bool:
    """Did the CPU stop at a runtime call whose Python already ran? (Its hook consumed SLOT_SP.)"""
    region = machine.space.region_at(cpu.reg("rip"))
    return region is not None and region.name == "gates" and not machine.space.load(cpu.fs_base + fs_offset(SLOT_SP), 8)
