"""`goemu run --trace FILE.json`: the trace files the writer (emu/tracefile.py) makes of real runs of
the samples, checked against the format (/tmp/spec/trace_format.md, Go 1.19's `go tool trace`
layout) and against what each sample does. The clock is virtual, so every trace is exact: the same
program gives the same events at the same times, and the tests say which."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest
from tracecheck import problems  # tests/emu/tracecheck.py (pytest puts tests/emu on sys.path)

from emu.cli import main
from emu.run import Config, Limits, Observe, run
from runtime.debug import DebugVars

ROOT = Path(__file__).resolve().parents[2]
TINY = 0.0001  # a zero-length slice's dur (µs), as Go's makeSlice gives it
SYSCALLS = 1000003  # the fake row of events with no P

# How each sample is traced: as its header says (GOMAXPROCS=1), but runq300 on the default 4 Ps (so
# that Ps steal) and tightloop with a 1 ms timeslice (so that sysmon preempts main 1 ms in).
CONFIGS: dict[str, Callable[[], Config]] = {
    "pingpong": lambda: Config(gomaxprocs=1),
    "runq300": lambda: Config(),
    "blocksyscall": lambda: Config(gomaxprocs=1),
    "growstack": lambda: Config(gomaxprocs=1),
    "tightloop": lambda: Config(gomaxprocs=1, timeslice=1_000_000),
    "workers": lambda: Config(gomaxprocs=1),
    "sleep": lambda: Config(),
}
SAMPLES = list(CONFIGS)


class Run(NamedTuple):
    status: int
    stdout: bytes
    stderr: bytes
    trace: str  # the trace file's text; "" when not traced


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    """Samples are named as a user names them (samples/NAME.s): otherData's "program" says so."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GOMAXPROCS", raising=False)
    monkeypatch.delenv("GODEBUG", raising=False)


def run_sample(name: str, traced: bool, config: Config | None = None) -> Run:
    """Run samples/NAME.s as CONFIGS says (or with config), with a trace written as it goes."""
    out, err, trace = io.BytesIO(), io.BytesIO(), io.StringIO()
    observe = Observe(trace=trace) if traced else Observe()
    config = config or CONFIGS[name]()
    status = run([f"samples/{name}.s"], None, Limits(max_insns=50_000_000), out, err, config, observe)
    return Run(status, out.getvalue(), err.getvalue(), trace.getvalue())


@cache
def traced(name: str) -> Run:
    """The traced run of a sample, made once for all the tests that look at it."""
    return run_sample(name, traced=True)


@cache
def doc_of(name: str) -> dict:
    return json.loads(traced(name).trace)


def events(name: str, ph: str, event: str | None = None) -> list[dict]:
    """The sample's events of kind ph (and that name), in file order."""
    return [e for e in doc_of(name)["traceEvents"] if e["ph"] == ph and (event is None or e["name"] == event)]


def slices(name: str) -> list[dict]:
    """The goroutine slices in time order (a zero-length one before the slice starting at its end)."""
    return sorted(events(name, "X"), key=lambda e: (e["ts"], e["ts"] + e["dur"]))


def flows(name: str, arrow: str) -> list[tuple[dict, dict]]:
    """The (start, step) pairs of the arrows called arrow, in id order."""
    ends: dict[int, dict[str, dict]] = {}
    for e in events(name, "s", arrow) + events(name, "t", arrow):
        ends.setdefault(e["id"], {})[e["ph"]] = e
    return [(ends[i]["s"], ends[i]["t"]) for i in sorted(ends)]


def counter(name: str, which: str) -> list[dict[str, int]]:
    return [e["args"] for e in events(name, "C", which)]


# ---- 1. structure ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_structure(name):
    """A valid viewer file: JSON (one event per line), the validator's checks passed, ns display, otherData naming the program and GOMAXPROCS,
    metadata naming PROCS and STATS and a "Proc N" row for every P up to the highest one used."""
    text = traced(name).trace
    doc = json.load(io.StringIO(text))
    assert problems(doc) == []
    lines = text.splitlines()
    assert lines[0].startswith('{"displayTimeUnit": "ns", "otherData": ') and lines[-1] == "]}"
    assert [json.loads(line.removesuffix(",")) for line in lines[1:-1]] == doc["traceEvents"]
    gomaxprocs = CONFIGS[name]().gomaxprocs
    assert doc["displayTimeUnit"] == "ns"
    assert doc["otherData"] == {
        "generator": "goemu", "program": f"samples/{name}.s", "gomaxprocs": gomaxprocs, "clock": "virtual",
    }  # fmt: skip
    meta = events(name, "M")
    assert [(e["pid"], e["args"]) for e in meta if e["name"] == "process_name"] == [
        (0, {"name": "PROCS"}), (1, {"name": "STATS"}),
    ]  # fmt: skip
    assert [(e["pid"], e["args"]) for e in meta if e["name"] == "process_sort_index"] == [
        (0, {"sort_index": 2}), (1, {"sort_index": 0}),
    ]  # fmt: skip
    used = {e["tid"] for e in doc["traceEvents"] if e["ph"] in "XIst"}
    highest = max(t for t in used if t != SYSCALLS)
    assert highest < gomaxprocs
    rows = [*range(highest + 1), *([SYSCALLS] if SYSCALLS in used else [])]
    names = {e["tid"]: e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    assert names == {t: "Syscalls" if t == SYSCALLS else f"Proc {t}" for t in rows}
    orders = {e["tid"]: e["args"]["sort_index"] for e in meta if e["name"] == "thread_sort_index"}
    assert orders == {t: -3 if t == SYSCALLS else t for t in rows}
    assert all(e["pid"] == 0 for e in doc["traceEvents"] if e["ph"] in "XIst")
    assert all(e["pid"] == 1 for e in doc["traceEvents"] if e["ph"] == "C")


@pytest.mark.parametrize("name", SAMPLES)
def test_slices_are_well_formed(name):
    """Every slice names its goroutine (G<goid> <function>, as its args say), ends for one of the
    reasons the format lists (never the writer's "?" for a slice left open), and lasts > 0."""
    ends = re.compile(r"park: .+|gosched|preempt \((async|sync)\)|goexit|syscall|exit|freeze")
    for e in events(name, "X"):
        args = e["args"]
        assert e["name"] == f"G{args['goid']} {args['function']}"
        assert ends.fullmatch(args["end"]), args["end"]
        assert e["dur"] > 0
    # the program's end closes the last slice of main, still running: "exit"
    assert slices(name)[-1]["args"]["end"] == "exit"


# ---- 2. pingpong, exactly ---------------------------------------------------------------------------

# GOMAXPROCS=1 pingpong: runtime.main (locked to M0 during init) parks on gcenable's channel, the
# runtime's three goroutines run and park, then main starts "ping" (G5) and "pong" (G6) and Goscheds:
# pong, in runnext, runs first; each player prints and Goscheds three times, then exits (pingpong.out:
# pong 0, ping 0, pong 1, ...), main Goscheds until both are done and exits.
PINGPONG = [
    (0, "G1 runtime.main", "park: chan receive"),
    (0, "G4 runtime.bgscavenge", "park: GC scavenge wait"),
    (0, "G1 runtime.main", "park: chan receive"),
    (0, "G2 runtime.forcegchelper", "park: force gc (idle)"),
    (0, "G3 runtime.bgsweep", "park: GC sweep wait"),
    (0, "G1 runtime.main", "gosched"),
    (0, "G6 main.player", "gosched"),  # pong 0
    (0, "G5 main.player", "gosched"),  # ping 0
    (0, "G1 runtime.main", "gosched"),
    (0, "G6 main.player", "gosched"),  # pong 1
    (0, "G5 main.player", "gosched"),  # ping 1
    (0, "G1 runtime.main", "gosched"),
    (0, "G6 main.player", "gosched"),  # pong 2
    (0, "G5 main.player", "gosched"),  # ping 2
    (0, "G1 runtime.main", "gosched"),
    (0, "G6 main.player", "goexit"),
    (0, "G5 main.player", "goexit"),
    (0, "G1 runtime.main", "exit"),
]


def test_pingpong_slices():
    """Every slice, in time order: (row, goroutine, why it ended)."""
    assert [(e["tid"], e["name"], e["args"]["end"]) for e in slices("pingpong")] == PINGPONG
    assert (ROOT / "samples" / "pingpong.out").read_text().split("\n")[:6:2] == ["pong 0", "pong 1", "pong 2"]


def test_pingpong_times():
    """Virtual µs: a round of runtime calls counts 1 µs, so main runs again at 1 and 2 µs. G4 runs
    its 43 instructions on another M once main's M gave up the P (at 95 ns), G2 and G3 likewise
    after main parks at 1.032 µs."""
    first = [(e["ts"], e["dur"]) for e in slices("pingpong")[:9]]
    assert first == [(0.0, 0.095), (0.095, 0.043), (1.0, 0.032), (1.032, 0.03), (1.062, 0.049),
                     (2.0, 0.069), (2.069, 0.096), (2.165, 0.096), (2.261, 0.03)]  # fmt: skip
    last = slices("pingpong")[-1]
    assert (last["ts"], last["dur"]) == (2.783, 0.033)


def test_pingpong_arrows():
    """Every "go" and "unblock" arrow, exactly: (from ts, to ts), all on Proc 0."""
    arrows = {a: [(s["ts"], t["ts"]) for s, t in flows("pingpong", a)] for a in ("go", "unblock", "sysexit")}
    assert arrows == {
        "go": [(0.0, 0.0), (0.083, 0.095), (0.048, 1.032), (0.072, 1.062), (2.058, 2.069), (2.047, 2.165)],
        "unblock": [(0.126, 1.0), (1.099, 2.0)],  # G4, then G3 send on gcenable's channel: main runs
        "sysexit": [],
    }
    assert {e["tid"] for e in events("pingpong", "s") + events("pingpong", "t")} == {0}


# ---- 3. tracing does not change the run ------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_tracing_does_not_change_the_run(name):
    """The program's stdout, stderr and exit status are the same traced or not (and are its .out)."""
    plain = run_sample(name, traced=False)
    assert plain.trace == ""
    assert traced(name)[:3] == plain[:3]
    if name != "runq300":  # traced on 4 Ps, not on the one its .out was made with
        assert plain.stdout + plain.stderr == (ROOT / "samples" / f"{name}.out").read_bytes()


def test_tracing_with_schedtrace():
    """GODEBUG=schedtrace=5: sysmon's SCHED lines, among the program's on stderr, are the same with
    the trace, and so is the trace (every P is idle whenever sysmon prints)."""
    plain = run_sample("sleep", traced=False, config=Config(debug=DebugVars(schedtrace=5)))
    with_trace = run_sample("sleep", traced=True, config=Config(debug=DebugVars(schedtrace=5)))
    assert with_trace[:3] == plain[:3]
    lines = plain.stderr.decode().splitlines(keepends=True)
    sched = [line.split(":")[0] for line in lines if line.startswith("SCHED ")]
    assert sched == ["SCHED 0ms", "SCHED 6ms", "SCHED 11ms", "SCHED 21ms"]  # sysmon's ticks, as it slows down
    program = "".join(line for line in lines if not line.startswith("SCHED "))
    assert plain.stdout.decode() + program == (ROOT / "samples" / "sleep.out").read_text()
    assert json.loads(with_trace.trace)["traceEvents"] == doc_of("sleep")["traceEvents"]


# ---- 4. specific events -----------------------------------------------------------------------------


def instants(name: str, event: str) -> list[tuple[int, float, dict]]:
    return [(e["tid"], e["ts"], e["args"]) for e in events(name, "I", event)]


def test_blocksyscall_events():
    """The sleeper (G5) enters nanosleep(5ms) at 2.163 µs; sysmon's first tick (20 µs) retakes
    its P (its slice ends "syscall") and hands it off to a new M, which runs the worker (G6); at
    5002.01 µs the sleeper is back on the idle P: "sysexit" instant, arrow to its new slice."""
    assert instants("blocksyscall", "syscall") == [(0, 2.163, {"goid": 5})]
    sleeper = [e for e in slices("blocksyscall") if e["args"]["goid"] == 5]
    assert [(e["ts"], e["dur"], e["args"]["end"]) for e in sleeper] == [(2.072, 17.928, "syscall"),
                                                                       (5002.01, 0.076, "goexit")]  # fmt: skip
    worker = [(e["ts"], e["args"]["end"]) for e in slices("blocksyscall") if e["args"]["goid"] == 6]
    assert worker == [(20.0, "goexit")]
    stops = instants("blocksyscall", "proc stop")
    assert (0, 20.0, {}) in stops  # retake
    assert instants("blocksyscall", "sysexit") == [(0, 5002.01, {"goid": 5})]
    assert [(s["tid"], s["ts"], t["tid"], t["ts"]) for s, t in flows("blocksyscall", "sysexit")] == [
        (0, 5002.01, 0, 5002.01)
    ]
    threads = counter("blocksyscall", "Threads")
    assert max(c["InSyscall"] for c in threads) == 1 and threads[-1]["InSyscall"] == 0


def test_growstack_stack_growth():
    """Eleven copies, each to a stack twice as big: 2 KiB ... 4 MiB, all of main's."""
    growth = instants("growstack", "stack growth")
    sizes = [(a["old"], a["new"]) for _, _, a in growth]
    assert sizes == [(2048 << i, 4096 << i) for i in range(11)]
    assert {(tid, a["goid"]) for tid, _, a in growth} == {(0, 1)}
    assert [ts for _, ts, _ in growth] == [2.454, 3.276, 4.878, 7.995, 14.202, 26.544, 51.186, 100.383,
                                           198.75, 395.412, 788.694]  # fmt: skip
    main = slices("growstack")[-1]
    assert main["ts"] < growth[0][1] and growth[-1][1] < main["ts"] + main["dur"]


def test_tightloop_async_preemption():
    """With a 1 ms timeslice sysmon asks main (started at 2 µs) to stop at 1020 µs and the SIGURG
    preempts it asynchronously; the printer then runs until it exits the program."""
    assert instants("tightloop", "preempt") == [(0, 1020.0, {"goid": 1, "kind": "request"}),
                                                (0, 1020.039, {"goid": 1, "kind": "async"})]  # fmt: skip
    tail = [(e["name"], e["ts"], e["args"]["end"]) for e in slices("tightloop")[-2:]]
    assert tail == [("G1 runtime.main", 2.0, "preempt (async)"), ("G5 main.printer", 1020.039, "exit")]
    assert slices("tightloop")[-2]["dur"] == 1018.039


def test_runq300_steals_and_workers():
    """On 4 Ps the idle Ps steal every goroutine main creates, one at a time, from Proc 0: the
    runtime's three and the 300 workers, which each run once and exit."""
    steals = instants("runq300", "steal")
    assert len(steals) == 303
    assert {(a["from"], a["n"]) for _, _, a in steals} == {("Proc 0", 1)}
    assert Counter(tid for tid, _, _ in steals) == {1: 152, 2: 76, 3: 75}
    workers = [e for e in slices("runq300") if e["args"]["function"] == "main.worker"]
    assert len(workers) == 300 and {e["args"]["end"] for e in workers} == {"goexit"}
    assert sorted(e["args"]["goid"] for e in workers) == list(range(5, 305))
    assert {e["tid"] for e in workers} == {1, 2, 3}


def slice_starting(name: str, tid: int, ts: float, goids: set[int]) -> dict:
    """The slice on row tid starting at ts of one of goids (there is exactly one)."""
    found = [e for e in events(name, "X") if e["tid"] == tid and e["ts"] == ts and e["args"]["goid"] in goids]
    assert len(found) == 1, (tid, ts, goids)
    return found[0]


@pytest.mark.parametrize("name", SAMPLES)
def test_unblock_arrows_end_where_the_readied_goroutine_starts(name):
    """An "unblock" arrow leaves an "unblock" instant and lands on the start of a slice of the
    goroutine that instant readied; a "sysexit" arrow likewise from a "sysexit" instant."""
    for arrow in ("unblock", "sysexit"):
        for s, t in flows(name, arrow):
            goids = {a["goid"] for tid, ts, a in instants(name, arrow) if (tid, ts) == (s["tid"], s["ts"])}
            assert goids, (arrow, s)
            slice_starting(name, t["tid"], t["ts"], goids)
        # every goroutine readied here runs again before the program ends: one arrow per instant
        assert len(flows(name, arrow)) == len(instants(name, arrow))


@pytest.mark.parametrize("name", SAMPLES)
def test_go_arrows_end_at_first_slices(name):
    """Every goroutine that ran has one "go" arrow, from the "newproc" instant that created it to
    its first slice."""
    first: dict[int, dict] = {}
    for e in slices(name):
        first.setdefault(e["args"]["goid"], e)
    landed = []
    for s, t in flows(name, "go"):
        goids = {a["goid"] for tid, ts, a in instants(name, "newproc") if (tid, ts) == (s["tid"], s["ts"])}
        g = slice_starting(name, t["tid"], t["ts"], goids & first.keys())
        assert g is first[g["args"]["goid"]]
        landed.append(g["args"]["goid"])
    assert sorted(landed) == sorted(first)
    assert len(landed) == len(instants(name, "newproc"))  # every goroutine created here ran


# ---- 5. counters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_counters(name):
    """Goroutines running never exceed GOMAXPROCS nor go negative, nor do Ps running (Threads);
    each counter is written only when it changes, and at the end only main runs."""
    gomaxprocs = CONFIGS[name]().gomaxprocs
    gs, threads, runq = (counter(name, c) for c in ("Goroutines", "Threads", "Global runq"))
    assert all(0 <= c["Running"] <= gomaxprocs and c["Runnable"] >= 0 for c in gs)
    assert all(0 <= c["Running"] <= gomaxprocs and c["InSyscall"] >= 0 for c in threads)
    assert all(c["runqsize"] >= 0 for c in runq)
    for values in (gs, threads, runq):
        assert all(a != b for a, b in zip(values, values[1:], strict=False))
    assert gs[-1]["Running"] == 1
    assert set(gs[0]) == {"Running", "Runnable"} and set(threads[0]) == {"Running", "InSyscall"}


def test_pingpong_counters():
    """One P: at most one goroutine runs; Gosched fills the global queue (up to 2: main and pong
    behind ping) and globrunqget empties it."""
    assert max(c["Running"] for c in counter("pingpong", "Goroutines")) == 1
    assert [c["runqsize"] for c in counter("pingpong", "Global runq")] == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0]
    assert counter("pingpong", "Global runq")[-1] == {"runqsize": 0}
    assert counter("pingpong", "Goroutines")[-1] == {"Running": 1, "Runnable": 0}


# ---- 6. determinism ---------------------------------------------------------------------------------


def test_traces_are_deterministic(tmp_path, capsys):
    """Two `goemu run --trace` of the same program write byte-identical files, the same the API
    writes; and a second four-P run gives the same trace."""
    files = [tmp_path / "a.json", tmp_path / "b.json"]
    for f in files:
        assert main(["run", "--gomaxprocs", "1", "--trace", str(f), "samples/pingpong.s"]) == 0
    a, b = (f.read_bytes() for f in files)
    assert a == b == traced("pingpong").trace.encode()
    assert capsys.readouterr() == ("", (ROOT / "samples" / "pingpong.out").read_text() * 2)  # println: stderr
    assert run_sample("runq300", traced=True).trace == traced("runq300").trace


# ---- 7. command-line errors -------------------------------------------------------------------------


def test_trace_to_a_missing_directory(tmp_path, capsys):
    """The trace file cannot be created: a message, exit status 2, and the program does not run."""
    path = tmp_path / "no" / "such" / "trace.json"
    assert main(["run", "--trace", str(path), "samples/hello.s"]) == 2
    assert capsys.readouterr() == (
        "",
        f"goemu run: cannot write the trace: {path}: No such file or directory\n",
    )


def test_no_trace_file_when_the_program_does_not_assemble(tmp_path, capsys):
    src, path = tmp_path / "bad.s", tmp_path / "trace.json"
    src.write_text("TEXT main·main(SB), $0\n\tFOO AX\n")
    assert main(["run", "--trace", str(path), str(src)]) == 1
    assert capsys.readouterr().err == f"{src}:2:2: unrecognized instruction 'FOO'\n"
    assert not path.exists()


@pytest.mark.parametrize(("flags", "what"), [(["--trace", "T"], "--trace"), (["--stats"], "--stats")])
def test_trace_and_stats_need_the_deterministic_clock(tmp_path, capsys, flags, what):
    """--fast runs on the host's clock: --trace and --stats, which stamp virtual time, refuse it."""
    flags = [str(tmp_path / "x.json") if f == "T" else f for f in flags]
    assert main(["run", *flags, "--fast", "samples/hello.s"]) == 2
    assert capsys.readouterr() == ("", f"goemu run: {what} needs the deterministic clock, not --fast\n")
    assert not (tmp_path / "x.json").exists()  # refused before the file is opened


# ---- 8. goemu timeline ------------------------------------------------------------------------------


def test_timeline_of_a_real_trace(tmp_path, capsys):
    """`goemu timeline` draws the pingpong trace: one bar (id slice-N) per "X" event."""
    pytest.importorskip("matplotlib")
    trace, svg = tmp_path / "pingpong.json", tmp_path / "pingpong.svg"
    trace.write_text(traced("pingpong").trace)
    assert main(["timeline", str(trace), "-o", str(svg)]) == 0
    assert capsys.readouterr() == ("", "")
    root = ET.fromstring(svg.read_bytes())
    bars = [el.get("id") for el in root.iter() if el.get("id", "").startswith("slice-")]
    assert len(bars) == len(events("pingpong", "X")) == len(PINGPONG)
    assert sorted(bars, key=lambda i: int(i.removeprefix("slice-"))) == [
        f"slice-{i}" for i in range(len(PINGPONG))
    ]
