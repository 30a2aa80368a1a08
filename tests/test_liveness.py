"""Well-behaved programs always finish: goroutines that sleep, spin and yield in any mix, on one to
four Ps, all get to the end and main receives every one of their results. A scheduler that loses a
wake-up (a timer nobody looks at, an M asleep with work queued) turns into a run that stops at
the instruction limit instead, which these properties catch."""

import io
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emu.bench_programs import fan_in
from emu.run import Config, Limits, run

SPINS = [10, 10_000, 300_000]
STEP = st.one_of(
    st.sampled_from([0, 1_000, 1_000_000, 3_000_000]).map(lambda ns: ("sleep", ns)),
    st.sampled_from(SPINS).map(lambda n: ("spin", n)),
    st.just(("gosched", 0)),
)


def assembly(steps: list[tuple[str, int]], prefix: str) -> str:
    out = []
    for i, (op, n) in enumerate(steps):
        if op == "sleep":
            out.append(f"\tMOVQ\t${n}, 0(SP)\n\tCALL\ttime·Sleep(SB)\n")
        elif op == "spin":
            out.append(f"\tMOVQ\t${n}, CX\n{prefix}{i}:\n\tDECQ\tCX\n\tJNZ\t{prefix}{i}\n")
        else:
            out.append("\tCALL\truntime·Gosched(SB)\n")
    return "".join(out)


def check(workers: int, body: list[tuple[str, int]], before: list[tuple[str, int]], procs: int, fast: bool = False) -> None:
    src = fan_in(workers, assembly(body, "w") + "\tDONE")
    # main's own steps come before it starts the workers (fan_in's main begins with MAKECHAN).
    src = src.replace("TEXT main·main(SB), $40-0\n", "TEXT main·main(SB), $40-0\n" + assembly(before, "m"))
    spun = sum(n for op, n in body if op == "spin") * workers + sum(n for op, n in before if op == "spin")
    out, err = io.BytesIO(), io.BytesIO()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "live.s")
        with open(path, "w") as f:
            f.write(src)
        # --fast slices by time and counts no instructions: a wall-clock bound instead
        limits = Limits(timeout=60) if fast else Limits(max_insns=2 * spun + 5_000_000)
        status = run([path], None, limits, out, err, Config(gomaxprocs=procs, fast=fast))
    assert (status, err.getvalue().decode()) == (0, f"{workers}\n"), src


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 6), st.lists(STEP, max_size=5), st.lists(STEP, max_size=2), st.integers(1, 4))
def test_sleeping_spinning_yielding_goroutines_all_finish(workers, body, before, procs):
    check(workers, body, before, procs)


@pytest.mark.fuzz
@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
@given(st.integers(1, 12), st.lists(STEP, max_size=8), st.lists(STEP, max_size=3), st.integers(1, 4), st.booleans())
def test_sleeping_spinning_yielding_goroutines_all_finish_full_budget(workers, body, before, procs, fast):
    check(workers, body, before, procs, fast)
