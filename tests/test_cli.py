"""The goemu command line as a user runs it: outputs, exit statuses, no tracebacks."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "samples" / "hello.s"


def goemu(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emu", *args], cwd=cwd, capture_output=True, text=True)


def test_asm_listing_is_gos():
    r = goemu("asm", "-S", "samples/hello.s")
    assert r.returncode == 0, r.stderr
    golden = (ROOT / "tests" / "vectors" / "hello.lst").read_text()
    assert r.stdout == golden.replace("(hello.s:", "(samples/hello.s:")


def test_asm_json():
    r = goemu("asm", "--json", "samples/hello.s")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    main, done = doc["symbols"]
    assert (main["name"], main["frame"], main["args"], main["size"]) == ("main.main", 24, 0, 81)
    assert done["flags"] == "NOSPLIT" and done["code"] == "c3"
    first = main["instructions"][0]
    assert first == {"offset": 0, "file": "samples/hello.s", "line": 11, "text": "MOVQ\t(TLS), R14",
                     "bytes": "644c8b342500000000", "inserted": True}  # fmt: skip
    syscall = next(i for i in main["instructions"] if i["text"] == "SYSCALL")
    assert (syscall["bytes"], syscall["inserted"], syscall["source"]) == ("0f05", False, "SYSCALL")
    assert main["relocations"][1] == {
        "offset": 39,
        "size": 4,
        "symbol": "msg<>",
        "addend": 0,
        "kind": "R_PCREL",
    }
    assert doc["data"][0]["data"] == b"hello, world!\n".hex()


def test_asm_errors_exit_1_without_traceback(tmp_path):
    bad = tmp_path / "bad.s"
    bad.write_text("TEXT ·f(SB), $0\n\tFROB AX\n\tJMP nowhere\n")
    r = goemu("asm", str(bad))
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == f"{bad}:2:2: unrecognized instruction 'FROB'\n{bad}:3:6: undefined label nowhere\n"
    assert "Traceback" not in r.stderr


def test_missing_file():
    r = goemu("asm", "no/such.s")
    assert (r.returncode, r.stderr) == (1, "open no/such.s: no such file or directory\n")


def test_defines_and_include_dirs(tmp_path):
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "k.h").write_text("#define K $7\n")
    src = tmp_path / "d.s"
    src.write_text(
        '#include "k.h"\nTEXT ·f(SB), 4, $0\n\tMOVQ K, AX\n#ifdef EXTRA\n\tMOVQ $V, BX\n#endif\n\tRET\n'
    )
    r = goemu("asm", "-S", "-I", str(tmp_path / "inc"), "-D", "EXTRA", "-D", "V=9", str(src))
    assert r.returncode == 0, r.stderr
    assert "MOVQ\t$7, AX" in r.stdout and "MOVQ\t$9, BX" in r.stdout


def test_image_roundtrip(tmp_path):
    out = tmp_path / "hello.img"
    r = goemu("asm", "-o", str(out), "samples/hello.s")
    assert r.returncode == 0, r.stderr
    from asm.imagefile import load

    img = load(str(out))
    main = img.symbols["main.main"]
    assert (main.addr, main.size) == (0x401000, 81)
    assert img.symbols["main.done"].addr == 0x401060  # functions are 32-byte aligned
    assert img.read(img.symbols["msg<>"].addr, 14) == b"hello, world!\n"
    assert img.line_at(0x401000 + 57) == ("samples/hello.s", 16)  # SYSCALL
    assert img.unresolved == ["runtime.morestack_noctxt"]


def test_usage_error_exit_2():
    r = goemu("asm")
    assert r.returncode == 2 and "usage: goemu asm" in r.stderr


def goemu_env(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emu", *args], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env}
    )


def test_run_honours_gomaxprocs_from_the_environment_and_the_flag():
    """samples/parallel.s measures its four workers: 8 ms on four Ps, 31 ms on one (32M instructions;
    the clock counts a slice cut short at a runtime call as 1,000 instructions, see the README)."""
    four = goemu_env({"GOMAXPROCS": ""}, "run", "samples/parallel.s")
    assert (four.returncode, four.stderr.splitlines()[-1]) == (0, "elapsed ms: 8")  # --ncpu 4's default
    one = goemu_env({"GOMAXPROCS": "1"}, "run", "samples/parallel.s")
    assert one.stderr.splitlines()[-1] == "elapsed ms: 31"
    flag = goemu_env({"GOMAXPROCS": "1"}, "run", "--gomaxprocs", "2", "samples/parallel.s")
    assert flag.stderr.splitlines()[-1] == "elapsed ms: 18"  # the flag wins over the environment
    ncpu = goemu_env({"GOMAXPROCS": "junk"}, "run", "--ncpu", "1", "samples/parallel.s")  # ignored, as Go does
    assert ncpu.stderr.splitlines()[-1] == "elapsed ms: 31"


def test_run_rejects_bad_limits():
    r = goemu("run", "--gomaxprocs", "1000", "samples/hello.s")
    assert (r.returncode, r.stderr) == (2, "goemu run: --ncpu and GOMAXPROCS must be between 1 and 256\n")
    r = goemu("run", "--fast", "--max-insns", "10", "samples/hello.s")
    assert r.returncode == 2
    assert r.stderr == "goemu run: --max-insns counts instructions in deterministic mode only (not with --fast)\n"
    for bad in ("0", "12XB", "-1MiB", "1.5GiB"):
        r = goemu("run", f"--max-memory={bad}", "samples/hello.s")
        assert r.returncode == 2
        assert r.stderr.splitlines()[-1] == (
            f"goemu run: error: argument --max-memory: invalid size '{bad}' (examples: 65536, 512MiB, 2GiB)"
        )
    r = goemu("run", "--max-memory", "64MiB", "samples/hello.s")
    assert (r.returncode, r.stdout) == (0, "hello, world!\n")


def test_memory_size_is_gomemlimit_syntax():
    from emu.cli import memory_size

    assert [memory_size(t) for t in ("65536", "100B", "4KiB", "512MiB", "2GiB", "1TiB")] == [
        65536, 100, 4096, 512 << 20, 2 << 30, 1 << 40]  # fmt: skip


def test_run_timeout_stops_a_spinning_program(tmp_path):
    src = tmp_path / "spin.s"
    src.write_text("TEXT main·main(SB), $0\nl:\n\tJMP l\n")
    for mode in ([], ["--fast"]):
        # A timeslice longer than the run: sysmon never preempts main, so it stops in its loop.
        r = goemu("run", *mode, "--timeout", "0.2", "--timeslice", "1m", str(src))
        stopped = "goemu: stopped after --timeout 0.2s (pc=0x401000 main.main)\n"
        assert (r.returncode, r.stdout, r.stderr) == (2, "", stopped)


def test_fast_mode_runs_on_the_host_clock():
    r = goemu("run", "--fast", "samples/sleep.s")
    lines = r.stderr.splitlines()
    assert r.returncode == 0 and lines[:3] == ["woke after 10 ms", "woke after 20 ms", "woke after 30 ms"]
    assert lines[3].startswith("elapsed ms: ")  # a wall-clock figure: timing is not asserted


def test_max_goroutines_and_max_output_stop_the_program_where_it_stands(tmp_path):
    many = tmp_path / "many.s"
    many.write_text(
        '#include "textflag.h"\nDATA wPC<>+0(SB)/8, $·w(SB)\nGLOBL wPC<>(SB), RODATA, $8\n'
        "TEXT ·w(SB), NOSPLIT, $0-0\n\tRET\nTEXT main·main(SB), $16-0\nloop:\n\tLEAQ wPC<>(SB), AX\n"
        "\tMOVQ AX, 0(SP)\n\tCALL runtime·newproc(SB)\n\tJMP loop\n"
    )
    r = goemu_env({"GOMAXPROCS": "1"}, "run", "--max-goroutines", "100", str(many))
    # main and 99 goroutines are alive: the 100th go statement stops at newproc's return address
    assert (r.returncode, r.stdout, r.stderr) == (
        2, "", "goemu: stopped after --max-goroutines 100 (pc=0x40104d main.main+0x2d)\n")  # fmt: skip
    out = tmp_path / "out.s"
    out.write_text("TEXT main·main(SB), $16-0\nloop:\n\tMOVQ $65, 0(SP)\n\tCALL runtime·printint(SB)\n\tJMP loop\n")
    r = goemu("run", "--max-output", "11", str(out))
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "65656565656\ngoemu: stopped after --max-output 11 bytes (pc=0x40102a main.main+0x2a)\n"
    r = goemu("run", "--max-goroutines", "-1", "samples/hello.s")
    assert (r.returncode, r.stderr) == (2, "goemu run: --max-goroutines must not be negative\n")


def test_max_output_stops_a_raw_write_system_call(tmp_path):
    src = tmp_path / "w.s"
    src.write_text(
        '#include "textflag.h"\nDATA msg<>+0(SB)/6, $"hello\\n"\nGLOBL msg<>(SB), RODATA, $8\nTEXT main·main(SB), $0-0\nloop:\n'
        "\tMOVQ $1, AX\n\tMOVQ $1, DI\n\tLEAQ msg<>(SB), SI\n\tMOVQ $6, DX\n\tSYSCALL\n\tJMP loop\n"
    )
    r = goemu("run", "--max-output", "8", str(src))
    # what fits is written; the program stops at the SYSCALL (0x1c: four 7-byte MOVs/LEAQ, no frame)
    assert (r.returncode, r.stdout, r.stderr) == (
        2, "hello\nhe", "goemu: stopped after --max-output 8 bytes (pc=0x40101c main.main+0x1c)\n")  # fmt: skip


def test_a_write_of_gigabytes_is_copied_a_chunk_at_a_time(tmp_path):
    # 3 GiB of the heap arena to standard output: bytes of the runtime's objects, then zeros (the
    # host copies 1 MiB at a time, and --max-output stops it after 2 MiB and 5 bytes).
    src = tmp_path / "big.s"
    src.write_text("TEXT main·main(SB), $0-0\n\tMOVQ $1, AX\n\tMOVQ $1, DI\n\tMOVQ $0xc000000000, SI\n"
                   "\tMOVQ $0xc0000000, DX\n\tSYSCALL\n\tRET\n")  # fmt: skip
    r = subprocess.run([sys.executable, "-m", "emu", "run", "--max-output", str((2 << 20) + 5), str(src)], cwd=ROOT,
                       capture_output=True)  # fmt: skip
    assert (r.returncode, len(r.stdout)) == (2, (2 << 20) + 5)
    assert r.stderr.decode() == f"goemu: stopped after --max-output {(2 << 20) + 5} bytes (pc=0x40101d main.main+0x1d)\n"


def test_max_output_reached_by_sysmon_s_schedtrace_lines():
    r = goemu_env({"GODEBUG": "schedtrace=1"}, "run", "--max-output", "100", "samples/sleep.s")
    line = "SCHED 0ms: gomaxprocs=4 idleprocs=4 threads=5 spinningthreads=0 idlethreads=3 runqueue=0 [0 0 0 0]\n"
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (line + "SCHED 1ms")[:100] + "\ngoemu: stopped after --max-output 100 bytes (in sysmon)\n"


def test_runtime_goroutines_do_not_count_toward_max_goroutines():
    """Like NumGoroutine, the count leaves out the runtime's own (forcegchelper, bgsweep, ...)."""
    r = goemu("run", "--max-goroutines", "1", "samples/hello.s")
    assert (r.returncode, r.stdout, r.stderr) == (0, "hello, world!\n", "")


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "soon"])
def test_timeout_takes_a_finite_number_of_seconds(value):
    r = goemu("run", f"--timeout={value}", "samples/hello.s")
    assert r.returncode == 2
    reason = f"invalid number of seconds {value!r}" if value == "soon" else (
        f"--timeout takes a finite number of seconds, not {value!r} (0: no limit)")  # fmt: skip
    assert r.stderr.endswith(f"goemu run: error: argument --timeout: {reason}\n")


def test_max_memory_below_what_the_runtime_needs_to_start():
    r = goemu("run", "--max-memory", "1", "samples/hello.s")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "runtime: out of memory: cannot allocate 1008-byte block (6096 in use)\nfatal error: out of memory\n"


def test_output_goemu_cannot_write_is_an_error_in_gos_words(tmp_path):
    r = goemu("asm", "-o", str(tmp_path / "no" / "such" / "x.img"), "samples/hello.s")
    assert (r.returncode, r.stderr) == (1, f"goemu asm: open {tmp_path}/no/such/x.img: no such file or directory\n")
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "emu", "objdump", "samples/hello.s"], cwd=ROOT, stdout=full,
                           stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert (r.returncode, r.stderr) == (1, "goemu objdump: write standard output: no space left on device\n")


def test_a_closed_standard_output_is_like_dev_null():
    """`goemu run prog.s >&-`: the program's writes fail as Linux's would, and goemu goes on."""
    r = subprocess.run([sys.executable, "-m", "emu", "run", "samples/hello.s"], cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, close_fds=True, pass_fds=(), preexec_fn=lambda: os.close(1))  # fmt: skip
    assert (r.returncode, r.stderr) == (0, "")


def test_a_program_without_main_and_a_file_without_a_name(tmp_path):
    empty = tmp_path / "empty.s"
    empty.write_text("")
    r = goemu("run", str(empty))
    assert (r.returncode, r.stderr) == (1, "function main is undeclared in the main package (no TEXT main·main(SB))\n")
    r = goemu("run", "")
    assert (r.returncode, r.stderr) == (1, "open : no such file or directory\n")


@pytest.mark.parametrize("flags", [[], ["--stats"], ["--trace", "TRACE"]])
def test_ctrl_c_stops_a_run_with_status_130(tmp_path, flags):
    """SIGINT ends the run even while Unicorn calls into Python hooks (tracing, statistics), where
    Python's KeyboardInterrupt would be swallowed by ctypes and the program run on."""
    prog = tmp_path / "spin.s"
    prog.write_text("TEXT main·main(SB), $16-0\n\tMOVQ $7, 0(SP)\n\tCALL runtime·printint(SB)\n"
                    "\tCALL runtime·printnl(SB)\nloop:\n\tJMP loop\n")  # fmt: skip
    flags = [str(tmp_path / "t.json") if f == "TRACE" else f for f in flags]
    p = subprocess.Popen([sys.executable, "-m", "emu", "run", *flags, str(prog)], cwd=ROOT, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    assert p.stderr is not None and p.stderr.readline() == "7\n"  # the program runs: now interrupt it
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=60) == 130


def test_debug_with_max_memory_below_what_the_runtime_needs_to_start():
    r = subprocess.run([sys.executable, "-m", "emu", "debug", "--batch", "--max-memory", "1", "samples/hello.s"],
                       cwd=ROOT, input="", capture_output=True, text=True)  # fmt: skip
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "runtime: out of memory: cannot allocate 1008-byte block (6096 in use)\nfatal error: out of memory\n"


def test_an_unknown_flag_is_reported_with_the_commands_usage():
    r = goemu("asm", "-Q", "samples/hello.s")
    assert r.returncode == 2
    assert r.stderr.startswith("usage: goemu asm ") and r.stderr.endswith("goemu asm: error: unrecognized arguments: -Q\n")
