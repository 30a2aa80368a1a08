"""The debugger's engine: runs a program forward and back one instruction at a time, exactly as
`goemu run` runs it.

Time is a position: the number of instructions the CPUs have run since boot (in Unicorn's count,
kept by a hook on every instruction, installed before every other hook). The rounds of slices are
those of emu.run.advance, stopped and resumed at any instruction, so the schedule, the output and
every switch are the same as in an uninterrupted run. Going back is restoring the latest snapshot
before the target (one is taken every SNAP_EVERY instructions, and at boot) and replaying to it;
searching back for an event (a breakpoint, a switch, the selected M's previous instruction) replays
the window before the present while noting where the event fires, then goes to the last such place.
What the user changes (freeze, thaw, preempt) becomes part of the history at its position: what
was recorded after it is dropped, a pinned snapshot is taken there, and any run that passes the
position (a replay, or a run on from before it) makes the change again.
"""

from __future__ import annotations

import bisect
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from asm import Options
from runtime.layout import G, M, const
from runtime.memory import load

from .. import run
from ..machine import CPU
from . import snapshot, switches
from .expr import ExprContext, ExprError, truthy
from .snapshot import Snapshot
from .views import pc_location

SNAP_EVERY = 50_000  # instructions between automatic snapshots
MAX_AUTO_SNAPSHOTS = 64  # beyond this, every other older automatic snapshot is dropped

Predicate = Callable[[int, int], bool]  # (CPU index, pc) -> the run stops before this instruction


class DebugError(Exception):
    """A command that cannot be carried out here; the shell prints its message."""


class Output:
    """The program's standard output and error, shown once: replaying over what was already shown
    writes nothing, as a recording would not."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self.sink = sink
        self.pos = 0  # bytes written in this timeline up to the present
        self.shown = 0  # bytes of this timeline already shown

    def write(self, data: bytes) -> int:
        new = data[max(0, self.shown - self.pos) :]
        self.pos += len(data)
        if new:
            self.sink(new)
            self.shown = self.pos
        return len(data)

    def flush(self) -> None:
        pass


@dataclass
class Breakpoint:
    id: int
    kind: str  # pc, switch, preempt, newstack, park, watch
    what: str  # how `info breakpoints` describes it
    pcs: frozenset[int] = frozenset()
    cond: str = ""
    goid: int = 0  # stop only in this goroutine (0: any)
    reason: str = ""  # park: the wait reason, as Go words it
    hits: int = 0
    enabled: bool = True
    addr: int = 0  # watch: the watched word
    size: int = 8
    old: int = 0  # its value when last looked at
    changed: tuple[int, int] = (0, 0)  # (old, new) at the stop
    cond_error: str = ""  # why the condition could not be evaluated at the stop


@dataclass
class Event:
    """Why the run stopped, and on which CPU."""

    kind: str  # breakpoint, step, switch, exited, start, history
    cpu: int
    text: str = ""
    bp: Breakpoint | None = None


@dataclass
class State:
    """The engine's part of a snapshot: per-CPU instruction counts and the last runtime call each
    M made (what a switch reports as its cause)."""

    counts: list[int] = field(default_factory=list)
    last_call: dict[int, str] = field(default_factory=dict)
    out_pos: int = 0
    changes: int = 0  # how many of the timeline's changes (Engine.changes) this state has had


class Engine:
    """One program under the debugger: its process, position, breakpoints, snapshots, changes."""

    def __init__(
        self, files: list[str], config: run.Config, sink: Callable[[bytes], None], options: Options | None = None
    ) -> None:
        if config.fast:
            raise DebugError("goemu debug runs in deterministic mode only (no --fast)")
        self.image, self.gates = run.build(files, options)
        self.config = config
        self.out = Output(sink)
        self.limits = run.Limits()
        self.breakpoints: list[Breakpoint] = []
        self.next_id = 1
        self.snapshots: list[Snapshot] = []  # sorted by position
        self.checkpoints: dict[int, Snapshot] = {}
        # The user's changes of the run: (position, the change, the output written before it).
        self.changes: list[tuple[int, Callable[[], None], int]] = []
        self.state = State()
        self.armed = False  # breakpoints and `until` are looked at (not while replaying)
        self.until: Predicate | None = None  # a step's own stopping rule
        self.scan: Predicate | None = None  # searching back: where events fire is noted, no stop
        self.found: list[tuple[int, int]] = []  # (position, CPU) of the events a scan noted
        self.resume_at = -1  # the position the run resumes from: its first instruction runs
        self.interrupted = False  # Ctrl-C: stop before the next instruction
        self.hit: Event | None = None
        self.stop_pcs: frozenset[int] = frozenset()  # where the enabled breakpoints are (this run)
        self.watching = False  # some watchpoint is enabled (this run)
        self.every = False  # every instruction is looked at (a step's rule, a watchpoint, Ctrl-C)
        self.proc = self._boot()
        self.gogo = self.image.symbols["runtime.gogo"].addr
        self.async_preempt = self.image.symbols["runtime.asyncPreempt"].addr
        self._take(pinned=True, label="boot")

    def close(self) -> None:
        """Release the machine (its 16 GiB arena mapping among others) now, not at collection."""
        self.snapshots.clear()
        self.checkpoints.clear()
        self.proc.machine.close()

    # ---- the process --------------------------------------------------------------------------

    def _boot(self) -> run.Process:
        stream: BinaryIO = self.out  # type: ignore[assignment]
        proc = run.boot(self.image, self.gates, stream, stream, self.config, on_insn=self._hook)
        for addr, fn in list(proc.gates.items()):
            if not isinstance(fn, str):
                proc.gates[addr] = self._recording(proc.gate_names[addr], fn)
        return proc

    @property
    def gate_names(self) -> dict[int, str]:
        """Trigger address -> the runtime function's Go name (runtime.newstack)."""
        return self.proc.gate_names

    def _recording(self, name: str, fn):  # type: ignore[no-untyped-def]
        def call(rt, mp: M, frame):  # type: ignore[no-untyped-def]
            self.state.last_call[mp.id] = name
            return fn(rt, mp, frame)

        return call

    def _hook(self, cpu: CPU) -> Callable:
        index = cpu.index
        counts = self.state.counts
        while len(counts) <= index:
            counts.append(0)

        def on_insn(uc, addr: int, _size: int, _data: object) -> None:  # type: ignore[no-untyped-def]
            proc = self.proc
            if self.scan is not None:
                if self.scan(index, addr):
                    self.found.append((proc.counted, index))
            elif (
                self.armed
                and (self.every or addr in self.stop_pcs)
                and proc.counted != self.resume_at
                and self._stops(index, addr)
            ):
                proc.break_request = True
                uc.emu_stop()
                return
            proc.counted += 1
            self.state.counts[index] += 1

        return on_insn

    @property
    def position(self) -> int:
        return self.proc.counted

    @property
    def exited(self) -> bool:
        return self.proc.status is not None

    def cpu(self, index: int) -> CPU:
        return self.proc.machine.cpus[index]

    def tls_g(self, index: int) -> int:
        return switches.tls_g(self.proc, index)

    def goid(self, g: int) -> int:
        return G(self.proc.machine.space, g).goid if g else 0

    # ---- stopping rules -----------------------------------------------------------------------

    def _stops(self, index: int, pc: int) -> bool:
        if self.interrupted:
            self.interrupted = False
            self.hit = Event("interrupt", index, "Interrupted (Ctrl-C).")
            return True
        if self.until is not None and self.until(index, pc):
            self.hit = Event("step", index)
            return True
        if pc not in self.stop_pcs and not self.watching:
            return False
        fired = [bp for bp in self.breakpoints if bp.enabled and self._fires(bp, index, pc)]
        for bp in fired:
            bp.hits += 1
        if fired:  # several at one place: all count a hit, the first one's report names them all
            text = self._describe_hit(fired[0], index, pc)
            if len(fired) > 1:
                text = text.replace(f" {fired[0].id}", " " + ", ".join(str(bp.id) for bp in fired), 1)
            self.hit = Event("breakpoint", index, text, fired[0])
            return True
        return False

    def _fires(self, bp: Breakpoint, index: int, pc: int) -> bool:
        """Whether bp stops the CPU about to run pc (its condition and goroutine included)."""
        if bp.kind == "watch":
            value = load(self.proc.machine.space, bp.addr, bp.size)
            if value == bp.old:
                return False
            bp.changed, bp.old = (bp.old, value), value
        elif pc not in bp.pcs:
            return False
        elif bp.kind in ("switch", "park") and not self.is_switch(index, bp.reason):
            return False
        elif bp.kind == "preempt" and pc != self.async_preempt and not self._preempt_requested(index):
            return False
        if bp.goid and self.goid(self.running_g(index)) != bp.goid:
            return False
        bp.cond_error = ""
        if bp.cond:
            try:
                return truthy(bp.cond, ExprContext(self.proc, self.running_g(index), index))
            except ExprError as e:  # as gdb: an error in the condition stops, and says so
                bp.cond_error = str(e)
        return True

    def running_g(self, index: int) -> int:
        return switches.running_g(self.proc, index)

    def switch_at(self, index: int) -> switches.Switch | None:
        """The switch the CPU is making, if it stands at gogo's entry."""
        if self.cpu(index).reg("rip") != self.gogo:
            return None
        return switches.at_gogo(self.proc, index)

    def is_switch(self, index: int, reason: str = "") -> bool:
        """At gogo's entry (the caller checked the pc), a switch (away from a goroutine parking
        with `reason`, if given)."""
        sw = switches.at_gogo(self.proc, index)
        return sw is not None and (not reason or switches.parking(self.proc, sw, reason))

    def _preempt_requested(self, index: int) -> bool:
        g = self.running_g(index)
        return bool(g) and G(self.proc.machine.space, g).stackguard0 == const.stackPreempt

    def describe_switch(self, index: int) -> str:
        """`g3 -> g5 on M0: chan receive (park_m)` for the CPU at gogo's entry."""
        sw = switches.at_gogo(self.proc, index)
        assert sw is not None
        return switches.describe(self.proc, sw, self.state.last_call)

    def _describe_hit(self, bp: Breakpoint, index: int, pc: int) -> str:
        if bp.cond_error:
            return f"Error in testing condition for breakpoint {bp.id}:\n{bp.cond_error}\n" + self._hit_line(bp, index, pc)
        return self._hit_line(bp, index, pc)

    def _hit_line(self, bp: Breakpoint, index: int, pc: int) -> str:
        if bp.kind in ("switch", "park"):
            return f"Breakpoint {bp.id} ({bp.what}): {self.describe_switch(index)}"
        if bp.kind == "watch":
            old, new = bp.changed
            return f"Watchpoint {bp.id}: {bp.what}\n\nOld value = {old:#x}\nNew value = {new:#x}"
        return f"Breakpoint {bp.id}, {self.where(pc)}"

    def where(self, pc: int) -> str:
        """`main·player+0x12 (samples/pingpong.s:40)`, or a gate's name."""
        return pc_location(self.proc, pc)

    # ---- breakpoints --------------------------------------------------------------------------

    def add_breakpoint(self, kind: str, what: str, pcs: frozenset[int] = frozenset(), **kw) -> Breakpoint:  # type: ignore[no-untyped-def]
        bp = Breakpoint(self.next_id, kind, what, pcs, **kw)
        self.next_id += 1
        self.breakpoints.append(bp)
        return bp

    def delete_breakpoint(self, n: int) -> None:
        bp = self.breakpoint(n)
        self.breakpoints.remove(bp)

    def breakpoint(self, n: int) -> Breakpoint:
        for bp in self.breakpoints:
            if bp.id == n:
                return bp
        raise DebugError(f"No breakpoint number {n}.")

    # ---- running forward ----------------------------------------------------------------------

    def forward(self, until: Predicate | None = None, armed: bool = True) -> Event:
        """Run until a breakpoint, `until`, or the program's end."""
        if self.exited:
            raise DebugError("The program is not being run.")
        self.until, self.armed, self.hit = until, armed, None
        self.resume_at = self.position
        enabled = [bp for bp in self.breakpoints if bp.enabled]
        self.stop_pcs = frozenset().union(*(bp.pcs for bp in enabled))
        self.watching = any(bp.kind == "watch" for bp in enabled)
        self.every = until is not None or self.watching
        previous = signal.signal(signal.SIGINT, self._interrupt) if _main_thread() else None
        try:
            status = self._run()
        finally:
            self.until, self.armed = None, False
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        if status is not None:
            return Event("exited", self._next_cpu(), f"Process exited with status {status}")
        if self.hit is None:  # advance() found every M asleep with only frozen goroutines to run
            return Event("frozen", self._next_cpu(), "Every goroutine that could run is frozen (thaw N).")
        return self.hit

    def _interrupt(self, _signum: int, _frame: object) -> None:
        self.interrupted = self.every = True

    def _run(self, to: int | None = None) -> int | None:
        """advance() in pieces, taking a snapshot at every multiple of SNAP_EVERY; returns the exit
        status, or None at a break or once the position is `to`. The user's changes of the run are
        made again where they were made (a replay over them, or a run on from before them)."""
        proc = self.proc
        while True:
            self._apply_changes()
            goal = (proc.counted // SNAP_EVERY + 1) * SNAP_EVERY
            if self.state.changes < len(self.changes):
                goal = min(goal, self.changes[self.state.changes][0])
            if to is not None:
                goal = min(goal, to)
            self.state.out_pos = self.out.pos
            status = run.advance(proc, self.limits, goal - proc.counted)
            if status is not None:
                return status
            if proc.break_request:
                self._apply_changes()  # stopped where a change was made: shown as it was made
                return None
            if proc.counted % SNAP_EVERY == 0 and proc.counted not in {s.counted for s in self.snapshots}:
                self._take()
            if to is not None and proc.counted >= to:
                self._apply_changes()
                return None

    def _next_cpu(self) -> int:
        rnd = self.proc.round
        return rnd.next if rnd.next < len(self.proc.machine.cpus) else 0

    def stepi(self, index: int, n: int = 1) -> Event:
        """n instructions of the CPU `index`; the others run meanwhile as they would."""
        target = self.state.counts[index] + n

        def until(i: int, pc: int) -> bool:
            return i == index and self.state.counts[index] >= target

        return self.forward(until)

    # ---- going back ---------------------------------------------------------------------------

    def goto(self, position: int) -> None:
        """The state at a position of this timeline (replayed from the latest snapshot before it)."""
        i = bisect.bisect_right([s.counted for s in self.snapshots], position) - 1
        self._restore(self.snapshots[max(i, 0)])
        if self.position < position:
            self.armed = False
            self._run(to=position)

    def back(self, event: Predicate, window: Callable[[], None] = lambda: None, n: int = 1) -> tuple[int, int] | None:
        """Go to the n-th last place before the present where `event` fires: (position, CPU), or
        None (then the run is at its start: no earlier history). Windows between snapshots are
        searched from the latest back; `window` is called at the start of each."""
        now = self.position
        hi = now
        for snap in reversed([s for s in self.snapshots if s.counted < now]):
            self._restore(snap)
            window()
            self.found = []
            self.scan = event
            try:
                self._run(to=hi)
            finally:
                self.scan = None
            found = [f for f in self.found if f[0] < hi]
            if len(found) >= n:
                self.goto(found[-n][0])
                return found[-n]
            n -= len(found)
            hi = snap.counted
        self.goto(0)
        return None

    def reverse_stepi(self, index: int, n: int = 1) -> tuple[int, int] | None:
        """Back n instructions of CPU index; None (at the start) if it has run fewer."""
        return self.back(lambda i, pc: i == index, n=n)

    def reverse_continue(self) -> Event:
        """Back to the last breakpoint hit or watched change before now."""
        enabled = [bp for bp in self.breakpoints if bp.enabled]
        watches = [bp for bp in enabled if bp.kind == "watch"]
        hits: dict[int, tuple[Breakpoint, tuple[int, int]]] = {}  # position -> what fired there
        space = self.proc.machine.space

        def window() -> None:
            hits.clear()
            for bp in watches:
                bp.old = load(space, bp.addr, bp.size)

        def event(i: int, pc: int) -> bool:
            fired = [bp for bp in enabled if self._fires(bp, i, pc)]  # every one: watches track values
            if fired:
                hits[self.position] = (fired[0], fired[0].changed)
            return bool(fired)

        found = self.back(event, window)
        if found is not None:
            bp, bp.changed = hits[found[0]]
        window()  # watched from where the search left the run
        if found is None:
            return Event("history", self._next_cpu(), "No more reverse-execution history.")
        index, pc = found[1], self.cpu(found[1]).reg("rip")
        return Event("breakpoint", index, self._describe_hit(bp, index, pc), bp)

    def reverse_switch(self) -> Event:
        found = self.back(lambda i, pc: pc == self.gogo and self.is_switch(i))
        if found is None:
            return Event("history", self._next_cpu(), "No more reverse-execution history.")
        return Event("switch", found[1], self.describe_switch(found[1]))

    # ---- snapshots ----------------------------------------------------------------------------

    def _take(self, pinned: bool = False, label: str = "") -> Snapshot:
        self.state.out_pos = self.out.pos
        i = bisect.bisect_right([s.counted for s in self.snapshots], self.position)
        snap = snapshot.take(self.proc, self.state, self.snapshots[i - 1] if i else None)
        snap.pinned, snap.label = pinned, label
        bisect.insort(self.snapshots, snap, key=lambda s: s.counted)
        self._thin()
        return snap

    def _thin(self) -> None:
        auto = [s for s in self.snapshots if not s.pinned]
        if len(auto) <= MAX_AUTO_SNAPSHOTS:
            return
        drop = {id(s) for s in auto[: len(auto) // 2 : 2]}
        self.snapshots = [s for s in self.snapshots if id(s) not in drop]

    def snapshot_bytes(self) -> int:
        """The host memory the snapshots hold (chunks shared between them counted once)."""
        chunks = {id(b): len(b) for s in self.snapshots for b in s.pages.values()}
        return sum(chunks.values())

    def _restore(self, snap: Snapshot) -> None:
        self.state = snapshot.restore(self.proc, snap)
        self.out.pos = self.state.out_pos

    def checkpoint(self) -> int:
        n = max(self.checkpoints, default=0) + 1
        self.checkpoints[n] = self._take(pinned=True, label=f"checkpoint {n}")
        return n

    def restart(self, n: int = 0) -> None:
        """To checkpoint n, or to the start of a fresh run (0): breakpoints stay, the changes made
        to the run (and what was recorded after the first) go."""
        if n and n not in self.checkpoints:
            raise DebugError(f"No checkpoint number {n}.")
        if not n and self.changes:
            first = self.changes[0][0]
            self.out.shown = min(self.out.shown, self.changes[0][2])  # what followed is not this run's
            self.changes.clear()
            self.snapshots = [s for s in self.snapshots if s.counted < first or s.label == "boot"]
            self.checkpoints = {k: s for k, s in self.checkpoints.items() if s.counted < first}
        self._restore(self.checkpoints[n] if n else self.snapshots[0])

    # ---- changing the run ---------------------------------------------------------------------

    def intervene(self, change: Callable[[], None]) -> None:
        """Apply a change the program would not make itself (freeze, thaw, preempt). It becomes
        part of the run's history, made again whenever the run passes this position; what came
        after it (snapshots, checkpoints, changes later in the old timeline) is dropped."""
        now = self.position
        del self.changes[self.state.changes :]
        change()
        self.changes.append((now, change, self.out.pos))
        self.state.changes += 1
        self.snapshots = [s for s in self.snapshots if s.counted <= now]
        self.checkpoints = {k: s for k, s in self.checkpoints.items() if s.counted < now}
        self.out.shown = self.out.pos
        self._take(pinned=True, label="change")

    def _apply_changes(self) -> None:
        """Make the changes due at this position that this state has not had yet."""
        while self.state.changes < len(self.changes) and self.changes[self.state.changes][0] == self.position:
            self.changes[self.state.changes][1]()
            self.state.changes += 1


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
