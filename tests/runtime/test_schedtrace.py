"""GODEBUG=schedtrace=X[,scheddetail=1]: proc.go's schedtrace lines from sysmon every X ms of the
virtual clock, and with detail on a fatal error (startpanic_m), field by field."""

import io
import re
from pathlib import Path

from emu.run import Config, Limits, run
from runtime.debug import parsedebugvars

ROOT = Path(__file__).resolve().parents[2]
SCHED = re.compile(
    r"SCHED (?P<ms>\d+)ms: gomaxprocs=(?P<gomaxprocs>\d+) idleprocs=(?P<idleprocs>\d+) threads=(?P<threads>\d+)"
    r" spinningthreads=(?P<spinning>\d+) idlethreads=(?P<idlethreads>\d+) runqueue=(?P<runqueue>\d+)"
    r"(?: \[(?P<local>[\d ]+)\]| gcwaiting=0 nmidlelocked=\d+ stopwait=0 sysmonwait=\d+)$"
)
P_LINE = re.compile(r"  P(\d+): status=(\d) schedtick=(\d+) syscalltick=(\d+) m=(-?\d+) runqsize=(\d+) gfreecnt=(\d+)"
                    r" timerslen=(\d+)$")  # fmt: skip
M_LINE = re.compile(r"  M(\d+): p=(-?\d+) curg=(-?\d+) mallocing=(\d) throwing=(\d) preemptoff= locks=(\d+) dying=(\d)"
                    r" spinning=(true|false) blocked=(true|false) lockedg=(-?\d+)$")  # fmt: skip
G_LINE = re.compile(r"  G(\d+): status=(\d+)\(([^)]*(?:\([^)]*\))?)\) m=(-?\d+) lockedm=(-?\d+)$")


def run_sample(name: str, godebug: str, gomaxprocs: int = 0) -> tuple[int, str, str]:
    out, err = io.BytesIO(), io.BytesIO()
    config = Config(gomaxprocs=gomaxprocs, debug=parsedebugvars(godebug))
    status = run([str(ROOT / "samples" / f"{name}.s")], None, Limits(max_insns=50_000_000), out, err, config)
    return status, out.getvalue().decode(), err.getvalue().decode()


def test_schedtrace_lines_from_sysmon():
    """parallel.s: four workers spinning on four Ps; a line at sysmon's first tick, then every
    5 ms at the first tick after; the output of the program is unchanged."""
    status, out, err = run_sample("parallel", "schedtrace=5")
    assert status == 0
    program = [line for line in err.splitlines(keepends=True) if not line.startswith("SCHED")]
    assert out + "".join(program) == (ROOT / "samples" / "parallel.out").read_text()  # println: stderr
    traces = [SCHED.match(line) for line in err.splitlines() if line.startswith("SCHED")]
    assert all(traces) and len(traces) == 2
    first, second = (m.groupdict() for m in traces)  # type: ignore[union-attr]
    assert first == {"ms": "0", "gomaxprocs": "4", "idleprocs": "2", "threads": "5", "spinning": "0",
                     "idlethreads": "2", "runqueue": "0", "local": "0 0 0 0"}  # fmt: skip
    assert (second["ms"], second["idleprocs"], second["idlethreads"]) == ("6", "0", "0")  # all four run


def test_scheddetail_lists_every_p_m_and_g():
    status, out, err = run_sample("sleep", "schedtrace=5,scheddetail=1")
    assert status == 0
    lines = err.splitlines()
    first = lines[: 1 + 4 + 5 + 7]
    assert SCHED.match(first[0]) and " gcwaiting=0 nmidlelocked=0 stopwait=0 sysmonwait=0" in first[0]
    ps = [P_LINE.match(line).groups() for line in first[1:5]]  # type: ignore[union-attr]
    assert [p[0] for p in ps] == ["0", "1", "2", "3"]
    assert [p[7] for p in ps] == ["0", "1", "0", "2"]  # timerslen: the three sleepers' timers
    ms = [M_LINE.match(line).groups() for line in first[5:10]]  # type: ignore[union-attr]
    assert [m[0] for m in ms] == ["4", "3", "2", "1", "0"]  # allm: the newest first, sysmon's M1 included
    assert ms[3] == ("1", "-1", "-1", "0", "0", "2", "0", "false", "false", "-1")  # sysmon, printing
    assert [m[8] for m in ms] == ["true", "true", "false", "false", "true"]  # M2 waits in netpoll
    gs = [G_LINE.match(line).groups() for line in first[10:17]]  # type: ignore[union-attr]
    assert [(g[0], g[1], g[2]) for g in gs] == [
        ("1", "4", "chan receive"), ("2", "4", "force gc (idle)"), ("3", "4", "GC sweep wait"),
        ("4", "4", "GC scavenge wait"), ("5", "4", "sleep"), ("6", "4", "sleep"), ("7", "4", "sleep"),
    ]  # fmt: skip


def test_a_fatal_error_prints_the_detailed_trace_after_its_message():
    """throw/fatal: `fatal error: ...`, then schedtrace(true) from startpanic_m: the dying M has
    counted a malloc, is dying, holds paniclk and sched.lock, and says which throw; sysmon sleeps."""
    status, _, err = run_sample("deadlock", "schedtrace=1000")
    assert status == 2
    lines = err.splitlines()
    assert lines[0] == "fatal error: all goroutines are asleep - deadlock!"
    assert SCHED.match(lines[1])
    ms = {m[0]: m for m in (M_LINE.match(line).groups() for line in lines[6:11])}  # type: ignore[union-attr]
    assert ms["0"] == ("0", "-1", "-1", "1", "1", "2", "1", "false", "false", "-1")  # fatal(): throwTypeUser
    assert ms["1"][5] == "0"
    assert lines[16:18] == ["", "goroutine 1 [chan receive (nil chan)]:"]


def test_a_panic_prints_the_trace_before_its_message():
    status, _, err = run_sample("nilpanic", "scheddetail=1")
    assert status == 2
    lines = err.splitlines()
    assert SCHED.match(lines[0])
    m0 = next(M_LINE.match(line).groups() for line in lines if line.startswith("  M0:"))  # type: ignore[union-attr]
    assert m0 == ("0", "0", "1", "1", "0", "2", "1", "false", "false", "-1")  # a panic is no throw
    panic = lines.index("panic: runtime error: invalid memory address or nil pointer dereference")
    assert all(line.startswith("  ") for line in lines[1:panic])


def test_no_godebug_no_trace():
    status, _, err = run_sample("deadlock", "")
    assert "SCHED" not in err and status == 2
