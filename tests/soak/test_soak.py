"""The soak test (`pytest -m soak`, outside the default run): 10,000 goroutines send 10 million
messages on one buffered channel in --fast mode, main receives and counts them. The count must be
exact, and the host's memory flat: the run's peak resident memory is that of a run of a tenth as
many messages, give or take 64 MiB (nothing is kept per message)."""

import pytest

from emu.bench import run_alone
from emu.bench_programs import fan_in

GOROUTINES = 10_000
MESSAGES = 10_000_000

# G goroutines send 1 N times each on a channel of 1024 (memory arithmetic through AX: --fast may
# time slices out); main receives G*N values, adds them up and prints the sum.
SOAK = fan_in("G", """
	MOVQ	$N, n-8(SP)
loop:
	DONE
	DEC(n-8(SP))
	JNZ	loop""", total="$(G*N)", size="$1024")


def _run(goroutines: int, per: int) -> tuple[int, str, int]:
    """goemu run --fast of the soak program in a process of its own: (status, what it printed on
    standard error, its peak resident memory in bytes)."""
    r = run_alone(SOAK, ["--fast", "-D", f"G={goroutines}", "-D", f"N={per}"])
    return r.status, r.err, r.rss


@pytest.mark.soak
def test_ten_million_messages_counted_exactly_in_flat_memory():
    status, err, rss = _run(GOROUTINES, MESSAGES // GOROUTINES)
    assert (status, err) == (0, f"{MESSAGES}\n")
    status, err, rss_tenth = _run(GOROUTINES, MESSAGES // GOROUTINES // 10)
    assert (status, err) == (0, f"{MESSAGES // 10}\n")
    assert rss - rss_tenth < 64 << 20, (rss, rss_tenth)


def test_the_soak_program_counts_exactly_when_small():
    # The same program at 20 goroutines x 50 messages, in the default run: it must stay right.
    assert _run(20, 50)[:2] == (0, "1000\n")
