"""`goemu timeline TRACE.json OUT.svg|OUT.png`: a static picture of a trace that `goemu run --trace`
wrote (Chrome trace-event JSON laid out as Go 1.19's `go tool trace` lays it out).

One row per P ("Proc 0" at the top, then "Timers"/"Syscalls" if they have events), a bar per
goroutine slice coloured by goroutine (the same G has the same colour everywhere), markers for
preemptions (async/sync) and parks, and virtual time on the x axis in a unit chosen from the span.
The SVG keeps text as text and is byte-identical for the same trace. matplotlib is an optional
dependency (`pip install 'goemu[timeline]'`), imported only when drawing.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any, NamedTuple

FIRST_FAKE_TID = 1000000  # tids from here on are the fake rows (1000001 Timers, 1000003 Syscalls)
FAKE_ROWS = {1000001: "Timers", 1000003: "Syscalls"}
SUFFIXES = (".svg", ".png")
# Times are µs; a trace's clock is int64 nanoseconds (Go's), so no time or duration goes past 2^63 ns
# (292 years). Beyond that a value is not a time of any run, and the axis arithmetic overflows.
MAX_US = 2**63 / 1e3
RANGE = "(a trace's times are within ±2^63 ns)"
RC = {"svg.fonttype": "none", "svg.hashsalt": "goemu-timeline"}
LEGEND_GOROUTINES = 12  # at most this many goroutine entries in the legend (the last one "… N more")
FONT = 6.5  # points, for the G<goid> labels on the bars
LEFT, RIGHT, TOP, BOTTOM = 0.9, 2.4, 0.75, 0.6  # fixed margins in inches (the legend is on the right)
PREEMPT = {"marker": "v", "color": "red", "markeredgecolor": "black", "markeredgewidth": 0.5, "markersize": 6}
PARK = {"marker": "o", "color": "white", "markeredgecolor": "black", "markeredgewidth": 0.7, "markersize": 3.5}


class TimelineError(Exception):
    """A user error (bad trace file, bad output name, matplotlib missing); the message is complete."""


class _BadTime(ValueError):
    """A timestamp or duration that is a number but not a time; the message says why."""


class Slice(NamedTuple):
    tid: int
    ts: float  # µs of virtual time
    dur: float
    goid: int


class Trace(NamedTuple):
    """What the picture shows: rows (tid -> label, in order), slices, and the markers' (tid, ts)."""

    rows: dict[int, str]
    slices: list[Slice]
    preempts: list[tuple[int, float]]
    parks: list[tuple[int, float]]
    functions: dict[int, str]  # goid -> function of its first slice


def _time(ev: dict, key: str, base: float = 0.0) -> float:
    """ev[key] in µs: a finite number within int64 nanoseconds of 0 (a "dur" also not negative, and
    base + dur within that range too); _BadTime naming the field if it is a number but not such a
    time, ValueError if it is no number."""
    v = ev[key]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(v)
    if isinstance(v, float) and not math.isfinite(v):
        raise _BadTime(f'"{key}" is {json.dumps(v)}')
    if key == "dur" and v < 0:
        raise _BadTime(f'"dur" is negative ({_short(v)})')
    if abs(v) > MAX_US:  # compared before float(): an integer may be too large for one
        raise _BadTime(f'"{key}" {_short(v)} µs is out of range {RANGE}')
    if abs(base + v) > MAX_US:
        raise _BadTime(f'"ts" + "dur" = {base + v!r} µs is out of range {RANGE}')
    return float(v)


def _short(v: float) -> str:
    text = repr(v)
    return text if len(text) <= 24 else f"{text[:20]}… ({len(text.lstrip('-'))} digits)"


def _int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(v)
    return v


def _parse(doc: Any, name: str) -> Trace:
    """The rows, slices and markers of doc, or a TimelineError naming `name` saying what is wrong."""
    events = doc.get("traceEvents") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        raise TimelineError(f'goemu timeline: {name}: not a trace file (no "traceEvents" list)')
    names: dict[int, str] = {}
    used: set[int] = set()
    t = Trace({}, [], [], [], {})
    for i, ev in enumerate(events):
        if not isinstance(ev, dict) or ev.get("pid") != 0:
            continue
        ph, args = ev.get("ph"), ev.get("args", {})
        try:
            if ph == "M":
                if ev.get("name") == "thread_name":
                    names[_int(ev["tid"])] = str(args["name"])
                continue
            tid = _int(ev["tid"])
            used.add(tid)
            if ph == "X":
                ts = _time(ev, "ts")
                s = Slice(tid, ts, _time(ev, "dur", ts), _int(args["goid"]))
                t.slices.append(s)
                t.functions.setdefault(s.goid, str(args.get("function", "")))
            elif ph == "I" and ev.get("name") == "preempt" and args.get("kind") in ("async", "sync"):
                t.preempts.append((tid, _time(ev, "ts")))
            elif ph == "I" and ev.get("name") == "park":
                t.parks.append((tid, _time(ev, "ts")))
        except _BadTime as e:
            raise TimelineError(f"goemu timeline: {name}: traceEvents[{i}] is not a valid {ph!r} event: {e}") from None
        except (KeyError, TypeError, ValueError, AttributeError):
            raise TimelineError(f"goemu timeline: {name}: traceEvents[{i}] is not a valid {ph!r} event") from None
    procs = sorted(tid for tid in names.keys() | used if tid < FIRST_FAKE_TID)
    if not procs:
        raise TimelineError(f'goemu timeline: {name}: no "Proc N" rows (no events on pid 0)')
    if not t.slices:
        raise TimelineError(f'goemu timeline: {name}: no goroutine slices (no "X" events)')
    for tid in procs + sorted(tid for tid in used if tid >= FIRST_FAKE_TID):
        t.rows[tid] = names.get(tid) or FAKE_ROWS.get(tid) or (f"Proc {tid}" if tid in procs else f"tid {tid}")
    return t


def load(path: str) -> dict:
    """The trace document in the file at path, checked to be a goemu trace with something to draw."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise TimelineError(f"goemu timeline: {path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise TimelineError(f"goemu timeline: {path}: not JSON (not UTF-8 text)") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise TimelineError(f"goemu timeline: {path}: not JSON ({e.msg}: line {e.lineno} column {e.colno})") from None
    except (ValueError, RecursionError):
        raise TimelineError(f"goemu timeline: {path}: not JSON") from None
    _parse(doc, path)
    return doc


def time_unit(span_us: float) -> tuple[str, float]:
    """(unit, scale) for an x axis spanning span_us µs: ns below 1 µs, µs below 1 ms, ms below 1 s,
    else s; scale turns µs into that unit."""
    if span_us < 1:
        return "ns", 1e3
    if span_us < 1e3:
        return "µs", 1.0
    if span_us < 1e6:
        return "ms", 1e-3
    return "s", 1e-6


def _suffix(out: str) -> str:
    """The picture's format from the output name's suffix, in any case. A name that is only the
    suffix (`-o .svg`: a hidden file with no suffix to Python, most likely an empty $NAME.svg) is
    refused: it names no picture."""
    name = Path(out).name.lower()
    for suffix in SUFFIXES:
        if name == suffix:
            raise TimelineError(f"goemu timeline: {out}: the output name is only a suffix (want NAME{suffix})")
        if name.endswith(suffix):
            return suffix
    raise TimelineError(f"goemu timeline: {out}: the output name must end in .svg or .png")


def _plain(s: str, width: int = 0) -> str:
    """s shortened to width characters (keeping the end) and with $ escaped, so never mathtext."""
    if width and len(s) > width:
        s = "…" + s[-(width - 1) :]
    return s.replace("$", r"\$")


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _program(doc: dict) -> str | None:
    other = doc.get("otherData")
    program = other.get("program") if isinstance(other, dict) else None
    return program if isinstance(program, str) and program else None


def render(doc: dict, out: str, title: str | None = None) -> None:
    """Draw the timeline of the trace doc into out (.svg or .png by its suffix). The title defaults to
    otherData.program (or "goemu trace"); a second line gives the counts."""
    suffix = _suffix(out)
    t = _parse(doc, "trace")
    try:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch, Rectangle
    except ImportError:
        raise TimelineError("goemu timeline needs matplotlib: pip install 'goemu[timeline]'") from None
    palette = list(matplotlib.colormaps["tab10"].colors) + list(matplotlib.colormaps["tab20"].colors[1::2])

    def colour(goid: int) -> Any:
        return palette[goid % len(palette)]

    row = {tid: y for y, tid in enumerate(t.rows)}
    t0 = min(s.ts for s in t.slices)
    t1 = max(s.ts + s.dur for s in t.slices)
    span = max(t1 - t0, 1e-3)
    unit, scale = time_unit(span)
    goids = sorted(t.functions)
    shown = goids if len(goids) <= LEGEND_GOROUTINES else goids[: LEGEND_GOROUTINES - 1]
    entries = bool(t.preempts) + bool(t.parks) + len(shown) + (len(shown) < len(goids))
    width = min(24.0, max(10.0, 8.0 + len(t.slices) / 25))
    height = TOP + BOTTOM + max(0.45 * len(t.rows), 0.17 * entries, 0.6)
    bar_pt_per_us = (width - LEFT - RIGHT) * 72 / (span * 1.02)

    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, height))
        fig.subplots_adjust(left=LEFT / width, right=1 - RIGHT / width, bottom=BOTTOM / height, top=1 - TOP / height)
        ax = fig.add_subplot()
        for i, s in enumerate(t.slices):
            x, w, y = s.ts * scale, s.dur * scale, row[s.tid]
            ax.add_patch(Rectangle((x, y - 0.4), w, 0.8, facecolor=colour(s.goid), edgecolor="black",
                                   linewidth=0.3, gid=f"slice-{i}"))  # fmt: skip
            label = f"G{s.goid}"
            if s.dur * bar_pt_per_us >= len(label) * FONT * 0.62 + 3:
                r, g, b = colour(s.goid)[:3]
                ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
                ax.text(x + w / 2, y, label, ha="center", va="center", fontsize=FONT, color=ink,
                        clip_on=True, gid=f"label-{i}")  # fmt: skip
        for kind, style, marks in (("preempt", PREEMPT, t.preempts), ("park", PARK, t.parks)):
            for i, (tid, ts) in enumerate(marks):
                ax.plot([ts * scale], [row[tid] - 0.42], linestyle="none", zorder=4, clip_on=False,
                        gid=f"{kind}-{i}", **style)  # fmt: skip
        pad = span * scale * 0.01
        ax.set_xlim(t0 * scale - pad, t1 * scale + pad)
        ax.set_ylim(len(t.rows) - 0.5, -0.5)
        ax.set_yticks(range(len(t.rows)), labels=[_plain(label) for label in t.rows.values()])
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(f"virtual time ({unit})")
        ax.grid(axis="x", linewidth=0.4, alpha=0.4)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)

        handles: list[Any] = []
        if t.preempts:
            handles.append(Line2D([], [], linestyle="none", label="preemption", **PREEMPT))
        if t.parks:
            handles.append(Line2D([], [], linestyle="none", label="park", **PARK))
        for goid in shown:
            handles.append(Patch(facecolor=colour(goid), edgecolor="black", linewidth=0.3,
                                 label=f"G{goid} {_plain(t.functions[goid], 24)}".strip()))  # fmt: skip
        if len(shown) < len(goids):
            handles.append(Patch(facecolor="none", edgecolor="none", label=f"… {len(goids) - len(shown)} more"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
                  fontsize=7, frameon=False)  # fmt: skip

        procs = sum(tid < FIRST_FAKE_TID for tid in t.rows)
        counts = [_count(len(t.slices), "slice"), _count(procs, "P"), _count(len(goids), "goroutine"),
                  _count(len(t.preempts), "preemption"), _count(len(t.parks), "park"),
                  f"{span * scale:.4g} {unit} of virtual time"]  # fmt: skip
        fig.text(LEFT / width, 1 - 0.32 / height, _plain(title or _program(doc) or "goemu trace"),
                 fontsize=12, fontweight="bold")  # fmt: skip
        fig.text(LEFT / width, 1 - 0.55 / height, ", ".join(counts), fontsize=8.5, color="#555555")
        metadata = {"Date": None} if suffix == ".svg" else {"Software": None}
        try:
            fig.savefig(out, format=suffix[1:], metadata=metadata, dpi=150)
        except OSError as e:
            raise TimelineError(f"goemu timeline: {out}: cannot write: {e.strerror or e}") from None


def cmd(trace: str, out: str, title: str | None = None) -> int:
    """`goemu timeline TRACE OUT [--title TITLE]`: draw the trace file into OUT, printing nothing;
    the title defaults to the program's name, else the trace's file name. On a user error, the
    message on standard error and status 1."""
    try:
        _suffix(out)
        doc = load(trace)
        render(doc, out, title or _program(doc) or Path(trace).name)
    except TimelineError as e:
        print(e, file=sys.stderr)
        return 1
    return 0
