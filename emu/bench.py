"""Assembler throughput on a large generated file (the assemble workload of the coming `goemu bench`).

    python -m emu.bench [LINES]

prints lines per second for a cold assembly (no cache) and for a cached one. The generated file is
deterministic (a fixed seed): the same text on every machine and run, a realistic mix of integer,
SSE, stack and branch instructions in functions of 40-50 lines with frames, so the prologue, branch
sizing and one keystone batch per file are all exercised.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time

from asm.assemble import assemble_source

_REGS = "AX BX CX DX SI DI R8 R9 R10 R11 R12 R13 R15".split()
_OPS = [
    "MOVQ {r1}, {r2}", "ADDQ ${i}, {r1}", "MOVQ {d}({r1}), {r2}", "MOVQ {r1}, {d}({r2})(R8*8)",
    "LEAQ {d}({r1})({r2}*4), {r2}", "CMPQ {r1}, ${i}", "XORL {r1}, {r2}", "MOVL ${i}, {r1}",
    "SHLQ ${s}, {r1}", "IMULQ {r1}, {r2}", "MOVBQZX ({r1}), {r2}", "ADDSD X1, X2", "MOVOU ({r1}), X3",
    "TESTQ {r1}, {r2}", "CMOVQEQ {r1}, {r2}", "SETEQ AL", "MOVQ x+8(FP), {r1}", "INCQ {r1}", "NEGQ {r1}",
    "ANDQ ${i}, {r1}", "MOVQ {r1}, y-8(SP)", "CALL ·f0(SB)", "PUSHQ {r1}; POPQ {r1}",
]  # fmt: skip


def workload(lines: int = 50_000, seed: int = 1) -> str:
    """A deterministic assembly file of about `lines` lines."""
    rnd = random.Random(seed)
    out = ['#include "textflag.h"']
    f = 0
    while len(out) < lines - 1:
        out.append(f"TEXT ·f{f}(SB), $32-16")
        f += 1
        for k in range(40):
            if k % 10 == 9:
                out.append(f"l{k}:")
            op = rnd.choice(_OPS).format(
                r1=rnd.choice(_REGS), r2=rnd.choice(_REGS), i=rnd.randint(-1000, 100_000),
                d=rnd.randint(-64, 4096), s=rnd.randint(1, 63),
            )  # fmt: skip
            out.append("\t" + op)
            if k % 10 == 5:
                out.append(f"\tJNE l{k + 4}")
        out.append("\tRET")
    return "\n".join(out[:lines]) + "\n"


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 50_000
    text = workload(n)
    lines = text.count("\n")
    t0 = time.perf_counter()
    assemble_source(text, "bench.s")
    cold = time.perf_counter() - t0
    from asm import cache

    with tempfile.TemporaryDirectory() as d:
        os.environ["GOEMU_CACHE"] = d
        cache.assemble_text("bench.s", text)
        t0 = time.perf_counter()
        cache.assemble_text("bench.s", text)
        cached = time.perf_counter() - t0
    print(f"assemble {lines} lines: {cold:.2f} s cold, {lines / cold:,.0f} lines/s; cached {cached * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
