"""The debugger's engine: a run stopped anywhere, stepped, or sent back and replayed is the very
run `goemu run` makes (same output, same registers and memory at every position)."""

import hashlib
import random
from pathlib import Path

import pytest

from emu import run as R
from emu.debugger import snapshot
from emu.debugger.engine import SNAP_EVERY, DebugError, Engine
from runtime.layout import G

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


OPEN: list[Engine] = []


def engine(name: str, gomaxprocs: int = 0) -> tuple[Engine, list[bytes]]:
    out: list[bytes] = []
    e = Engine([str(SAMPLES / f"{name}.s")], R.Config(gomaxprocs=gomaxprocs), out.append)
    OPEN.append(e)
    return e, out


@pytest.fixture(autouse=True)
def _close_engines():
    """Each engine maps a 16 GiB arena (reserving nothing): release them test by test."""
    yield
    while OPEN:
        OPEN.pop().close()


def digest(e: Engine) -> tuple[str, list[int]]:
    """Every byte of guest memory in use and every CPU's registers."""
    h = hashlib.sha256()
    space = e.proc.machine.space
    for addr, n in snapshot._extents(e.proc):
        view, off = space.locate(addr, n)
        h.update(bytes(view[off : off + n]))
    regs = [c.reg(r) for c in e.proc.machine.cpus for r in ("rip", "rsp", "rbp", "rax", "rbx", "rcx", "rdx", "rflags")]
    return h.hexdigest(), regs


@pytest.mark.parametrize(
    "name,procs",
    [("pingpong", 1), ("spawn5", 1), ("chanpipe", 0), ("workers", 1), ("sleep", 0), ("blocksyscall", 1), ("closure", 0), ("buffered", 1)],
)
def test_output_is_goemu_runs(name, procs):
    e, out = engine(name, procs)
    event = e.forward()
    assert event.kind == "exited"
    assert b"".join(out) == (SAMPLES / f"{name}.out").read_bytes()


def test_pieces_make_the_same_run():
    """Stopping every few instructions (any CPU) changes nothing: same state at the same position."""
    goal = 150_000
    whole, _ = engine("parallel")  # four Ms
    whole.armed = False
    whole._run(to=goal)
    stepped, _ = engine("parallel")
    rng = random.Random(5)
    while stepped.position < goal and not stepped.exited:
        stepped.armed = False
        stepped._run(to=min(goal, stepped.position + rng.randint(1, 3000)))
    assert len(whole.proc.machine.cpus) == 4
    assert stepped.position == whole.position == goal
    assert digest(stepped) == digest(whole)


def test_stepi_steps_the_selected_cpu_only():
    e, _ = engine("pingpong", 1)
    before = list(e.state.counts)
    pc = e.cpu(0).reg("rip")
    e.stepi(0)
    assert e.state.counts[0] == before[0] + 1
    assert e.cpu(0).reg("rip") != pc
    e.stepi(0, 10)
    assert e.state.counts[0] == before[0] + 11


def test_reverse_stepi_restores_registers_and_memory():
    e, _ = engine("pingpong", 1)
    seen = []
    for _ in range(60):
        seen.append((e.position, digest(e)))
        e.stepi(0)
    for position, state in reversed(seen[-25:]):
        e.reverse_stepi(0)
        assert e.position == position
        assert digest(e) == state


def test_reverse_across_snapshots_and_a_stack_growth():
    """growstack: 2M instructions, snapshots every SNAP_EVERY; going back over several of them
    and over copystack returns the exact state."""
    e, out = engine("growstack")
    e.armed = False
    e._run(to=3 * SNAP_EVERY + 17)
    state, position = digest(e), e.position
    e.stepi(0, 1000)
    e.goto(position)
    assert (e.position, digest(e)) == (position, state)
    e.forward()
    assert b"".join(out) == (SAMPLES / "growstack.out").read_bytes()
    e.goto(position)
    assert digest(e) == state
    assert len(e.snapshots) >= 8


def test_output_is_shown_once_when_replaying():
    e, out = engine("pingpong", 1)
    e.forward()
    e.restart()
    e.forward()
    assert b"".join(out) == (SAMPLES / "pingpong.out").read_bytes()


def test_switches_forward_and_back():
    """Each switch of pingpong's start and its Gosched rounds, found forward, then backward."""
    e, _ = engine("pingpong", 1)
    seen = []
    for _ in range(7):
        event = e.forward(lambda i, pc: pc == e.gogo and e.is_switch(i))
        seen.append((e.position, e.describe_switch(event.cpu)))
    assert seen == [
        (95, "idle -> g4 on M2: schedule"),
        (138, "idle -> g1 on M0: schedule"),
        (170, "idle -> g2 on M2: schedule"),
        (206, "g2 -> g3 on M2: force gc (idle) (park_m)"),
        (249, "idle -> g1 on M0: schedule"),
        (324, "g1 -> g6 on M0: Gosched (gosched_m)"),
        (420, "g6 -> g5 on M0: Gosched (gosched_m)"),
    ]
    for position, text in [*reversed(seen[:-1]), (0, "idle -> g1 on M0: schedule")]:  # boot's first
        event = e.reverse_switch()
        assert (e.position, event.kind, event.text) == (position, "switch", text)
    assert e.reverse_switch().kind == "history"
    assert e.position == 0


def test_checkpoints_and_restart():
    e, _ = engine("pingpong", 1)
    e.stepi(0, 100)
    state, position = digest(e), e.position
    assert e.state.counts[0] == 100 and position == 143  # M2 ran 43 instructions meanwhile
    n = e.checkpoint()
    e.forward()
    assert e.exited
    e.restart(n)
    assert (e.position, digest(e)) == (position, state)
    with pytest.raises(DebugError, match="No checkpoint number 7."):
        e.restart(7)


def test_freeze_sets_a_goroutine_aside_until_thawed():
    """pingpong with ping (g5) frozen: pong plays alone (main spins on its Gosched loop), and
    ping plays once thawed."""
    e, out = engine("pingpong", 1)
    while e.position < 324:  # the first switch to pong (g6): no one has printed yet
        e.forward(lambda i, pc: pc == e.gogo and e.is_switch(i))
    assert (e.position, out) == (324, [])
    g5 = next(a for a in e.proc.runtime.allgs if G(e.proc.machine.space, a).goid == 5)
    e.intervene(lambda: e.proc.runtime.frozen.add(g5))
    e.stepi(0, 5000)
    assert b"".join(out) == b"pong 0\npong 1\npong 2\n"
    e.intervene(lambda: e.proc.runtime.thaw(G(e.proc.machine.space, g5)))
    assert e.forward().kind == "exited"
    assert b"".join(out) == b"pong 0\npong 1\npong 2\nping 0\nping 1\nping 2\n"


def test_a_change_is_made_again_when_the_run_passes_it():
    """Going back before a freeze and running on passes the freeze again: the same timeline
    (same state at the same position, nothing printed twice); `run` starts fresh without it."""
    e, out = engine("pingpong", 1)
    while e.position < 324:
        e.forward(lambda i, pc: pc == e.gogo and e.is_switch(i))
    g5 = next(a for a in e.proc.runtime.allgs if G(e.proc.machine.space, a).goid == 5)
    e.intervene(lambda: e.proc.runtime.frozen.add(g5))
    e.stepi(0, 2000)
    later, state = e.position, digest(e)
    e.goto(200)  # before the freeze
    assert g5 not in e.proc.runtime.frozen
    e.armed = False
    e._run(to=later)
    assert digest(e) == state and g5 in e.proc.runtime.frozen
    assert b"".join(out) == b"pong 0\npong 1\npong 2\n"
    e.restart()
    assert e.forward().kind == "exited"  # no freeze in a fresh run: ping plays too
    assert b"".join(out).count(b"ping") == 3
