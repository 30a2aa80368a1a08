"""goemu run --stats: the counters equal what the samples must produce, the instruction count is
exact (the same as a per-instruction count), and the table's layout."""

import io
import re
from pathlib import Path

import pytest

from emu import run as emurun
from emu.cli import main
from emu.run import Config, Limits, Observe, run
from runtime.debug import DebugVars

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"\s+(\S.*?)\s{2,}(\S.*)$")


def stats_of(name: str, config: Config) -> tuple[str, dict[str, str]]:
    """The program's output and the table's rows (name -> value) of a run with --stats."""
    out, err = io.BytesIO(), io.BytesIO()
    status = run([str(ROOT / "samples" / f"{name}.s")], None, Limits(), out, err, config, Observe(stats=True))
    assert status == 0
    text = err.getvalue().decode()
    program, sep, table = text.partition("goemu run statistics:\n")
    assert sep, text
    rows = dict(m.groups() for m in map(ROW.match, table.splitlines()) if m)  # type: ignore[misc]
    assert len(rows) == len(table.splitlines())
    return out.getvalue().decode() + program, rows


def test_runq300_creates_300_goroutines_that_all_exit():
    output, rows = stats_of("runq300", Config(gomaxprocs=1))
    assert output == (ROOT / "samples" / "runq300.out").read_text()
    assert rows["goroutines created"] == "300" and rows["peak goroutines"] == "301"
    assert rows["goexit"] == "300"
    assert rows["steals"] == "0 (0 goroutines)"
    assert rows["async preempt"] == rows["sync preempt"] == rows["syscall"] == "0"


def test_runq300_on_four_ps_steals():
    """With four Ps, idle Ps steal the new workers from main's P as they are made."""
    _, rows = stats_of("runq300", Config(gomaxprocs=4))
    assert rows["goroutines created"] == "300" and rows["goexit"] == "300"
    assert rows["steals"] == "303 (303 goroutines)"


def test_tightloop_is_preempted_asynchronously_once_per_timeslice():
    """main spins without calls: only SIGURG stops it, once the 1 ms timeslice is over; the printer
    then exits the program."""
    _, rows = stats_of("tightloop", Config(gomaxprocs=1, timeslice=1_000_000))
    assert rows["async preempt"] == "1" and rows["sync preempt"] == "0"
    assert rows["preemption requests"] == "1"
    assert rows["goroutines created"] == "1" and rows["peak goroutines"] == "2"
    assert rows["virtual time"] == "1.020 ms (1,020,111 ns)"


def test_pool_long_jobs_are_preempted_asynchronously():
    """samples/pool.s with a 100 us timeslice (the README's picture): the long jobs spin past it."""
    output, rows = stats_of("pool", Config(timeslice=100_000))
    assert output == (ROOT / "samples" / "pool.out").read_text()
    assert rows["async preempt"] == "15" and rows["park"] == "57" and rows["switches"] == "72"
    assert rows["goroutines created"] == "6" and rows["peak goroutines"] == "7"
    assert rows["instructions"] == "2,826,808" and rows["virtual time"] == "1.342 ms (1,341,851 ns)"


def test_callloop_is_preempted_synchronously_without_async_preemption():
    _, rows = stats_of("callloop", Config(gomaxprocs=1, debug=DebugVars(asyncpreemptoff=1)))
    assert rows["sync preempt"] == "1" and rows["async preempt"] == "0"


def test_growstack_grows_its_stack_eleven_times():
    """A 100,000-deep recursion from an 8 KiB stack: 8 KiB -> 16 MiB in 11 doublings."""
    _, rows = stats_of("growstack", Config(gomaxprocs=1))
    assert rows["stack growths"] == "11"
    assert rows["peak memory"] == "12.0 MiB (heap 19.1 KiB, stacks 12.0 MiB)"


def test_blocked_syscall_counts_as_a_syscall_switch():
    _, rows = stats_of("blocksyscall", Config(gomaxprocs=1))
    assert rows["syscall"] == "1"


def test_table_layout():
    """Every row of the table, in order; timing rows are host-dependent and only shaped."""
    _, rows = stats_of("pingpong", Config(gomaxprocs=1))
    assert list(rows) == [
        "instructions", "virtual time", "wall time", "emulated MIPS", "switches", "park", "Gosched",
        "sync preempt", "async preempt", "goyield", "goexit", "syscall", "preemption requests", "steals",
        "stack growths", "goroutines created", "peak goroutines", "peak memory",
    ]  # fmt: skip
    assert rows["instructions"] == "1,061"
    assert re.fullmatch(r"\d+\.\d{3} s", rows["wall time"]) and re.fullmatch(r"\d+\.\d\d", rows["emulated MIPS"])
    assert rows["switches"] == "17" and rows["Gosched"] == "10" and rows["park"] == "5" and rows["goexit"] == "2"


@pytest.mark.parametrize("name,gomaxprocs", [("pingpong", 1), ("blocksyscall", 1), ("chanpipe", 4), ("sleep", 4)])
def test_instruction_count_is_exact(name: str, gomaxprocs: int, monkeypatch):
    """The block-hook count of each CPU equals a count of the instructions it executed, made by a
    per-instruction hook (which also fires for the instruction a CPU stops at, before executing
    it: that one is taken back when the CPU stops there). Tracing does not change the output."""
    counts: list[int] = []
    last: dict[int, int] = {}

    def on_insn(cpu):  # type: ignore[no-untyped-def]
        counts.append(0)

        def hook(uc, address, size, data):  # type: ignore[no-untyped-def]
            counts[cpu.index] += 1
            last[cpu.index] = address

        return hook

    cpu_run = emurun.CPU.run

    def run_then_take_back(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        last.pop(self.index, None)
        stop = cpu_run(self, *args, **kwargs)
        if last.get(self.index) == stop.pc:
            counts[self.index] -= 1
        return stop

    monkeypatch.setattr(emurun.CPU, "run", run_then_take_back)
    image, gates = emurun.build([str(ROOT / "samples" / f"{name}.s")])
    out = io.BytesIO()
    proc = emurun.boot(image, gates, out, out, Config(gomaxprocs=gomaxprocs), on_insn=on_insn, tracing=True)
    assert emurun.run_process(proc, Limits()) == 0
    assert proc.counter is not None and proc.counter.total == counts
    assert len(counts) >= 2 and min(counts) > 0
    assert out.getvalue().decode() == (ROOT / "samples" / f"{name}.out").read_text()


def test_stats_is_refused_with_fast(capsys):
    assert main(["run", "--stats", "--fast", str(ROOT / "samples" / "hello.s")]) == 2
    assert capsys.readouterr().err == "goemu run: --stats needs the deterministic clock, not --fast\n"
