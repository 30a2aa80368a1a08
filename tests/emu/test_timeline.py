"""`goemu timeline`: the picture drawn from a trace file (the format of `goemu run --trace`), checked
in the SVG it writes (bars, markers and labels carry ids), and the message for every user error."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from emu import timeline
from emu.timeline import TimelineError, cmd, load, render, time_unit

pytest.importorskip("matplotlib")

TIMERS, SYSCALLS = 1000001, 1000003


def meta(tid: int, name: str) -> list[dict]:
    return [{"name": "thread_name", "ph": "M", "pid": 0, "tid": tid, "args": {"name": name}},
            {"name": "thread_sort_index", "ph": "M", "pid": 0, "tid": tid, "args": {"sort_index": tid}}]  # fmt: skip


def slice_(tid: int, ts: float, dur: float, goid: int, function: str = "main.worker", end: str = "gosched") -> dict:
    return {"name": f"G{goid} {function}", "ph": "X", "pid": 0, "tid": tid, "ts": ts, "dur": dur,
            "args": {"goid": goid, "function": function, "end": end}}  # fmt: skip


def instant(tid: int, ts: float, name: str, **args) -> dict:
    return {"name": name, "ph": "I", "s": "t", "pid": 0, "tid": tid, "ts": ts, "args": args}


def trace_doc(procs: int = 3, program: str | None = "samples/pingpong.s") -> dict:
    """procs Ps, goroutines 1..4, 7 slices (one too short to label), 2 drawn preemptions and one
    "request" (not drawn), 2 parks, flows, counters; an event on the Timers row, none on Syscalls."""
    events: list[dict] = [{"name": "process_name", "ph": "M", "pid": 0, "args": {"name": "PROCS"}},
                          {"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "STATS"}}]  # fmt: skip
    for p in range(procs):
        events += meta(p, f"Proc {p}")
    events += meta(TIMERS, "Timers") + meta(SYSCALLS, "Syscalls")
    events += [
        instant(0, 0.0, "proc start"),
        slice_(0, 0.0, 40.0, 1, "main.main", "park: chan receive"),
        instant(0, 10.0, "newproc", goid=2, function="main.player"),
        {"name": "go", "ph": "s", "pid": 0, "tid": 0, "ts": 10.0, "id": 1, "cat": "go"},
        instant(0, 20.0, "preempt", goid=1, kind="request"),
        instant(0, 40.0, "park", goid=1, reason="chan receive"),
        slice_(1, 12.0, 30.0, 2, "main.player", "preempt (async)"),
        {"name": "go", "ph": "t", "pid": 0, "tid": 1, "ts": 12.0, "id": 1, "cat": "go"},
        instant(1, 42.0, "preempt", goid=2, kind="async"),
        slice_(0, 41.0, 0.0001, 3, "main.player", "gosched"),
        slice_(0, 45.0, 30.0, 2, "main.player", "preempt (sync)"),
        instant(0, 75.0, "preempt", goid=2, kind="sync"),
        slice_(1, 50.0, 25.0, 4, "main.ticker", "park: sleep"),
        instant(1, 75.0, "park", goid=4, reason="sleep"),
        instant(TIMERS, 80.0, "unblock", goid=4),
        slice_(procs - 1, 80.0, 20.0, 1, "main.main", "exit"),
        slice_(1, 82.0, 18.0, 4, "main.ticker", "exit"),
        {"name": "Goroutines", "ph": "C", "pid": 1, "ts": 0.0, "args": {"Running": 1, "Runnable": 0}},
        {"name": "Threads", "ph": "C", "pid": 1, "ts": 0.0, "args": {"Running": 1, "InSyscall": 0}},
        {"name": "Global runq", "ph": "C", "pid": 1, "ts": 10.0, "args": {"runqsize": 1}},
    ]
    other = {"generator": "goemu", "gomaxprocs": procs, "clock": "virtual"}
    if program:
        other["program"] = program
    return {"displayTimeUnit": "ns", "otherData": other, "traceEvents": events}


def svg_of(doc: dict, tmp_path: Path, title: str | None = None) -> ET.Element:
    out = tmp_path / "t.svg"
    render(doc, str(out), title)
    return ET.fromstring(out.read_bytes())


def ids(root: ET.Element, prefix: str) -> list[str]:
    return [el.get("id", "") for el in root.iter() if el.get("id", "").startswith(prefix)]


def texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter() if el.tag.endswith("}text")]


def n_slices(doc: dict) -> int:
    return sum(e.get("ph") == "X" for e in doc["traceEvents"])


def test_svg_rows_bars_labels_and_markers(tmp_path):
    doc = trace_doc()
    root = svg_of(doc, tmp_path)
    words = texts(root)
    assert [w for w in words if w.startswith("Proc ")] == ["Proc 0", "Proc 1", "Proc 2"]
    assert "Timers" in words and "Syscalls" not in words  # a fake row only if it has events
    assert len(ids(root, "slice-")) == n_slices(doc) == 7
    assert ids(root, "preempt-") == ["preempt-0", "preempt-1"]  # async and sync, not "request"
    assert ids(root, "park-") == ["park-0", "park-1"]
    # every slice but the 0.1ns one (slice-2, G3) is wide enough for its G label
    assert sorted(ids(root, "label-")) == sorted(f"label-{i}" for i in (0, 1, 3, 4, 5, 6))
    for g in ("G1", "G2", "G4"):
        assert g in words
    assert {"preemption", "park", "G1 main.main", "G2 main.player", "G3 main.player", "G4 main.ticker"} <= set(words)
    assert "samples/pingpong.s" in words
    assert "7 slices, 3 Ps, 4 goroutines, 2 preemptions, 2 parks, 100 µs of virtual time" in words
    assert "virtual time (µs)" in words


def test_title_option_and_fallback(tmp_path):
    assert "My run" in texts(svg_of(trace_doc(), tmp_path, "My run"))
    assert "goemu trace" in texts(svg_of(trace_doc(program=None), tmp_path))
    trace = tmp_path / "ping.json"
    trace.write_text(json.dumps(trace_doc(program=None)))
    assert cmd(str(trace), str(tmp_path / "c.svg"), None) == 0
    assert "ping.json" in texts(ET.fromstring((tmp_path / "c.svg").read_bytes()))


def test_one_row_per_p_even_when_idle(tmp_path):
    words = texts(svg_of(trace_doc(procs=6), tmp_path))
    assert [w for w in words if w.startswith("Proc ")] == [f"Proc {p}" for p in range(6)]


def test_legend_lists_at_most_twelve_goroutines(tmp_path):
    doc = trace_doc()
    long = "github.com/some/pkg.(*Server).handle.func1"
    doc["traceEvents"] += [slice_(2, 100.0 + g, 0.5, g, long) for g in range(10, 30)]
    words = texts(svg_of(doc, tmp_path))
    gs = [w for w in words if w.startswith("G") and " " in w]
    assert len(gs) == 11 and gs[0] == "G1 main.main"
    assert gs[4:] == [f"G{g} ….(*Server).handle.func1" for g in range(10, 17)]  # the end of a long name
    assert "… 13 more" in words
    assert len(ids(svg_of(doc, tmp_path), "slice-")) == n_slices(doc)


def test_svg_is_deterministic(tmp_path):
    doc = trace_doc()
    render(doc, str(tmp_path / "a.svg"))
    render(doc, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_png(tmp_path):
    out = tmp_path / "t.PNG"
    render(trace_doc(), str(out))
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("span_us", "unit", "scale"),
    [(0.25, "ns", 1e3), (0.999, "ns", 1e3), (1.0, "µs", 1.0), (250.0, "µs", 1.0), (2500.0, "ms", 1e-3),
     (999_999.0, "ms", 1e-3), (3e6, "s", 1e-6)],
)  # fmt: skip
def test_time_unit(span_us, unit, scale):
    assert time_unit(span_us) == (unit, scale)


@pytest.mark.parametrize(("factor", "unit"), [(0.005, "ns"), (1.0, "µs"), (100.0, "ms")])
def test_axis_unit_follows_the_span(tmp_path, factor, unit):
    doc = trace_doc()
    for e in doc["traceEvents"]:
        for key in ("ts", "dur"):
            if key in e:
                e[key] *= factor
    assert f"virtual time ({unit})" in texts(svg_of(doc, tmp_path))


def test_cmd_success_prints_nothing(tmp_path, capsys):
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps(trace_doc()))
    assert cmd(str(trace), str(tmp_path / "out.svg"), None) == 0
    assert capsys.readouterr() == ("", "")
    assert len(ids(ET.fromstring((tmp_path / "out.svg").read_bytes()), "slice-")) == 7


def no_slices() -> dict:
    doc = trace_doc()
    doc["traceEvents"] = [e for e in doc["traceEvents"] if e["ph"] != "X"]
    return doc


def counters_only() -> dict:
    return {"traceEvents": [e for e in trace_doc()["traceEvents"] if e["pid"] == 1]}


def bad_ts() -> dict:
    doc = trace_doc()
    doc["traceEvents"].append(slice_(0, 200.0, 1.0, 1) | {"ts": "soon"})
    return doc


def no_goid() -> dict:
    doc = trace_doc()
    doc["traceEvents"].append(slice_(0, 200.0, 1.0, 1) | {"args": {}})
    return doc


def with_event(ev: dict) -> str:
    """trace_doc() and ev as a file's text (json.dumps writes NaN and Infinity as Python reads them)."""
    doc = trace_doc()
    doc["traceEvents"].append(ev)
    return json.dumps(doc)


LAST = len(trace_doc()["traceEvents"])  # the index of the event with_event adds
RANGE = "µs is out of range (a trace's times are within ±2^63 ns)"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read: No such file or directory"),
        ("{oops", "not JSON (Expecting property name enclosed in double quotes: line 1 column 2)"),
        ('{"traceEvents": ["x"', "not JSON (Expecting ',' delimiter: line 1 column 21)"),
        (b"\xff\xfe", "not JSON (not UTF-8 text)"),
        ("[1, 2]", 'not a trace file (no "traceEvents" list)'),
        ('{"displayTimeUnit": "ns"}', 'not a trace file (no "traceEvents" list)'),
        ('{"traceEvents": {}}', 'not a trace file (no "traceEvents" list)'),
        (no_slices(), 'no goroutine slices (no "X" events)'),
        (counters_only(), 'no "Proc N" rows (no events on pid 0)'),
        (bad_ts(), f"traceEvents[{len(bad_ts()['traceEvents']) - 1}] is not a valid 'X' event"),
        (no_goid(), f"traceEvents[{len(no_goid()['traceEvents']) - 1}] is not a valid 'X' event"),
        (with_event(slice_(0, 1e308, 1e308, 1)), f"traceEvents[{LAST}] is not a valid 'X' event: \"ts\" 1e+308 {RANGE}"),
        (with_event(slice_(0, 0.0, 1e300, 1)), f"traceEvents[{LAST}] is not a valid 'X' event: \"dur\" 1e+300 {RANGE}"),
        (with_event(slice_(0, -1e16, 1.0, 1)), f"traceEvents[{LAST}] is not a valid 'X' event: \"ts\" -1e+16 {RANGE}"),
        (with_event(slice_(0, 9e15, 9e15, 1)),
         f"traceEvents[{LAST}] is not a valid 'X' event: \"ts\" + \"dur\" = 1.8e+16 {RANGE}"),
        (with_event(slice_(0, float("nan"), 1.0, 1)), f"traceEvents[{LAST}] is not a valid 'X' event: \"ts\" is NaN"),
        (with_event(slice_(0, 1.0, float("inf"), 1)),
         f"traceEvents[{LAST}] is not a valid 'X' event: \"dur\" is Infinity"),
        (with_event(slice_(0, -(10**400), 1.0, 1)),  # too large for a float
         f"traceEvents[{LAST}] is not a valid 'X' event: \"ts\" -1000000000000000000… (401 digits) {RANGE}"),
        (with_event(slice_(0, 1.0, 1e300, 1)), f"traceEvents[{LAST}] is not a valid 'X' event: \"dur\" 1e+300 {RANGE}"),
        (with_event(slice_(0, 1.0, -2, 1)), f"traceEvents[{LAST}] is not a valid 'X' event: \"dur\" is negative (-2)"),
        (with_event(instant(0, float("-inf"), "park", goid=1)),
         f"traceEvents[{LAST}] is not a valid 'I' event: \"ts\" is -Infinity"),
        (with_event(instant(1, 1e20, "preempt", goid=1, kind="async")),
         f"traceEvents[{LAST}] is not a valid 'I' event: \"ts\" 1e+20 {RANGE}"),
    ],
)
def test_bad_trace_files(tmp_path, capsys, content, problem):
    trace = tmp_path / "trace.json"
    if isinstance(content, dict):
        trace.write_text(json.dumps(content))
    elif isinstance(content, bytes):
        trace.write_bytes(content)
    elif content is not None:
        trace.write_text(content)
    message = f"goemu timeline: {trace}: {problem}"
    with pytest.raises(TimelineError) as e:
        load(str(trace))
    assert str(e.value) == message
    assert cmd(str(trace), str(tmp_path / "out.svg"), None) == 1
    assert capsys.readouterr() == ("", message + "\n")
    assert not (tmp_path / "out.svg").exists()


def test_render_checks_the_doc_too():
    with pytest.raises(TimelineError, match=r'^goemu timeline: trace: no goroutine slices \(no "X" events\)$'):
        render(no_slices(), "out.svg")


def test_bad_output_names(tmp_path, capsys):
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps(trace_doc()))
    out = tmp_path / "out.pdf"
    assert cmd(str(trace), str(out), None) == 1
    assert capsys.readouterr() == ("", f"goemu timeline: {out}: the output name must end in .svg or .png\n")
    for only_suffix, want in ((".svg", ".svg"), (tmp_path / ".PNG", ".png")):
        assert cmd(str(trace), str(only_suffix), None) == 1  # a hidden file with no suffix, to Python
        message = f"goemu timeline: {only_suffix}: the output name is only a suffix (want NAME{want})\n"
        assert capsys.readouterr() == ("", message)
    assert not (tmp_path / ".PNG").exists()
    missing = tmp_path / "no" / "such" / "dir.svg"
    assert cmd(str(trace), str(missing), None) == 1
    assert capsys.readouterr() == ("", f"goemu timeline: {missing}: cannot write: No such file or directory\n")


def test_without_matplotlib(tmp_path, capsys, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps(trace_doc()))
    assert cmd(str(trace), str(tmp_path / "out.svg"), None) == 1
    assert capsys.readouterr() == ("", "goemu timeline needs matplotlib: pip install 'goemu[timeline]'\n")
    assert timeline.load(str(trace))["otherData"]["program"] == "samples/pingpong.s"  # loading needs no matplotlib


def test_times_near_the_limit_are_drawn(tmp_path):
    """A slice 104 days after boot, 250 µs long: inside int64 nanoseconds, so drawn as any other."""
    doc = {"traceEvents": [slice_(0, 9e12, 250.0, 1), instant(0, 9e12 + 250.0, "park", goid=1)]}
    root = svg_of(doc, tmp_path)
    assert ids(root, "slice-") == ["slice-0"] and ids(root, "park-") == ["park-0"]
    assert "virtual time (µs)" in texts(root)
    assert "1 slice, 1 P, 1 goroutine, 0 preemptions, 1 park, 250 µs of virtual time" in texts(root)
