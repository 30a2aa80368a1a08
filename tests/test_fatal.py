"""Each way a program ends in a panic or a fatal error prints Go 1.19's words and exits with 2."""

import io

import pytest

from emu.run import Config, Limits, boot, build, run, run_process
from runtime.proc import CLOCK_START

MAKECHAN = "\tMOVQ $8, 0(SP)\n\tMOVQ $1, 8(SP)\n\tCALL runtime·makechan(SB)\n\tMOVQ 16(SP), AX\n\tMOVQ AX, c-8(SP)\n"
CLOSE = "\tMOVQ c-8(SP), AX\n\tMOVQ AX, 0(SP)\n\tCALL runtime·closechan(SB)\n"


def run_main(tmp_path, body: str, gomaxprocs: int = 1) -> tuple[int, str, str]:
    src = tmp_path / "prog.s"
    src.write_text(f"TEXT main·main(SB), $40-0\n{body}\tRET\n")
    out, err = io.BytesIO(), io.BytesIO()
    status = run([str(src)], None, Limits(max_insns=10_000_000), out, err, Config(gomaxprocs=gomaxprocs))
    return status, err.getvalue().decode(), str(src)


def panic_at(src: str, msg: str, line: int, off: int) -> str:
    return f"panic: {msg}\n\ngoroutine 1 [running]:\nmain.main()\n\t{src}:{line} +{off:#x}\n"


@pytest.mark.parametrize("gomaxprocs", [1, 4])
def test_send_on_closed_channel(tmp_path, gomaxprocs):
    send = "\tMOVQ c-8(SP), AX\n\tMOVQ AX, 0(SP)\n\tLEAQ c-8(SP), AX\n\tMOVQ AX, 8(SP)\n\tCALL runtime·chansend1(SB)\n"
    status, err, src = run_main(tmp_path, MAKECHAN + CLOSE + send, gomaxprocs)
    assert (status, err) == (2, panic_at(src, "send on closed channel", 14, 0x63))


def test_close_of_closed_channel(tmp_path):
    status, err, src = run_main(tmp_path, MAKECHAN + CLOSE + CLOSE)
    assert (status, err) == (2, panic_at(src, "close of closed channel", 12, 0x59))


def test_close_of_nil_channel(tmp_path):
    status, err, src = run_main(tmp_path, "\tMOVQ $0, 0(SP)\n\tCALL runtime·closechan(SB)\n")
    assert (status, err) == (2, panic_at(src, "close of nil channel", 3, 0x2a))


def test_makechan_size_out_of_range(tmp_path):
    body = "\tMOVQ $8, 0(SP)\n\tMOVQ $-1, 8(SP)\n\tCALL runtime·makechan(SB)\n"
    status, err, src = run_main(tmp_path, body)
    assert (status, err) == (2, panic_at(src, "makechan: size out of range", 4, 0x33))


@pytest.mark.parametrize("gomaxprocs", [1, 4])
def test_main_goexit_with_nothing_left_is_a_deadlock(tmp_path, gomaxprocs):
    status, err, _ = run_main(tmp_path, "\tCALL runtime·Goexit(SB)\n", gomaxprocs)
    assert (status, err) == (2, "fatal error: no goroutines (main called runtime.Goexit) - deadlock!\n")


@pytest.mark.parametrize("gomaxprocs", [1, 4])
def test_everyone_asleep_is_a_deadlock(tmp_path, gomaxprocs):
    body = "\tMOVQ $0, 0(SP)\n\tMOVQ $0, 8(SP)\n\tCALL runtime·chanrecv1(SB)\n"
    status, err, src = run_main(tmp_path, body, gomaxprocs)
    assert status == 2
    assert err == (
        "fatal error: all goroutines are asleep - deadlock!\n\n"
        f"goroutine 1 [chan receive (nil chan)]:\nmain.main()\n\t{src}:4 +0x33\n"
    )


def test_sleeping_goroutine_is_not_a_deadlock(tmp_path):
    """A pending timer keeps checkdead quiet: the clock jumps to it and main goes on."""
    body = "\tMOVQ $1000000000, 0(SP)\n\tCALL time·Sleep(SB)\n\tMOVQ $7, 0(SP)\n\tCALL runtime·printint(SB)\n"
    status, err, _ = run_main(tmp_path, body)
    assert (status, err) == (0, "7")


def test_gomaxprocs_reports_and_changes_the_number_of_ps(tmp_path):
    body = (
        "\tMOVQ $3, 0(SP)\n\tCALL runtime·GOMAXPROCS(SB)\n\tMOVQ 8(SP), AX\n\tMOVQ AX, 0(SP)\n"
        "\tCALL runtime·printint(SB)\n"
        "\tMOVQ $0, 0(SP)\n\tCALL runtime·GOMAXPROCS(SB)\n\tMOVQ 8(SP), AX\n\tMOVQ AX, 0(SP)\n"
        "\tCALL runtime·printint(SB)\n"
    )
    assert run_main(tmp_path, body, 4)[:2] == (0, "43")
    assert run_main(tmp_path, body, 1)[:2] == (0, "13")


def test_write_to_other_fds_and_bad_pointers_fails_like_linux(tmp_path):
    """runtime·write and SYSCALL write share write1: -EBADF beyond stdout/stderr, -EFAULT for
    memory that is not mapped."""
    body = (
        "\tMOVQ $3, 0(SP)\n\tMOVQ $0, 8(SP)\n\tMOVL $1, 16(SP)\n\tCALL runtime·write(SB)\n"
        "\tMOVLQSX 24(SP), AX\n\tMOVQ AX, 0(SP)\n\tCALL runtime·printint(SB)\n"
        "\tMOVQ $1, DI\n\tMOVQ $16, SI\n\tMOVQ $1, DX\n\tMOVQ $1, AX\n\tSYSCALL\n"
        "\tMOVQ AX, 0(SP)\n\tCALL runtime·printint(SB)\n"
    )
    assert run_main(tmp_path, body)[:2] == (0, "-9-14")


def test_out_of_memory_under_max_memory(tmp_path):
    src = tmp_path / "prog.s"
    src.write_text(
        "TEXT main·main(SB), $32-0\nloop:\n\tMOVQ $1048576, 0(SP)\n\tMOVQ $0, 8(SP)\n\tMOVB $1, 16(SP)\n"
        "\tCALL runtime·mallocgc(SB)\n\tJMP loop\n"
    )
    image, gates = build([str(src)])
    out, err = io.BytesIO(), io.BytesIO()
    proc = boot(image, gates, out, err, Config(gomaxprocs=1, max_memory=8 << 20))
    status = run_process(proc, Limits())
    used = proc.runtime.arena.budget.used  # the runtime's own objects, then seven 1 MiB blocks
    proc.machine.close()
    assert 7 << 20 < used <= 8 << 20 < used + (1 << 20)
    assert (status, err.getvalue().decode()) == (2, (
        f"runtime: out of memory: cannot allocate 1048576-byte block ({used} in use)\nfatal error: out of memory\n\n"
        f"goroutine 1 [running]:\nmain.main()\n\t{src}:6 +0x38\n"
    ))  # fmt: skip


def test_a_bad_pointer_given_to_the_runtime_faults_inside_it(tmp_path):
    # printstring of a string whose pointer is nil: Go's runtime faults in its own code, where it
    # cannot panic (print holds a lock), and throws. The pc is the runtime function's gate.
    src = tmp_path / "prog.s"
    src.write_text("TEXT main·main(SB), $24-0\n\tMOVQ $0, 0(SP)\n\tMOVQ $1, 8(SP)\n\tCALL runtime·printstring(SB)\n\tRET\n")
    image, gates = build([str(src)])
    out, err = io.BytesIO(), io.BytesIO()
    status = run([str(src)], None, Limits(), out, err, Config(gomaxprocs=1))
    pc = gates["gate.runtime_printstring"]
    assert (status, err.getvalue().decode()) == (2, (
        "fatal error: unexpected signal during runtime execution\n"
        f"[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc={pc:#x}]\n\n"
        f"goroutine 1 [running]:\nmain.main()\n\t{src}:4 +0x33\n"  # the CALL's return address
    ))  # fmt: skip


def throw_at(src: str, msg: str, line: int, off: int) -> str:
    """A throw in a runtime call the goroutine made: its traceback from the call's return address."""
    return f"fatal error: {msg}\n\ngoroutine 1 [running]:\nmain.main()\n\t{src}:{line} +{off:#x}\n"


def test_makechan_of_an_element_of_64k_or_more_throws(tmp_path):
    body = "\tMOVQ $65536, 0(SP)\n\tMOVQ $1, 8(SP)\n\tCALL runtime·makechan(SB)\n"
    status, err, src = run_main(tmp_path, body)
    assert (status, err) == (2, throw_at(src, "makechan: invalid channel element type", 4, 0x33))


def test_gomaxprocs_past_goemus_256_ps_throws(tmp_path):
    status, err, src = run_main(tmp_path, "\tMOVQ $257, 0(SP)\n\tCALL runtime·GOMAXPROCS(SB)\n")
    assert (status, err) == (2, throw_at(src, "goemu: GOMAXPROCS(257): at most 256 Ps are supported", 3, 0x2a))


SPINNER = "TEXT ·spin(SB), $0-0\nloop:\n\tJMP loop\n"
GO_SPIN_AND_SLEEP = (
    "\tLEAQ ·spin(SB), AX\n\tMOVQ AX, f-8(SP)\n\tLEAQ f-8(SP), AX\n\tMOVQ AX, 0(SP)\n\tCALL runtime·newproc(SB)\n"
    "\tMOVQ $1000000, 0(SP)\n\tCALL time·Sleep(SB)\n"
)


def test_sleeping_beside_a_spinning_goroutine_wakes_on_time(tmp_path):
    """main sleeps on P0 while its goroutine spins on P0's M; the M that sleeps in netpoll until
    the timer wakes with another P, and finds the timer on P0 (timerpMask) as Go's stealWork does."""
    src = tmp_path / "prog.s"
    src.write_text(SPINNER + "TEXT main·main(SB), $40-0\n" + GO_SPIN_AND_SLEEP +
                   "\tCALL runtime·nanotime(SB)\n\tMOVQ 0(SP), AX\n\tMOVQ AX, 0(SP)\n\tCALL runtime·printint(SB)\n\tRET\n")  # fmt: skip
    out, err = io.BytesIO(), io.BytesIO()
    assert run([str(src)], None, Limits(max_insns=20_000_000), out, err, Config(gomaxprocs=4)) == 0
    slept = int(err.getvalue()) - CLOCK_START
    assert 1_000_000 <= slept < 1_100_000


def test_gomaxprocs_while_another_p_runs_a_goroutine_is_not_implemented(tmp_path):
    src = tmp_path / "prog.s"
    src.write_text(SPINNER + "TEXT main·main(SB), $40-0\n" + GO_SPIN_AND_SLEEP +
                   "\tMOVQ $2, 0(SP)\n\tCALL runtime·GOMAXPROCS(SB)\n\tRET\n")  # fmt: skip
    out, err = io.BytesIO(), io.BytesIO()
    assert run([str(src)], None, Limits(max_insns=20_000_000), out, err, Config(gomaxprocs=4)) == 2
    message = "goemu: stopping the world while other Ps run Gs needs preemption (not implemented yet)"
    assert err.getvalue().decode() == throw_at(str(src), message, 13, 0x51)


def test_a_sleep_of_years_jumps_the_deterministic_clock(tmp_path):
    """Every M sleeps until the timer, sysmon too (no forced GC to wake it every minute): the
    clock jumps there in one step, as the playground's does."""
    body = ("\tMOVQ $1000000000000000000, AX\n\tMOVQ AX, 0(SP)\n\tCALL time·Sleep(SB)\n"
            "\tCALL runtime·nanotime(SB)\n\tCALL runtime·printint(SB)\n")  # fmt: skip
    status, err, _ = run_main(tmp_path, body, gomaxprocs=2)
    assert status == 0 and 10**18 <= int(err) - CLOCK_START < 10**18 + 1_000_000


def test_timeout_stops_a_fast_program_while_every_m_sleeps(tmp_path):
    src = tmp_path / "prog.s"
    src.write_text("TEXT main·main(SB), $16-0\n\tMOVQ $1000000000000000000, AX\n\tMOVQ AX, 0(SP)\n"
                   "\tCALL time·Sleep(SB)\n\tRET\n")  # fmt: skip
    out, err = io.BytesIO(), io.BytesIO()
    assert run([str(src)], None, Limits(timeout=0.2), out, err, Config(fast=True)) == 2
    assert err.getvalue() == b"goemu: stopped after --timeout 0.2s (every M asleep)\n"
