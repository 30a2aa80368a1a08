"""`goemu bench [--quick] [--json]`: fixed workloads in one process, each figure next to the limit
of the engine (raw Unicorn, a Python crossing) measured in the same run.

The workloads: compute (a tight loop, fast and deterministic mode), switch (Gosched ping-pong,
one P), channel (unbuffered ping-pong), spawn (goroutines created and finished), preempt (four
spinners preempted by SIGURG), assemble (a large generated file, deterministic: a fixed seed, a
realistic mix of integer, SSE, stack and branch instructions in functions of 40-50 lines with
frames) and start-up (`goemu run samples/hello.s`). Each program checks its own work: a workload
whose output is wrong is reported as failed, whatever its speed.
"""

from __future__ import annotations

import gc
import io
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import unicorn

from asm.assemble import Options, assemble_source
from runtime.proc import CLOCK_START
from runtime.trace import Trace

from . import bench_programs as bp
from .run import SLICE, Config, Limits, boot, build, run_process

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



@dataclass
class Result:
    name: str
    value: float
    unit: str
    limit: float | None = None  # the engine's limit for this figure, measured in the same run
    limit_what: str = ""
    target: str = ""  # the project's goal for it (issue 7)
    ok: bool = True  # the program printed what it must
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.limit if self.limit else None


@dataclass
class Sizes:
    """How much each workload does (--quick: enough to check the outputs, nothing to measure)."""

    compute: int = 50_000_000  # loop iterations (2 instructions each)
    switch: int = 50_000  # Goscheds per goroutine
    channel: int = 30_000  # round trips
    spawn: int = 100_000  # goroutines
    preempt: int = 5_000_000  # loop iterations per spinner
    assemble: int = 50_000  # lines
    alive: int = 1_000_000  # goroutines alive at once
    startup: int = 3  # runs (the best counts)
    engine: int = 50_000_000  # loop iterations for the raw engine figures
    best_of: int = 3  # runs of each rate measured, of which the fastest counts (hosts are noisy)


QUICK = Sizes(compute=20_000, switch=200, channel=200, spawn=500, preempt=200_000, assemble=500, alive=1000,
              startup=1, engine=200_000, best_of=1)  # fmt: skip
_LOOP = b"\x48\xff\xc9\x75\xfb"  # DECQ CX; JNZ -5: the compute workload's loop, as bytes


def engine_limits(n: int, best_of: int = 1) -> dict[str, float]:
    """Raw Unicorn on the compute loop: instructions/s with no hooks and with the deterministic
    mode's instruction count; the cost of a Python hook call and of a stop and restart (what a
    runtime call that ends a slice costs), in seconds."""
    from unicorn import UC_ARCH_X86, UC_HOOK_CODE, UC_MODE_64, Uc
    from unicorn.x86_const import UC_X86_REG_RCX, UC_X86_REG_RIP

    base, end = 0x1000, 0x1000 + len(_LOOP)

    def machine() -> Uc:
        uc = Uc(UC_ARCH_X86, UC_MODE_64)
        uc.mem_map(base, 0x1000)
        uc.mem_write(base, _LOOP)
        return uc

    def timed(uc: Uc, iterations: int, count: int = 0) -> float:
        uc.reg_write(UC_X86_REG_RCX, iterations)
        t0 = time.perf_counter()
        pc = base
        while pc != end:
            uc.emu_start(pc, end, count=count)
            pc = uc.reg_read(UC_X86_REG_RIP)
        return time.perf_counter() - t0

    raw = min(timed(machine(), n) for _ in range(best_of))
    counted = min(timed(machine(), n, SLICE) for _ in range(best_of))
    hooked = machine()
    hooked.hook_add(UC_HOOK_CODE, lambda *a: None, None, base, base)
    calls = max(n // 20, 1000)
    hook = (timed(hooked, calls) - raw * calls / n) / calls
    stopping = machine()
    skip = [False]  # restarting at the stopped instruction fires its hook again: let it pass

    def stop(uc: Uc, *_: object) -> None:
        skip[0] = not skip[0]
        if skip[0]:
            uc.emu_stop()

    stopping.hook_add(UC_HOOK_CODE, stop, None, base + 3, base + 3)
    stops = max(n // 200, 1000)
    restart = timed(stopping, stops) / stops
    return {"raw": 2 * n / raw, "counted": 2 * n / counted, "hook": hook, "restart": restart}


def _run_program(text: str, n: int, config: Config, trace: Trace | None = None) -> tuple[str, float, int]:
    """Assemble and run a bench program with N = n: (what it printed, wall seconds of the run
    alone, virtual ns)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench.s")
        with open(path, "w") as f:
            f.write(text)
        image, gates = build([path], Options(defines={"N": str(n)}))
    out = io.BytesIO()
    proc = boot(image, gates, out, out, config)
    if trace is not None:
        trace.goname, trace.runqsize = str, lambda: 0
        proc.runtime.trace = trace
    gc.collect()  # not during the run: the garbage of the runs before (views, mappings) is large
    t0 = time.perf_counter()
    status = run_process(proc, Limits())
    wall = time.perf_counter() - t0
    virtual = proc.runtime.nanotime() - CLOCK_START
    proc.machine.close()
    return (out.getvalue().decode() if status == 0 else f"exit status {status}"), wall, virtual


@dataclass
class Alone:
    """A program run in a process of its own: exit status, what it printed on standard error
    (println's stream), wall seconds and the process's peak resident memory in bytes."""

    status: int
    err: str
    wall: float
    rss: int


def run_alone(text: str, flags: list[str], env: dict[str, str] | None = None) -> Alone:
    """`goemu run FLAGS` of a program (assembly text) in a process of its own, so that its peak
    memory is its own (os.wait4), with env added to the environment."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "prog.s")
        with open(path, "w") as f:
            f.write(text)
        t0 = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "emu", "run", *flags, path], stderr=subprocess.PIPE,
                                 env={**os.environ, **(env or {})})  # fmt: skip
        err = child.stderr.read() if child.stderr else b""
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
    return Alone(os.waitstatus_to_exitcode(status), err.decode(errors="replace"), wall, usage.ru_maxrss * 1024)


def _rate(text: str, n: int, small: int, config: Config, expect: str, best_of: int = 1) -> tuple[float, bool]:
    """Work units per second of a program, its start-up and the first `small` units subtracted
    (the best of `best_of` runs of each)."""
    ok, walls = True, []
    for units in (n, small):
        runs = [_run_program(text, units, config) for _ in range(best_of)]
        ok = ok and all(out == expect(units) for out, _, _ in runs)
        walls.append(min(wall for _, wall, _ in runs))
    return (n - small) / max(walls[0] - walls[1], 1e-9), ok


def bench(sizes: Sizes) -> tuple[dict[str, float], list[Result]]:
    limits = engine_limits(sizes.engine, sizes.best_of)
    crossing = 1 / limits["restart"]  # runtime calls/s if each cost one stop and restart
    results: list[Result] = []
    one = Config(gomaxprocs=1)

    spawn_rate, ok = _rate(bp.SPAWN, sizes.spawn, sizes.spawn // 10, one, lambda n: f"{n}\n", sizes.best_of)
    results.append(Result("spawn", spawn_rate, "goroutines/s", target=">= 50,000/s", ok=ok,
                          note=f"{sizes.spawn:,} goroutines started and finished, one P"))  # fmt: skip
    for name, config, limit, what in (
        ("compute (fast)", Config(fast=True), limits["raw"], "raw Unicorn, no hooks"),
        ("compute (deterministic)", Config(), limits["counted"], "raw Unicorn, count-limited"),
    ):
        rate, ok = _rate(bp.COMPUTE, sizes.compute, sizes.compute // 10, config, lambda n: "0\n", sizes.best_of)
        results.append(Result(name, 2 * rate, "instructions/s", limit, what, ">= 80% of the limit", ok))
    for name, config in (("switch (fast)", Config(gomaxprocs=1, fast=True)), ("switch (deterministic)", one)):
        rate, ok = _rate(bp.SWITCH, sizes.switch, sizes.switch // 10, config, lambda n: "2\n", sizes.best_of)
        results.append(Result(name, 2 * rate, "switches/s", crossing, "one stop and restart per switch",
                              ">= 100,000/s", ok, "Gosched ping-pong, one P"))  # fmt: skip
    rate, ok = _rate(bp.CHANNEL, sizes.channel, sizes.channel // 10, one, lambda n: f"{n - 1}\n", sizes.best_of)
    results.append(Result("channel", rate, "round trips/s", crossing / 4, "four runtime calls per round trip",
                          ok=ok, note="unbuffered ping-pong, one P"))  # fmt: skip
    preempts = Trace(str, lambda: 0)
    counted: list[int] = []
    preempts.consumers.append(lambda ev: counted.append(1) if ev.args.get("kind") == "async" else None)
    out, wall, virtual = _run_program(bp.PREEMPT, sizes.preempt, Config(gomaxprocs=1, timeslice=20_000), preempts)
    n = len(counted)
    results.append(Result("preempt", n / wall, "async preemptions/s", ok=out == "4\n",
                          note=f"{n:,} in {virtual / 1e6:.1f} ms of virtual time ({n / (virtual / 1e9):,.0f}/s"
                          " virtual), 4 spinners, one P, --timeslice 20us"))  # fmt: skip
    alone = run_alone(bp.ALIVE, ["-D", f"N={sizes.alive}"], {"GOMAXPROCS": "1"})
    out, wall, rss = (alone.err if alone.status == 0 else f"exit status {alone.status}"), alone.wall, alone.rss
    results.append(Result("alive", rss / 1e9, "GB peak RSS", target="< 8 GB at 1,000,000", ok=out == f"{sizes.alive + 1}\n",
                          note=f"{sizes.alive:,} goroutines alive at once, {rss / sizes.alive:,.0f} bytes each,"
                          f" created in {wall:.1f} s"))  # fmt: skip
    text = workload(sizes.assemble)
    t0 = time.perf_counter()
    assemble_source(text, "bench.s")
    results.append(Result("assemble", sizes.assemble / (time.perf_counter() - t0), "lines/s",
                          note=f"{sizes.assemble:,} generated lines, cold"))  # fmt: skip
    hello = Path(__file__).resolve().parents[1] / "samples" / "hello.s"
    best, ok = float("inf"), True
    for _ in range(sizes.startup):
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "emu", "run", str(hello)], capture_output=True)
        best = min(best, time.perf_counter() - t0)
        ok = ok and r.returncode == 0 and r.stdout == b"hello, world!\n"
    results.append(Result("start-up", best, "s", target="< 0.6 s", ok=ok, note="goemu run samples/hello.s"))
    return limits, results


def _num(v: float) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= scale:
            return f"{v / scale:.3g}{suffix}"
    return f"{v:.3g}"


def table(limits: dict[str, float], results: list[Result], quick: bool = False) -> str:
    """The results as a table; --quick's sizes measure nothing, so it shows only that each
    workload printed what it must."""
    if quick:
        lines = ["goemu bench --quick: each workload's output checked (sizes too small to measure)", ""]
        lines += [f"{r.name:<24} {'ok' if r.ok else 'FAILED: wrong output'}" for r in results]
        return "\n".join(lines) + "\n"
    lines = [
        f"goemu bench: Python {platform.python_version()}, unicorn {unicorn.__version__}, {os.cpu_count()} CPUs",
        f"engine: raw Unicorn {_num(limits['raw'])} instructions/s, count-limited {_num(limits['counted'])}/s;"
        f" a Python hook call {limits['hook'] * 1e6:.1f} us, a stop and restart {limits['restart'] * 1e6:.1f} us",
        "",
        f"{'workload':<24} {'figure':>26} {'limit':>10} {'ratio':>6}  {'target':<20} notes",
    ]
    for r in results:
        figure = f"{_num(r.value)} {r.unit}" if r.ok else "FAILED: wrong output"
        limit = _num(r.limit) if r.limit else ""
        ratio = f"{r.ratio:.0%}" if r.ratio is not None else ""
        note = "; ".join(x for x in (r.limit_what and f"limit: {r.limit_what}", r.note) if x)
        lines.append(f"{r.name:<24} {figure:>26} {limit:>10} {ratio:>6}  {r.target:<20} {note}")
    return "\n".join(lines) + "\n"


def main(quick: bool, as_json: bool) -> int:
    """`goemu bench` (its flags parsed by the command line): the table, and with as_json the
    results as JSON on standard output (the table then goes to standard error)."""
    limits, results = bench(QUICK if quick else Sizes())
    (sys.stderr if as_json else sys.stdout).write(table(limits, results, quick))
    if as_json:
        doc = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "commit": _commit(), "python": platform.python_version(),
               "unicorn": unicorn.__version__, "cpus": os.cpu_count(), "quick": quick, "limits": limits,
               "workloads": [{**asdict(r), "ratio": r.ratio} for r in results]}  # fmt: skip
        print(json.dumps(doc, indent=1))
    return 0 if all(r.ok for r in results) else 1


def _commit() -> str:
    """The checkout's commit (with -dirty for uncommitted changes), or "" outside a git checkout."""
    try:
        r = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(__file__).resolve().parents[1],
                           capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    return r.stdout.strip() if r.returncode == 0 else ""
