"""`goemu run --trace FILE.json`: the runtime's trace events as a Chrome trace-event / Perfetto JSON
file, laid out as Go 1.19's `go tool trace` viewer lays them out (cmd/trace/trace.go's
generateTrace): section "PROCS" (pid 0) with a row per P ("Proc N") holding a slice per goroutine
execution named "G5 main.worker", instants, and arrows ("go", "unblock", "sysexit") from the
creating or readying row to where the goroutine next starts; section "STATS" (pid 1) with the
Goroutines and Threads counters, and goemu's global run queue size.

The file is written as the events come (one per line), so a long run does not hold them all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TextIO

from runtime.trace import Event

PROCS, STATS = 0, 1  # procsSection, statsSection
SYSCALL_ROW = 1000003  # trace.SyscallP: events with no P
TINY = 0.0001  # a zero-length slice's duration (µs), as makeSlice gives it

_END = {"GoEnd": "goexit", "GoSched": "gosched", "GoSysBlock": "syscall"}  # + GoPark, GoPreempt
_ARROW = {"GoCreate": "go", "GoUnblock": "unblock", "GoSysExit": "sysexit"}


@dataclass
class TraceWriter:
    out: TextIO
    other: dict[str, object]  # otherData: the program, GOMAXPROCS...
    origin: int = 0  # the clock at boot: the file's time 0
    names: dict[int, str] = field(default_factory=dict)  # goid -> "G5 main.worker"
    running: dict[int, tuple[int, int]] = field(default_factory=dict)  # P row -> (goid, start ns)
    arrows: dict[int, tuple[str, int, int]] = field(default_factory=dict)  # goid -> (name, row, ns)
    rows: set[int] = field(default_factory=set)
    counters: dict[str, tuple[int, ...]] = field(default_factory=dict)  # last values written
    gs: dict[str, int] = field(default_factory=lambda: {"Running": 0, "Runnable": 0})
    threads: dict[str, int] = field(default_factory=lambda: {"Running": 0, "InSyscall": 0})
    seq: int = 0  # arrow ids
    last: int = 0  # the latest timestamp (ns)

    def _us(self, ns: int) -> float:
        """The viewer's time: µs since boot."""
        return (ns - self.origin) / 1000

    def __post_init__(self) -> None:
        head = {"displayTimeUnit": "ns", "otherData": self.other}
        self.out.write(json.dumps(head)[:-1] + ', "traceEvents": [\n')
        self._first = True

    def _emit(self, ev: dict[str, object]) -> None:
        self.out.write(("" if self._first else ",\n") + json.dumps(ev, separators=(",", ":")))
        self._first = False

    def _instant(self, row: int, ts: int, name: str, **args: object) -> None:
        self._emit({"name": name, "ph": "I", "s": "t", "pid": PROCS, "tid": row, "ts": self._us(ts), "args": args})

    def _end_slice(self, row: int, ts: int, why: str) -> None:
        started = self.running.pop(row, None)
        if started is None:
            return
        goid, start = started
        dur = (ts - start) / 1000 if ts > start else TINY
        name = self.names.get(goid, f"G{goid}")
        args = {"goid": goid, "function": name.partition(" ")[2], "end": why}
        self._emit({"name": name, "ph": "X", "pid": PROCS, "tid": row, "ts": self._us(start), "dur": dur, "args": args})

    def consume(self, ev: Event) -> None:
        row = ev.p if ev.p >= 0 else SYSCALL_ROW
        self.rows.add(row)
        self.last = max(self.last, ev.ts)
        t, g, a = ev.type, ev.g, ev.args
        if t == "GoStart":
            self._end_slice(row, ev.ts, "?")  # never: a P's G stopped before another starts
            self.running[row] = (g, ev.ts)
            self.gs["Runnable"] -= 1
            self.gs["Running"] += 1
            arrow = self.arrows.pop(g, None)
            if arrow is not None:
                name, src, ts = arrow
                self.seq += 1
                self._emit({"name": name, "ph": "s", "pid": PROCS, "tid": src, "ts": self._us(ts), "id": self.seq})
                self._emit({"name": name, "ph": "t", "pid": PROCS, "tid": row, "ts": self._us(ev.ts), "id": self.seq})
        elif t in ("GoEnd", "GoSched", "GoPreempt", "GoPark", "GoSysBlock"):
            why = _END.get(t) or (f"park: {a['reason']}" if t == "GoPark" else f"preempt ({a['kind']})")
            self._end_slice(row, ev.ts, why)
            self.gs["Running"] -= 1
            self.gs["Runnable"] += t in ("GoSched", "GoPreempt")
            if t == "GoSysBlock":
                self.threads["InSyscall"] += 1
        elif t == "GoCreate":
            self.names[g] = f"G{g} {a['function']}"
            self.gs["Runnable"] += 1
        elif t == "GoUnblock":
            self.gs["Runnable"] += 1
        elif t == "GoSysExit":
            self.gs["Runnable"] += 1
            self.threads["InSyscall"] -= 1
        elif t in ("ProcStart", "ProcStop"):
            self.threads["Running"] += 1 if t == "ProcStart" else -1
        if t in _ARROW:
            self.arrows[g] = (_ARROW[t], row, ev.ts)
        self._instants(ev, row)
        self._counter("Goroutines", ev.ts, self.gs)
        self._counter("Threads", ev.ts, self.threads)
        self._counter("Global runq", ev.ts, {"runqsize": ev.runqsize})

    def _instants(self, ev: Event, row: int) -> None:
        t, g, a = ev.type, ev.g, ev.args
        if t in ("ProcStart", "ProcStop"):
            self._instant(row, ev.ts, "proc start" if t == "ProcStart" else "proc stop")
        elif t == "GoCreate":
            self._instant(row, ev.ts, "newproc", goid=g, function=a["function"])
        elif t == "GoPark":
            self._instant(row, ev.ts, "park", goid=g, reason=a["reason"])
        elif t == "GoUnblock":
            self._instant(row, ev.ts, "unblock", goid=g)
        elif t in ("GoPreempt", "PreemptRequest"):
            self._instant(row, ev.ts, "preempt", goid=g, kind=a.get("kind", "request"))
        elif t == "Steal":
            self._instant(row, ev.ts, "steal", n=a["n"], **{"from": f"Proc {a['victim']}"})
        elif t in ("GoSysCall", "GoSysExit"):
            self._instant(row, ev.ts, "syscall" if t == "GoSysCall" else "sysexit", goid=g)
        elif t == "StackGrow":
            self._instant(row, ev.ts, "stack growth", goid=g, old=a["old"], new=a["new"])

    def _counter(self, name: str, ts: int, values: dict[str, int]) -> None:
        now = tuple(values.values())
        if self.counters.get(name) != now:
            self.counters[name] = now
            self._emit({"name": name, "ph": "C", "pid": STATS, "ts": self._us(ts), "args": dict(values)})

    def close(self, end: int) -> None:
        """The program ended at `end` (ns): close the slices still running, name the rows."""
        end = max(end, self.last)
        for row in sorted(self.running):
            self._end_slice(row, end, "exit")
        meta: list[dict[str, object]] = []
        for pid, name, order in ((PROCS, "PROCS", 2), (STATS, "STATS", 0)):
            meta.append({"name": "process_name", "ph": "M", "pid": pid, "args": {"name": name}})
            meta.append({"name": "process_sort_index", "ph": "M", "pid": pid, "args": {"sort_index": order}})
        procs = [p for p in self.rows if p != SYSCALL_ROW]
        rows = [*range(max(procs) + 1 if procs else 0), *([SYSCALL_ROW] if SYSCALL_ROW in self.rows else [])]
        for row in rows:  # every P up to the highest seen, as the viewer's maxProc
            name, order = ("Syscalls", -3) if row == SYSCALL_ROW else (f"Proc {row}", row)
            meta.append({"name": "thread_name", "ph": "M", "pid": PROCS, "tid": row, "args": {"name": name}})
            meta.append({"name": "thread_sort_index", "ph": "M", "pid": PROCS, "tid": row, "args": {"sort_index": order}})
        for m in meta:
            self._emit(m)
        self.out.write("\n]}\n")
