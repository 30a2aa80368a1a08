"""`goemu run --stats`: what the run did, counted from the runtime's trace events, as a table on
standard error at exit."""

from __future__ import annotations

from dataclasses import dataclass, field

from runtime.trace import Event

# Why a goroutine stopped running (a switch), by trace event: the table's rows, in order.
REASONS = ("park", "Gosched", "sync preempt", "async preempt", "goyield", "goexit", "syscall")
_REASON = {"GoPark": "park", "GoSched": "Gosched", "GoEnd": "goexit", "GoSysBlock": "syscall"}
_PREEMPT = {"sync": "sync preempt", "async": "async preempt", "yield": "goyield"}


@dataclass
class Stats:
    switches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    steals: int = 0  # successful steals (each takes half a run queue)
    stolen: int = 0  # goroutines they took
    stack_growths: int = 0
    created: int = 0  # by go statements (not the runtime's: runtime.main, made at boot, or its helpers)
    alive: int = 0  # user goroutines not yet exited, main included (runtime.NumGoroutine)
    peak_alive: int = 0
    preempt_requests: int = 0

    def consume(self, ev: Event) -> None:
        t = ev.type
        if t in _REASON:
            self.switches[_REASON[t]] += 1
        elif t == "GoPreempt":
            self.switches[_PREEMPT[str(ev.args["kind"])]] += 1
        if t == "GoCreate" and not ev.args["system"]:  # user goroutines, runtime.main included
            self.created += bool(ev.args["creator"])  # made by a goroutine, not at boot
            self.alive += 1
            self.peak_alive = max(self.peak_alive, self.alive)
        elif t == "GoEnd":
            self.alive -= 1
        elif t == "Steal":
            self.steals += 1
            self.stolen += int(str(ev.args["n"]))
        elif t == "StackGrow":
            self.stack_growths += 1
        elif t == "PreemptRequest":
            self.preempt_requests += 1

    def table(self, insns: int, virtual_ns: int, wall_s: float, heap: int, stacks: int) -> str:
        """The report: each line `  name  value`, values aligned."""
        mips = insns / wall_s / 1e6 if wall_s > 0 else 0.0
        rows = [
            ("instructions", f"{insns:,}"),
            ("virtual time", _duration(virtual_ns)),
            ("wall time", f"{wall_s:.3f} s"),
            ("emulated MIPS", f"{mips:.2f}"),
            ("switches", f"{sum(self.switches.values()):,}"),
            *((f"  {r}", f"{n:,}") for r, n in self.switches.items()),
            ("preemption requests", f"{self.preempt_requests:,}"),
            ("steals", f"{self.steals:,} ({self.stolen:,} goroutines)"),
            ("stack growths", f"{self.stack_growths:,}"),
            ("goroutines created", f"{self.created:,}"),
            ("peak goroutines", f"{self.peak_alive:,}"),
            ("peak memory", f"{_size(heap + stacks)} (heap {_size(heap)}, stacks {_size(stacks)})"),
        ]
        width = max(len(name) for name, _ in rows)
        return "goemu run statistics:\n" + "".join(f"  {name:<{width}}  {value}\n" for name, value in rows)


def _duration(ns: int) -> str:
    for unit, scale in (("s", 10**9), ("ms", 10**6), ("µs", 10**3)):
        if ns >= scale:
            return f"{ns / scale:.3f} {unit} ({ns:,} ns)"
    return f"{ns} ns"


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"
