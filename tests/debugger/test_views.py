"""The debugger's views of a stopped process, line for line: the goroutine list, the scheduler's
tables, the registers and x/FMT.

The processes are real runs of the samples stopped by --max-insns (deterministic: the same stop
every time). Sample lines and offsets in the samples are written out; what depends on where the
linker or the allocator put things (runtime functions, addresses) is read from the image and the
layout views.
"""

import io
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from unicorn import x86_const as x86

from emu import run as R
from emu.debugger.views import (
    Examine,
    ViewError,
    examine,
    examine_lines,
    go_duration,
    goroutine_status,
    goroutines,
    info_ms,
    info_ps,
    info_sched,
    info_timers,
    parked,
    plan9_name,
    registers,
    symbolizer,
)
from emu.machine import CPU
from emu.memory import AddressSpace
from runtime.layout import G, const
from runtime.proc import CLOCK_START, Park

ROOT = Path(__file__).resolve().parents[2]

Stopped = Callable[..., R.Process]


@pytest.fixture
def stopped(monkeypatch) -> Iterator[Stopped]:
    """stopped(sample, insns, gomaxprocs): the sample's process, stopped mid-run after insns
    instructions (or boot only, insns 0)."""
    monkeypatch.chdir(ROOT)  # tracebacks name files as given: samples/NAME.s
    procs: list[R.Process] = []

    def run(sample: str, insns: int, gomaxprocs: int = 1) -> R.Process:
        image, gates = R.build([f"samples/{sample}.s"])
        out = io.BytesIO()
        proc = R.boot(image, gates, out, out, R.Config(gomaxprocs=gomaxprocs))
        procs.append(proc)
        if insns:
            R.run_process(proc, R.Limits(max_insns=insns))
            assert b"goemu: stopped after --max-insns" in out.getvalue()  # mid-run, not finished
        return proc

    yield run
    for proc in procs:
        proc.machine.close()


def g_of(proc: R.Process, goid: int) -> G:
    return next(g for g in (G(proc.machine.space, a) for a in proc.runtime.allgs) if g.goid == goid)


def runtime_at(proc: R.Process, fn: str, pc: int, ret: bool = True) -> str:
    """How the views show pc in a runtime function: fn+0xOFF (file:line), the line that of pc's
    instruction, or for a return address (ret) that of the CALL before it, as Go's traceback."""
    image = proc.machine.image
    off = pc - image.symbols[fn].addr
    file, line = image.line_at(pc - 1 if ret else pc)
    return f"{plan9_name(fn)}{f'+{off:#x}' if off else ''} ({file}:{line})"


def parked_at(proc: R.Process, goid: int, fn: str) -> str:
    """Where a goroutine parked in a runtime call stands: the return address at g.sched.sp."""
    return runtime_at(proc, fn, proc.machine.space.load(g_of(proc, goid).sched.sp, 8))


def gc_goroutines(proc: R.Process) -> list[str]:
    """The runtime's three goroutines, parked for good in goparkunlock."""
    return [
        f"  Goroutine 2 - {parked_at(proc, 2, 'runtime.forcegchelper')} [force gc (idle)]",
        f"  Goroutine 3 - {parked_at(proc, 3, 'runtime.bgsweep')} [GC sweep wait]",
        f"  Goroutine 4 - {parked_at(proc, 4, 'runtime.bgscavenge')} [GC scavenge wait]",
    ]


# ---- goroutines ---------------------------------------------------------------------------------


def test_goroutines_pingpong(stopped):
    """Main runs, in the Gosched stub (an exported runtime function: Go's traceback shows it); the
    players wait in the run queue at the return from their Gosched (g.sched, from mcall)."""
    proc = stopped("pingpong", 4500)
    rip = proc.machine.cpus[0].reg("rip")
    assert goroutines(proc, selected=g_of(proc, 5).addr) == [
        f"  Goroutine 1 - {runtime_at(proc, 'runtime.Gosched', rip, ret=False)} [running on M0]",
        *gc_goroutines(proc),
        "* Goroutine 5 - main·player+0x6d (samples/pingpong.s:53) [runnable]",
        "  Goroutine 6 - main·player+0x6d (samples/pingpong.s:53) [runnable]",
        "[6 goroutines]",
    ]


def test_goroutines_sleep(stopped):
    """Two sleepers parked in time.Sleep, shown at their call (the gate's resume entry is not a
    frame); the third is main's M's curg, but its CPU is still in gogo on g0: it is shown where
    gogo will enter it (g.sched), not at the CPU's pc. Dead goroutines are left out."""
    proc = stopped("sleep", 5000)
    assert proc.machine.image.symbol_at(proc.machine.cpus[0].reg("rip")).name == "runtime.gogo"
    assert goroutines(proc) == [
        "  Goroutine 1 - main·main+0xa4 (samples/sleep.s:71) [chan receive]",
        *gc_goroutines(proc),
        "  Goroutine 5 - main·sleeper+0x36 (samples/sleep.s:40) [sleep]",
        "  Goroutine 6 - main·sleeper+0x36 (samples/sleep.s:40) [running on M0]",
        "  Goroutine 7 - main·sleeper+0x36 (samples/sleep.s:40) [sleep]",
        "[7 goroutines]",
    ]


def test_goroutines_running_on_several_ms(stopped):
    """Four Ps: workers running on their Ms are shown at their CPU's live pc (a trap pc: its own
    line, not the one before); worker 8 grows its stack (M0 is in newstack, on g0), shown where
    morestack saved it in g.sched. Earlier, main's CPU stands at a gate's trigger (no function):
    main is shown at the CALL that got there."""
    proc = stopped("parallel", 300000, gomaxprocs=4)
    assert symbolizer(proc)(proc.machine.cpus[0].reg("rip")) == "runtime.newstack"
    assert goroutines(proc, selected=g_of(proc, 1).addr) == [
        "* Goroutine 1 - main·main+0xb4 (samples/parallel.s:84) [chan receive]",
        *gc_goroutines(proc),
        "  Goroutine 5 - main·worker+0x30 (samples/parallel.s:46) [running on M2]",
        "  Goroutine 6 - main·worker+0x30 (samples/parallel.s:46) [running on M4]",
        "  Goroutine 7 - main·worker+0x30 (samples/parallel.s:46) [running on M3]",
        "  Goroutine 8 - main·worker+0x5b (samples/parallel.s:40) [running on M0]",
        "[8 goroutines]",
    ]
    main_ = stopped("parallel", 10000, gomaxprocs=4)
    assert symbolizer(main_)(main_.machine.cpus[0].reg("rip")) == "runtime.newproc"
    assert goroutines(main_)[0] == "  Goroutine 1 - main·main+0x61 (samples/parallel.s:74) [running on M0]"


def test_goroutine_status_words(stopped):
    """Go's gStatusStrings for the states without a wait reason."""
    proc = stopped("pingpong", 4500)
    g = g_of(proc, 5)
    words = {}
    for status in (const._Gpreempted, const._Gcopystack, const._Gsyscall, const._Gidle, 77):
        g.atomicstatus = status
        words[status] = goroutine_status(proc, g)
    assert list(words.values()) == ["preempted", "copystack", "syscall", "idle", "???"]


# ---- info ps | ms | sched | timers --------------------------------------------------------------


def test_info_ps(stopped):
    assert info_ps(stopped("pingpong", 4500)) == [
        "P  status     M  schedtick  syscalltick  runnext  gFree  timers  timer0When  runqsize  runq",
        "0  _Prunning  0  9          0            -        0      0       -           2         [6 5]",
    ]
    assert info_ps(stopped("sleep", 5000)) == [
        "P  status     M  schedtick  syscalltick  runnext  gFree  timers  timer0When  runqsize  runq",
        "0  _Prunning  0  6          0            -        0      2       +10ms       0         []",
    ]
    assert info_ps(stopped("parallel", 30000, gomaxprocs=4)) == [
        "P  status     M  schedtick  syscalltick  runnext  gFree  timers  timer0When  runqsize  runq",
        "0  _Prunning  0  0          0            -        0      0       -           0         []",
        "1  _Prunning  2  3          0            -        0      0       -           0         []",
        "2  _Pidle     -  1          0            -        0      0       -           0         []",
        "3  _Prunning  4  1          0            -        0      0       -           0         []",
    ]


def test_info_ps_runnext(stopped):
    """runq300 in the middle of its `go` statements: the newest G in runnext, the others queued."""
    assert info_ps(stopped("runq300", 4250))[1] == (
        "0  _Prunning  0  4          0            11       0      0       -           6         [5 6 7 8 9 10]"
    )


def test_info_ms(stopped):
    """M3, woken by startm with P2 in nextp, has not run yet: spinning, its note posted."""
    proc = stopped("parallel", 30000, gomaxprocs=4)
    gogo = proc.machine.image.symbols["runtime.gogo"].addr
    assert info_ms(proc, current=1) == [
        "  M  P  nextp  oldp  curg  lockedg  spinning  locks  preemptGen  signalPending  parked"
        "                      pc",
        "  0  0  -      -     1     -        false     0      1           0              -"
        "                           runtime·newproc",
        "* 2  1  -      -     5     -        false     0      0           0              -"
        "                           main·worker+0x30 (samples/parallel.s:46)",
        "  3  -  2      -     -     -        true      0      0           0              notesleep(&m.park) (woken)"
        "  runtime·goparkunlock",
        "  4  3  -      -     6     -        false     0      0           0              -"
        f"                           {runtime_at(proc, 'runtime.gogo', gogo, ret=False)}",
    ]


def test_info_ms_locked_and_idle(stopped):
    """main is locked to M0 (runtime.main's lockOSThread) and blocked: M0 sleeps in stoplockedm."""
    proc = stopped("pingpong", 3000)
    image = proc.machine.image
    rip = proc.machine.cpus[1].reg("rip")
    assert info_ms(proc) == [
        "  M  P  nextp  oldp  curg  lockedg  spinning  locks  preemptGen  signalPending  parked              pc",
        "  0  -  -      -     -     1        false     0      0           0              notesleep(&m.park)  "
        "runtime·chanrecv1",
        "  2  0  -      -     2     -        false     0      0           0              -                   "
        + runtime_at(proc, image.symbol_at(rip).name, rip, ret=False),
    ]


def test_a_goroutine_in_a_system_call(stopped):
    """blocksyscall: worker 5's M sleeps in nanosleep with its P left in _Psyscall (m.oldp); the
    goroutine stands after the SYSCALL instruction, where its CPU will go on."""
    proc = stopped("blocksyscall", 20000, gomaxprocs=2)
    rip = proc.machine.cpus[1].reg("rip")
    where = runtime_at(proc, "syscall.Syscall", rip, ret=False)
    assert where.startswith("syscall·Syscall+0x1b (") and where.endswith("runtime/syscall_linux_amd64.s:15)")
    assert goroutines(proc)[4] == f"  Goroutine 5 - {where} [syscall]"
    assert info_ms(proc)[2] == (
        "  2  -  -      1     5     -        false     0      0           0              nanosleep until +4.999ms  "
        + where
    )
    assert info_ps(proc)[2].split()[:3] == ["1", "_Psyscall", "-"]


def test_parked_says_how_the_m_sleeps(stopped):
    proc = stopped("pingpong", 4500)
    rt = proc.runtime
    m0, now = rt.allm[0], rt.nanotime()
    cases = [
        (Park(lambda: None, until=now + 1_500_000, poll=True), "netpoll until +1.5ms"),
        (Park(lambda: None, until=now + 250), "nanosleep until +250ns"),
        (Park(lambda: None, until=now - 2000), "nanosleep until -2µs (woken)"),
        (Park(lambda: None, lock=rt.debuglock), "lock(&debuglock) (woken)"),  # unlocked: it can go on
        (Park(lambda: None, note=m0.addr_of("park")), "notesleep(&m.park)"),
        (
            Park(lambda: None, note=rt.sched.addr_of("sysmonnote")),
            f"notesleep({rt.sched.addr_of('sysmonnote'):#x})",
        ),
        (Park(lambda: None, lock=rt.sched.addr_of("lock")), f"lock({rt.sched.addr_of('lock'):#x}) (woken)"),
    ]
    assert parked(rt, m0) == "-"
    for park, text in cases:
        rt.parked[m0.addr] = park
        assert parked(rt, m0) == text
    rt.parked[m0.addr] = Park(lambda: None, lock=rt.debuglock)
    proc.machine.space.store(rt.debuglock, 8, 1)  # printlock held by another M
    assert parked(rt, m0) == "lock(&debuglock)"
    del rt.parked[m0.addr]


def test_info_sched(stopped):
    proc = stopped("sleep", 5000)
    assert proc.runtime.nanotime() == CLOCK_START + 10_002_000
    assert info_sched(proc) == [
        "clock         1257894000010002000 (10.002ms since boot)",
        "gomaxprocs    1",
        "goidgen       16",
        "runqsize      0",
        "runq          []",
        "npidle        0",
        "pidle         []",
        "nmspinning    0",
        "mnext         3",
        "nmidle        1",
        "midle         [2]",
        "nmidlelocked  0",
        "nmsys         1",
        "ngsys         3",
        "gFree         0 (0 with stacks, 0 without)",
        "sysmonwait    1",
        "sysmon wakes  +20µs",
        "lastpoll      +0s",
        "pollUntil     0",
        "gcwaiting     0",
    ]


def sched_fields(proc: R.Process) -> dict[str, str]:
    return dict(line.split(None, 1) for line in info_sched(proc) if not line.startswith("sysmon"))


def test_info_sched_lists(stopped):
    """The global run queue head to tail, idle Ps and Ms."""
    fields = sched_fields(stopped("pingpong", 4250))  # main and pong yielded (Gosched: global queue)
    assert (fields["runqsize"], fields["runq"]) == ("2", "[1 6]")
    fields = sched_fields(stopped("parallel", 10000, gomaxprocs=4))
    assert (fields["npidle"], fields["pidle"], fields["nmspinning"], fields["nmidle"], fields["midle"]) == (
        "1", "[2]", "1", "1", "[3]")  # fmt: skip


def test_run_queues_after_runqputslow(stopped):
    """many fills P0's 256 slots: runqputslow moved the first half and the G kicked out of runnext
    (261) to the global queue; the local ring has wrapped past its end."""
    proc = stopped("many", 7500)
    fields = sched_fields(proc)
    assert (fields["runqsize"], fields["runq"]) == (
        "129",
        "[" + " ".join(map(str, [*range(5, 133), 261])) + "]",
    )
    pp = proc.runtime.allp[0]
    assert pp.runqtail % 256 < pp.runqhead % 256  # wrapped
    assert info_ps(proc)[1].split(None, 10)[5:] == [
        "268", "0", "0", "-", "134", "[" + " ".join(map(str, [*range(133, 261), *range(262, 268)])) + "]"]  # fmt: skip


def test_corrupt_pointers_are_shown_not_followed(stopped):
    """A user who writes over the runtime's pointers gets `?ADDR` where they lead nowhere, and
    lists that loop end (the shell must never die on what it reads)."""
    proc = stopped("pingpong", 4250)
    rt, bad = proc.runtime, 0xDEAD0
    rt.allp[0].runnext = bad
    rt.sched.midle = bad
    g1, g6 = g_of(proc, 1), g_of(proc, 6)
    g6.schedlink = g1.addr  # the global run queue [1 6] now loops
    assert info_ps(proc)[1].split()[5] == "?0xdead0"
    fields = sched_fields(proc)
    assert (fields["midle"], fields["runq"]) == ("[?0xdead0]", "[" + " ".join(["1", "6"] * 3) + "]")
    assert len(rt.allgs) == 6  # the walk stops after as many Gs as exist


def test_info_timers(stopped):
    """sleep's heap after the 10 ms sleeper woke: the 20 and 30 ms ones, nearest first."""
    proc = stopped("sleep", 5000)
    g7, g5 = g_of(proc, 7), g_of(proc, 5)
    assert info_timers(proc) == [
        "P  i  when   period  f                       arg                seq  status",
        f"0  0  +10ms  0s      runtime·goroutineReady  {g7.addr:#x} (G7)  0    timerWaiting",
        f"0  1  +20ms  0s      runtime·goroutineReady  {g5.addr:#x} (G5)  0    timerWaiting",
    ]
    assert info_timers(stopped("pingpong", 4500)) == ["No timers."]


# ---- registers ----------------------------------------------------------------------------------


def fake_cpu() -> CPU:
    cpu = CPU(AddressSpace(), 0)
    for name, value in [("rax", -1), ("rbx", 42), ("rsp", 0xC000044F88), ("rbp", 0xC000044FA0),
                        ("rip", 0x401034), ("rflags", 0x246), ("fs_base", 0x7FFF00001000)]:  # fmt: skip
        cpu.set_reg(name, value)
    return cpu


def test_registers_in_gdbs_layout():
    lines = registers(fake_cpu(), changed=frozenset({"rax", "rip"}),
                      symbolize=lambda pc: "main.main+52" if pc == 0x401034 else "")  # fmt: skip
    assert lines == [
        "rax*           0xffffffffffffffff  -1",
        "rbx            0x2a                42",
        "rcx            0x0                 0",
        "rdx            0x0                 0",
        "rsi            0x0                 0",
        "rdi            0x0                 0",
        "rbp            0xc000044fa0        0xc000044fa0",
        "rsp            0xc000044f88        0xc000044f88",
        "r8             0x0                 0",
        "r9             0x0                 0",
        "r10            0x0                 0",
        "r11            0x0                 0",
        "r12            0x0                 0",
        "r13            0x0                 0",
        "r14            0x0                 0",
        "r15            0x0                 0",
        "rip*           0x401034            0x401034 <main.main+52>",
        "rflags         0x246               [ PF ZF IF ]",
        "fs_base        0x7fff00001000      140733193392128",
    ]


def test_all_registers():
    cpu = fake_cpu()
    cpu.uc.reg_write(x86.UC_X86_REG_XMM3, 0x11 << 64 | 0x22)
    cpu.uc.reg_write(x86.UC_X86_REG_MXCSR, 0x1F80)
    lines = registers(cpu, all=True, changed=frozenset({"xmm3"}))
    names = [line.split()[0] for line in lines]
    assert names[16:29] == ["rip", "rflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base",
                            "xmm0", "xmm1", "xmm2"]  # fmt: skip
    assert lines[16] == "rip            0x401034            0x401034"  # no symbolizer: no <label>
    assert lines[18] == "cs             0x0                 0"
    assert lines[29:31] == [
        "xmm3*          {v2_int64 = {0x22, 0x11}}",
        "xmm4           {v2_int64 = {0x0, 0x0}}",
    ]
    assert lines[-1] == "mxcsr          0x1f80              [ IM DM ZM OM UM PM ]"
    assert len(lines) == 19 + 7 + 16 + 1


def test_named_registers():
    """`info registers rax rip`: those lines only, in the order named; gdb's $ and alias names; an
    unknown name stops the listing with gdb's words, the registers before it shown."""
    cpu = fake_cpu()
    cpu.uc.reg_write(x86.UC_X86_REG_XMM1, 5)
    lines = registers(cpu, changed=frozenset({"rbx"}), only=["rbx", "$rax", "pc", "sp", "eflags", "xmm1"])
    assert lines == [
        "rbx*           0x2a                42",
        "rax            0xffffffffffffffff  -1",
        "rip            0x401034            0x401034",
        "rsp            0xc000044f88        0xc000044f88",
        "rflags         0x246               [ PF ZF IF ]",
        "xmm1           {v2_int64 = {0x5, 0x0}}",
    ]
    with pytest.raises(ViewError) as e:
        registers(cpu, only=["rbx", "foo", "rax"])
    assert str(e.value) == "Invalid register `foo'"
    assert e.value.lines == ["rbx            0x2a                42"]


def test_registers_of_a_stopped_cpu(stopped):
    proc = stopped("pingpong", 4500)
    cpu = proc.machine.cpus[0]
    gosched = proc.machine.image.symbols["runtime.Gosched"].addr
    rip = cpu.reg("rip")
    assert registers(cpu, symbolize=symbolizer(proc))[16] == (
        f"rip            {rip:#x}            {rip:#x} <runtime.Gosched+{rip - gosched}>"
    )


def test_symbolizer(stopped):
    proc = stopped("pingpong", 0)
    image, sym = proc.machine.image, symbolizer(proc)
    gate = next(a for a, fn in proc.gates.items() if getattr(fn, "__name__", "") == "Gosched")
    assert sym(image.symbols["main.main"].addr) == "main.main"
    assert sym(image.symbols["main.player"].addr + 7) == "main.player+7"
    assert sym(image.symbols["pingfv<>"].addr + 8) == "pingfv+8"  # file-local: no <>, as objdump
    assert sym(gate) == "runtime.Gosched"
    assert sym(0x10) == ""


# ---- x/FMT --------------------------------------------------------------------------------------


def data(proc: R.Process, raw: bytes) -> int:
    """raw in a fresh heap object (the runtime's allocator: nothing else uses it)."""
    addr = proc.runtime.arena.alloc(len(raw), 16)
    proc.machine.space.write(addr, raw)
    return addr


def test_x_words_with_labels(stopped):
    """pingfv<> is the closure {main·player, ping<>, 4}: x/3a names both addresses."""
    proc = stopped("pingpong", 0)
    s = proc.machine.image.symbols
    fv, player, ping = s["pingfv<>"].addr, s["main.player"].addr, s["ping<>"].addr
    assert examine(proc, "3a", fv) == [
        f"{fv:#x} <pingfv>:\t{player:#x} <main.player>\t{ping:#x} <ping>",
        f"{fv + 16:#x} <pingfv+16>:\t0x4",
    ]
    assert examine(proc, "3xg", fv) == [
        f"{fv:#x} <pingfv>:\t0x{player:016x}\t0x{ping:016x}",
        f"{fv + 16:#x} <pingfv+16>:\t0x0000000000000004",
    ]


def test_x_formats(stopped):
    proc = stopped("pingpong", 0)
    addr = data(proc, struct.pack("<qdf", -2, 0.1, 1.5) + b"\x00\x01\x7f\x80\xff\n'\\")
    chars = addr + 20
    assert examine(proc, "2dw", addr) == [f"{addr:#x}:\t-2\t-1"]
    assert examine(proc, "ug", addr) == [f"{addr:#x}:\t18446744073709551614"]
    assert examine(proc, "xh", addr) == [f"{addr:#x}:\t0xfffe"]
    assert examine(proc, "zb", addr) == [f"{addr:#x}:\t0xfe"]
    assert examine(proc, "ob", chars) == [f"{chars:#x}:\t0"]
    assert examine(proc, "ob", chars + 3) == [f"{chars + 3:#x}:\t0200"]
    assert examine(proc, "tb", chars + 1) == [f"{chars + 1:#x}:\t00000001"]
    assert examine(proc, "fg", addr + 8) == [f"{addr + 8:#x}:\t0.10000000000000001"]
    assert examine(proc, "fw", addr + 16) == [f"{addr + 16:#x}:\t1.5"]
    assert examine(proc, "8c", chars) == [
        f"{chars:#x}:\t0 '\\000'\t1 '\\001'\t127 '\\177'\t-128 '\\200'\t-1 '\\377'\t10 '\\n'\t39 '\\''"
        "\t92 '\\\\'"
    ]


def test_x_lines_hold_as_many_units_as_gdbs(stopped):
    proc = stopped("pingpong", 0)
    addr = data(proc, bytes(range(32)))
    assert examine(proc, "10xb", addr) == [
        f"{addr:#x}:\t0x00\t0x01\t0x02\t0x03\t0x04\t0x05\t0x06\t0x07",
        f"{addr + 8:#x}:\t0x08\t0x09",
    ]
    assert examine(proc, "5xw", addr) == [
        f"{addr:#x}:\t0x03020100\t0x07060504\t0x0b0a0908\t0x0f0e0d0c",
        f"{addr + 16:#x}:\t0x13121110",
    ]
    assert examine(proc, "0x", addr) == []


def test_x_remembers_format_size_and_address(stopped):
    """gdb's defaults: x, w at first; then the last format and size, and a bare x goes on after
    the last unit. c and a pick their own size without changing the remembered one for others."""
    proc = stopped("pingpong", 0)
    addr = data(proc, bytes(range(32)))
    last = Examine()
    assert examine(proc, "", addr, last) == [f"{addr:#x}:\t0x03020100"]
    assert examine(proc, "2g", None, last) == [f"{addr + 4:#x}:\t0x0b0a090807060504\t0x131211100f0e0d0c"]
    assert (last.fmt, last.size, last.next_addr) == ("x", "g", addr + 20)
    assert examine(proc, "d", None, last) == [
        f"{addr + 20:#x}:\t{int.from_bytes(bytes(range(20, 28)), 'little')}"
    ]
    assert examine(proc, "c", addr, last) == [f"{addr:#x}:\t0 '\\000'"]
    assert (last.fmt, last.size) == ("c", "b")
    assert examine(proc, "x", addr, last) == [f"{addr:#x}:\t0x00"]
    examine(proc, "i", addr, last)
    assert (last.fmt, last.size) == ("i", "b")  # x/i leaves the size as it was


def test_x_strings(stopped):
    proc = stopped("pingpong", 0)
    ping = proc.machine.image.symbols["ping<>"].addr
    assert examine(proc, "s", ping) == [f'{ping:#x} <ping>:\t"ping"']
    addr = data(proc, b'say "hi"\n\x00\x01x\x00' + b"a" * 250 + b"\x00")
    last = Examine()
    assert examine(proc, "3s", addr, last) == [
        f'{addr:#x}:\t"say \\"hi\\"\\n"',
        f'{addr + 10:#x}:\t"\\001x"',
        f'{addr + 13:#x}:\t"{"a" * 200}"...',
    ]
    assert last.next_addr == addr + 213
    assert examine(proc, "s", None, last) == [f'{addr + 213:#x}:\t"{"a" * 50}"']


def test_x_instructions_in_plan9_syntax(stopped):
    """main·main's prologue as goemu objdump (and go tool objdump) prints it, `=> ` at the pc."""
    proc = stopped("pingpong", 0)
    main = proc.machine.image.symbols["main.main"].addr
    assert examine(proc, "4i", main, pc=main + 9) == [
        f"   {main:#x} <main.main>:\tMOVQ FS:0xfffffff8, R14",
        f"=> {main + 9:#x} <main.main+9>:\tCMPQ 0x10(R14), SP",
        f"   {main + 13:#x} <main.main+13>:\tJBE {main + 0x58:#x}",
        f"   {main + 15:#x} <main.main+15>:\tSUBQ $0x10, SP",
    ]
    addr = data(proc, b"\xf3\x0f\x1e\xfa\x90")  # ENDBR64, which x86asm cannot decode: `?` a byte
    assert examine(proc, "3i", addr) == [
        f"   {addr:#x}:\t?",
        f"   {addr + 1:#x}:\t?",
        f"   {addr + 2:#x}:\t?",
    ]


def test_x_unreadable_memory(stopped):
    """gdb's words; the lines read before the bad address come with the error."""
    proc = stopped("pingpong", 0)
    with pytest.raises(ViewError, match=r"^Cannot access memory at address 0x0$"):
        examine(proc, "x", 0)
    with pytest.raises(ViewError, match=r"^Cannot access memory at address 0xfffffffffffffff8$"):
        examine(proc, "x", -8)  # addresses are 64-bit, as an expression's arithmetic wraps
    space = proc.machine.space
    region = next(r for r in space.regions if r.perms == "rw" and space.region_at(r.end) is None)
    with pytest.raises(ViewError) as e:
        examine(proc, "4xg", region.end - 16)
    assert str(e.value) == f"Cannot access memory at address {region.end:#x}"
    assert e.value.lines == [f"{region.end - 16:#x}:\t0x0000000000000000\t0x0000000000000000"]
    with pytest.raises(ViewError) as e:  # the units of a line before the bad address are shown
        examine(proc, "4xg", region.end - 8)
    assert str(e.value) == f"Cannot access memory at address {region.end:#x}"
    assert e.value.lines == [f"{region.end - 8:#x}:\t0x0000000000000000"]
    with pytest.raises(ViewError) as e:  # a unit across the end: the first byte that cannot be read
        examine(proc, "2xw", region.end - 6)
    assert str(e.value) == f"Cannot access memory at address {region.end:#x}"
    assert e.value.lines == [f"{region.end - 6:#x}:\t0x00000000"]
    bss = next(r for r in proc.machine.space.regions if r.name == "noptrbss")
    proc.machine.space.write(bss.end - 3, b"abc")
    assert examine(proc, "s", bss.end - 3) == [
        f'{bss.end - 3:#x}:\t"abc"<error: Cannot access memory at address {bss.end:#x}>'
    ]


def test_x_lines_come_one_at_a_time(stopped):
    """examine_lines makes a line when it is asked for the next: a count of a trillion costs what is
    shown, and the next address `x` remembers is after the last line taken."""
    proc = stopped("pingpong", 0)
    addr = data(proc, bytes(range(48)))
    last = Examine()
    lines = examine_lines(proc, "1000000000000xg", addr, last)
    assert [next(lines), next(lines)] == [
        f"{addr:#x}:\t0x0706050403020100\t0x0f0e0d0c0b0a0908",
        f"{addr + 16:#x}:\t0x1716151413121110\t0x1f1e1d1c1b1a1918",
    ]
    assert last.next_addr == addr + 16  # the second line is being shown
    lines.close()
    assert examine(proc, "2g", None, last) == [f"{addr + 16:#x}:\t0x1716151413121110\t0x1f1e1d1c1b1a1918"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("4q", 'Undefined output format "q".'),
        ("X", 'Undefined output format "X".'),
        ("2x$", 'Undefined output format "$".'),
        ("-3x", "goemu: x with a negative count (reading backwards) is not supported"),
        ("sw", "goemu: x/s reads strings of bytes only"),
    ],
)
def test_x_bad_formats(stopped, spec, message):
    proc = stopped("pingpong", 0)
    with pytest.raises(ViewError) as e:
        examine(proc, spec, proc.machine.image.symbols["main.main"].addr)
    assert str(e.value) == message


# ---- names and times ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "plan9"),
    [("main.main", "main·main"), ("runtime.chansend1.resume", "runtime·chansend1.resume"),
     ("a/b.c.d", "a/b·c.d"), ("gate.runtime_Gosched", "gate·runtime_Gosched"), ("nodot", "nodot")],
)  # fmt: skip
def test_plan9_name(name, plan9):
    assert plan9_name(name) == plan9


@pytest.mark.parametrize(
    ("ns", "text"),  # time.Duration.String's own examples and edges
    [(0, "0s"), (1, "1ns"), (1100, "1.1µs"), (2_200_000, "2.2ms"), (3_300_000_000, "3.3s"),
     (245_000_000_000, "4m5s"), (18_367_001_000_000, "5h6m7.001s"), (-1, "-1ns"),
     (-3_600_000_000_000, "-1h0m0s"), ((1 << 63) - 1, "2562047h47m16.854775807s")],
)  # fmt: skip
def test_go_duration(ns, text):
    assert go_duration(ns) == text
