"""What a viewer (ui.perfetto.dev, chrome://tracing) needs of a trace file, checked: the JSON
object form, the fields each kind of event must have, slices that never overlap on a row (a
zero-length slice, 0.1 ns long as in Go's viewer, may touch the next), flow
arrows whose two ends sit inside a slice or an instant of their rows, non-negative counters and a
name for every row used. Returns the problems found (none: the file is good)."""

from __future__ import annotations

from collections import defaultdict

EPS = 1e-9
ZERO = 0.0001  # the duration Go's viewer gives a zero-length slice (makeSlice): it may touch the next
_FIELDS = {"X": ("name", "pid", "tid", "ts", "dur"), "I": ("name", "pid", "tid", "ts", "s"),
           "s": ("name", "pid", "tid", "ts", "id"), "t": ("name", "pid", "tid", "ts", "id"),
           "C": ("name", "pid", "ts", "args"), "M": ("name", "pid", "args")}  # fmt: skip


def problems(doc: object) -> list[str]:
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        return ["not a JSON object with a traceEvents list"]
    out: list[str] = []
    slices: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
    instants: dict[tuple[int, int], set[float]] = defaultdict(set)
    flows: dict[int, dict[str, dict]] = defaultdict(dict)
    named: set[tuple[int, int]] = set()
    for i, ev in enumerate(doc["traceEvents"]):
        ph = ev.get("ph")
        missing = [f for f in _FIELDS.get(ph, ("ph",)) if f not in ev]
        if missing:
            out.append(f"event {i} ({ph}) lacks {missing}")
            continue
        row = (ev.get("pid"), ev.get("tid"))
        if ph == "X":
            if ev["dur"] <= 0:
                out.append(f"event {i}: slice {ev['name']} has dur {ev['dur']}")
            slices[row].append((ev["ts"], ev["ts"] + ev["dur"], ev["name"]))
        elif ph == "I":
            instants[row].add(ev["ts"])
        elif ph in "st":
            if ph in flows[ev["id"]]:
                out.append(f"flow {ev['id']} has two {ph!r} events")
            flows[ev["id"]][ph] = ev
        elif ph == "C" and any(not isinstance(v, int | float) or v < 0 for v in ev["args"].values()):
            out.append(f"event {i}: counter {ev['name']} {ev['args']}")
        elif ph == "M" and ev["name"] == "thread_name":
            named.add(row)
    for row, spans in slices.items():
        spans.sort()
        for (a0, a1, an), (b0, _, bn) in zip(spans, spans[1:], strict=False):
            if b0 < a1 - EPS and not (a1 - a0 <= ZERO + EPS and b0 >= a0 - EPS):
                out.append(f"row {row}: {an} [{a0}, {a1}] overlaps {bn} starting at {b0}")
    for fid, ends in flows.items():
        if set(ends) != {"s", "t"}:
            out.append(f"flow {fid} has only {sorted(ends)}")
            continue
        s, t = ends["s"], ends["t"]
        if s["name"] != t["name"] or t["ts"] < s["ts"] - EPS:
            out.append(f"flow {fid}: {s['name']} at {s['ts']} -> {t['name']} at {t['ts']}")
        for ev in (s, t):
            row = (ev["pid"], ev["tid"])
            inside = any(a - EPS <= ev["ts"] <= b + EPS for a, b, _ in slices[row]) or ev["ts"] in instants[row]
            if not inside:
                out.append(f"flow {fid}: its {ev['ph']!r} end at {ev['ts']} on {row} is in no slice or instant")
    for row in set(slices) | set(instants):
        if row not in named:
            out.append(f"row {row} has no thread_name")
    return out
