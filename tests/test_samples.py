"""Every sample prints exactly its .out (standard output then standard error) and exits as Go would."""

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emu.cli import parser, run_config
from emu.run import Config, Limits, boot, build, run, run_process
from runtime.layout import G, P

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted(p.stem for p in (ROOT / "samples").glob("*.s") if p.with_suffix(".out").exists())
STATUS = {"deadlock": 2, "nilpanic": 2}  # non-zero exit statuses, as Go's would be (panics, deadlocks)


def sample_command(name: str) -> tuple[Config, Limits]:
    """How a sample is run: as its header says (`//\tGODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 goemu
    run --timeslice 20us samples/NAME.s`, environment and flags), else with the defaults; read by
    the command line's own parser. A runaway sample stops at 50M instructions."""
    text = (ROOT / "samples" / f"{name}.s").read_text()
    m = re.search(rf"^//\s+((?:\w+=\S*\s+)*)goemu run ((?:\S+\s+)*)samples/{name}\.s$", text, re.M)
    env = dict(v.split("=", 1) for v in m.group(1).split()) if m else {}
    flags = m.group(2).split() if m else []
    args = parser().parse_args(["run", "--max-insns", "50000000", *flags, f"samples/{name}.s"])
    return run_config(args, env)


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_output(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # tracebacks name files as given: samples/NAME.s
    out, err = io.BytesIO(), io.BytesIO()
    config, limits = sample_command(name)
    status = run([f"samples/{name}.s"], None, limits, out, err, config)
    assert out.getvalue() + err.getvalue() == (ROOT / "samples" / f"{name}.out").read_bytes()
    assert status == STATUS.get(name, 0)


def test_goemu_run_from_the_command_line():
    r = subprocess.run([sys.executable, "-m", "emu", "run", "samples/hello.s"], cwd=ROOT, capture_output=True)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"hello, world!\n", b"")


def test_nil_dereference_panics_like_go(tmp_path):
    src = tmp_path / "nil.s"
    src.write_text("TEXT main·main(SB), $0\n\tMOVQ $0, AX\n\tMOVQ (AX), BX\n\tRET\n")
    out, err = io.BytesIO(), io.BytesIO()
    assert run([str(src)], None, Limits(), out, err) == 2
    assert err.getvalue().decode() == (
        "panic: runtime error: invalid memory address or nil pointer dereference\n"
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x401007]\n"
        "\n"
        "goroutine 1 [running]:\n"
        "main.main()\n"
        f"\t{src}:3 +0x7\n"
    )


def test_wild_pointer_is_a_fatal_fault(tmp_path):
    src = tmp_path / "wild.s"
    src.write_text("TEXT main·main(SB), $0\n\tMOVQ $0xdead0000, AX\n\tMOVQ BX, (AX)\n\tRET\n")
    out, err = io.BytesIO(), io.BytesIO()
    assert run([str(src)], None, Limits(), out, err) == 2
    assert err.getvalue().decode().splitlines()[:3] == [
        "unexpected fault address 0xdead0000",
        "fatal error: fault",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0xdead0000 pc=0x401005]",
    ]


def test_max_insns_stops_a_spinning_program(tmp_path):
    src = tmp_path / "spin.s"
    src.write_text("TEXT main·main(SB), $0\nl:\n\tJMP l\n")
    out, err = io.BytesIO(), io.BytesIO()
    assert run([str(src)], None, Limits(max_insns=250_000), out, err) == 2
    assert err.getvalue() == b"goemu: stopped after --max-insns 250000 instructions (pc=0x401000 main.main)\n"


def test_unimplemented_runtime_gate_is_named(tmp_path):
    src = tmp_path / "gs.s"
    src.write_text("TEXT main·main(SB), $0\n\tCALL runtime·GC(SB)\n\tRET\n")
    out, err = io.BytesIO(), io.BytesIO()
    assert run([str(src)], None, Limits(), out, err) == 2
    assert err.getvalue() == b"goemu: runtime.GC is not implemented yet (runtime gate)\n"


def test_dead_goroutines_are_reused(tmp_path):
    """goexit0 puts a finished G on the P's free list (gfput) and newproc takes it back (gfget)."""
    src = tmp_path / "reuse.s"
    src.write_text(
        "DATA fv<>+0(SB)/8, $·nop(SB)\nGLOBL fv<>(SB), 8, $8\nGLOBL n<>(SB), 16, $8\n"
        "TEXT ·nop(SB), $0\n\tRET\n"
        "TEXT main·main(SB), $8-0\n\tMOVQ $100, n<>(SB)\nloop:\n\tLEAQ fv<>(SB), AX\n\tMOVQ AX, 0(SP)\n"
        "\tCALL runtime·newproc(SB)\n\tCALL runtime·Gosched(SB)\n\tDECQ n<>(SB)\n\tJNE loop\n\tRET\n"
    )  # a counter in memory: every register is the callee's to clobber in ABI0
    image, gates = build([str(src)])
    proc = boot(image, gates, io.BytesIO(), io.BytesIO(), Config(gomaxprocs=1))
    assert run_process(proc, Limits(max_insns=10_000_000)) == 0
    rt = proc.runtime
    # main, the runtime's three (forcegchelper, bgsweep, bgscavenge), and two for the program's
    # 100: each new goroutine reuses the one that exited, except once, when schedtick reaches 61
    # and findRunnable's fairness check runs main from the global queue before the new G has run.
    assert len(rt.allgs) == 6
    assert rt.sched.goidgen == 112  # but every goroutine got a new goid: 104 of them, in batches of 16
    assert rt.sched.ngsys == 3


def test_runs_are_deterministic(monkeypatch):
    """The same program gives the same output, instruction count and scheduler state every run."""
    monkeypatch.chdir(ROOT)

    def once():
        out, err = io.BytesIO(), io.BytesIO()
        image, gates = build(["samples/chanpipe.s"])
        proc = boot(image, gates, out, err)
        status = run_process(proc, Limits(max_insns=10_000_000))
        rt = proc.runtime
        ticks = [p.schedtick for p in rt.allp]
        return status, out.getvalue(), err.getvalue(), proc.executed, ticks, [G(rt.mem, g).goid for g in rt.allgs]

    first = once()
    assert first == once()
    assert first[5] == [1, 2, 3, 4, 5]  # main, the runtime's three, the producer


def test_goroutine_started_at_nil_faults_instead_of_stopping(tmp_path):
    """A jump to address 0 is a fault (a nil func call), not the end of an emulation slice. Its
    traceback has no program frame, so it is printed again with the runtime's, as in Go 1.19
    (whose own frames, panic and sigpanic, goemu does not have): goexit, at the pc the fault
    left as its return address."""
    src = tmp_path / "z.s"
    src.write_text(
        "GLOBL fv<>(SB), 8, $8\nTEXT main·main(SB), $8-0\n\tLEAQ fv<>(SB), AX\n\tMOVQ AX, 0(SP)\n"
        "\tCALL runtime·newproc(SB)\n\tCALL runtime·Gosched(SB)\n\tRET\n"
    )
    out, err = io.BytesIO(), io.BytesIO()
    assert run([str(src)], None, Limits(max_insns=1_000_000), out, err) == 2
    image = build([str(src)])[0]
    goexit_file, goexit_line = image.line_at(image.symbols["runtime.goexit"].addr + 1)  # CALL goexit1
    assert err.getvalue().decode() == (
        "panic: runtime error: invalid memory address or nil pointer dereference\n"
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x0]\n"
        "\n"
        "goroutine 5 [running]:\n"
        "runtime.goexit()\n"
        f"\t{goexit_file}:{goexit_line} +0x1\n"
        "created by main.main\n"
        f"\t{src}:5 +0x2d\n"
    )


def test_switch_order_is_deterministic_with_four_ps(monkeypatch):
    """Two runs of a four-P program execute the same goroutines on the same Ms and Ps at the same
    virtual times, and every P takes part (work stealing)."""
    monkeypatch.chdir(ROOT)

    def once() -> tuple:
        out, err = io.BytesIO(), io.BytesIO()
        image, gates = build(["samples/parallel.s"])
        proc = boot(image, gates, out, err, Config(gomaxprocs=4))
        rt, switches = proc.runtime, []
        execute = rt.execute

        def record(mp, gp, inherit):  # type: ignore[no-untyped-def]
            switches.append((mp.id, P(rt.mem, mp.p).id, gp.goid, rt.clock))
            return execute(mp, gp, inherit)

        rt.execute = record
        assert run_process(proc, Limits(max_insns=50_000_000)) == 0
        return switches, out.getvalue() + err.getvalue()

    first = once()
    assert first == once()
    switches = first[0]
    assert {p for _, p, _, _ in switches} == {0, 1, 2, 3}
    workers = [s for s in switches if s[2] in (5, 6, 7, 8)]
    assert len({m for m, _, _, _ in workers}) == 4  # the four workers ran on four different Ms


def test_println_lines_stay_whole_across_ms(monkeypatch):
    """printlock takes debuglock: with four Ps the producer and consumer run on two Ms at once,
    and their lines alternate but never mix."""
    monkeypatch.chdir(ROOT)
    out, err = io.BytesIO(), io.BytesIO()
    assert run(["samples/buffered.s"], None, Limits(max_insns=50_000_000), out, err, Config(gomaxprocs=4)) == 0
    lines = [f"{w} {i}" for i in range(5) for w in ("sent", "got")]
    assert err.getvalue().decode() == "\n".join(lines) + "\n"
