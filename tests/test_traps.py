"""CPU exceptions end a program as Linux and Go 1.19 end it: SIGILL and SIGTRAP dump the signal,
the goroutines and the registers; a divide error panics (SIGFPE); a privileged instruction or an
INT n is a general-protection fault, SIGSEGV with code 0x80 (SI_KERNEL), which Go throws."""

import io

import pytest

from asm import assemble_source, link
from emu.run import Config, Limits, boot, build, run_process
from emu.traps import privileged

# Registers set to known values before the trap; rsp, rbp and r14 (g) are the goroutine's own.
SET = "".join(f"\tMOVQ ${v:#x}, {r}\n" for r, v in (
    ("AX", 0x1A), ("BX", 0x1B), ("CX", 0x1C), ("DX", 0x1D), ("DI", 0x1E), ("SI", 0x1F), ("R8", 0x8),
    ("R9", 0x9), ("R10", 0x10), ("R11", 0x11), ("R12", 0x12), ("R13", 0x13), ("R15", 0x15),
))  # fmt: skip
GO_WORKER = "\tLEAQ ·w(SB), AX\n\tMOVQ AX, fn-8(SP)\n\tLEAQ fn-8(SP), AX\n\tMOVQ AX, 0(SP)\n\tCALL runtime·newproc(SB)\n"


def run_main(tmp_path, body: str, extra: str = ""):
    """Run `main.main` with body (line 3 on); returns (status, stderr, path, the stopped CPU)."""
    src = tmp_path / "prog.s"
    src.write_text(f'#include "textflag.h"\nTEXT main·main(SB), $16-0\n{body}\tRET\n{extra}')
    image, gates = build([str(src)])
    out, err = io.BytesIO(), io.BytesIO()
    proc = boot(image, gates, out, err, Config(gomaxprocs=1))
    status = run_process(proc, Limits(max_insns=1_000_000))
    cpu = proc.machine.cpus[0]
    regs = {r: cpu.reg(r) for r in ("rsp", "rbp", "r14", "rip", "rflags")}
    main = image.symbols["main.main"].addr
    code = image.read(main, 128)
    proc.machine.close()
    return status, err.getvalue().decode(), str(src), regs, main, code, image


def after(image, source: str) -> int:
    """The offset in main.main of the instruction after the one written `source`."""
    insns = [i for i in image.symbols["main.main"].text.instructions if i.code]
    return next(b.offset for a, b in zip(insns, insns[1:], strict=False) if a.source == source)


def dump(regs: dict[str, int]) -> str:
    """dumpregs for the values SET gives, and the CPU's own rsp, rbp, r14, rip and rflags."""
    values = [("rax", 0x1A), ("rbx", 0x1B), ("rcx", 0x1C), ("rdx", 0x1D), ("rdi", 0x1E), ("rsi", 0x1F),
              ("rbp", regs["rbp"]), ("rsp", regs["rsp"]), ("r8", 0x8), ("r9", 0x9), ("r10", 0x10), ("r11", 0x11),
              ("r12", 0x12), ("r13", 0x13), ("r14", regs["r14"]), ("r15", 0x15), ("rip", regs["rip"]),
              ("rflags", regs["rflags"]), ("cs", 0x33), ("fs", 0), ("gs", 0)]  # fmt: skip
    return "".join(f"{name:<7}{value:#x}\n" for name, value in values)


def test_an_invalid_opcode_is_sigill_with_the_instruction_bytes(tmp_path):
    status, err, src, regs, main, code, _ = run_main(tmp_path, SET + "\tBYTE $0x0f; BYTE $0x0b\n")
    pc = main + 14 + 13 * 7  # the prologue, then 13 MOVQ $imm, reg of 7 bytes each
    assert code[pc - main : pc - main + 2] == b"\x0f\x0b" and regs["rip"] == pc
    bytes_ = "".join(f" {b:#x}" for b in code[pc - main : pc - main + 16])
    assert status == 2
    assert err == (
        f"SIGILL: illegal instruction\nPC={pc:#x} m=0 sigcode=2\ninstruction bytes:{bytes_}\n\n"
        f"goroutine 1 [running]:\nmain.main()\n\t{src}:16 +{pc - main:#x}\n\n" + dump(regs)
    )


def test_int3_is_sigtrap_after_it_with_the_other_goroutines(tmp_path):
    worker = "TEXT ·w(SB), NOSPLIT, $0-0\n\tRET\n"
    status, err, src, regs, main, _, image = run_main(tmp_path, GO_WORKER + SET + "\tINT $3\n", worker)
    pc = regs["rip"]  # just past the INT $3: the trap's pc, and the frame's line is pc's (the RET's), as in Go
    assert status == 2
    assert err == (
        f"SIGTRAP: trace trap\nPC={pc:#x} m=0 sigcode=128\n\n"
        f"goroutine 1 [running]:\nmain.main()\n\t{src}:22 +{pc - main:#x}\n\n"
        f"goroutine 5 [runnable]:\nmain.w()\n\t{src}:24\ncreated by main.main\n\t{src}:7 +{after(image, 'CALL runtime·newproc(SB)'):#x}\n\n"
        + dump(regs)
    )


def test_morestack_on_g0_aborts_with_int3_in_runtime_abort(tmp_path):
    """morestack refuses to grow the scheduler's stack: badmorestackg0's message, then Go's
    runtime·abort (INT $3) traps. The signal handler takes g from TLS, g0 here (goroutine 0,
    idle); its traceback has only runtime frames, so Go prints them (traceback1's second try)."""
    body = ('#include "go_asm.h"\n\tMOVQ (TLS), AX\n\tMOVQ g_m(AX), AX\n\tMOVQ m_g0(AX), AX\n\tMOVQ AX, (TLS)\n'
            "\tCALL runtime·morestack(SB)\n")  # fmt: skip
    status, err, src, regs, main, _, image = run_main(tmp_path, body)
    abort = image.symbols["runtime.abort"]
    asm_amd64 = image.line_at(abort.addr)[0]
    assert (status, regs["rip"]) == (2, abort.addr + 2)
    assert err.startswith(
        f"fatal: morestack on g0\nSIGTRAP: trace trap\nPC={abort.addr + 2:#x} m=0 sigcode=128\n\n"
        f"goroutine 0 [idle]:\nruntime.abort()\n\t{asm_amd64}:{image.line_at(abort.addr + 2)[1]} +0x2\n\n"
        f"goroutine 1 [running]:\n\nrax    "  # Go faults walking it (its g.sched is stale) and dies
    )
    assert err.endswith(f"rip    {abort.addr + 2:#x}\nrflags {regs['rflags']:#x}\ncs     0x33\nfs     0x0\ngs     0x0\n")


@pytest.mark.parametrize("insn", ["HLT", "CLI", "STI", "OUTB", "INB", "RDMSR", "WRMSR", "INT $0x21",
                                  "INT $0x80"])  # fmt: skip
def test_privileged_instructions_and_int_n_are_general_protection_faults(tmp_path, insn):
    status, err, src, regs, main, _, _ = run_main(tmp_path, f"\tMOVQ $1, AX\n\t{insn}\n")
    pc = main + 14 + 7  # the prologue, MOVQ $1, AX
    assert status == 2
    assert err == (
        "unexpected fault address 0x0\nfatal error: fault\n"
        f"[signal SIGSEGV: segmentation violation code=0x80 addr=0x0 pc={pc:#x}]\n\n"
        f"goroutine 1 [running]:\nmain.main()\n\t{src}:4 +{pc - main:#x}\n"
    )


def test_a_divide_error_panics_with_sigfpe(tmp_path):
    body = "\tMOVQ $0, CX\n\tMOVQ $7, AX\n\tXORQ DX, DX\n\tDIVQ CX\n"
    status, err, src, regs, main, _, _ = run_main(tmp_path, body)
    pc = regs["rip"]
    assert status == 2
    assert err == (
        "panic: runtime error: integer divide by zero\n"
        f"[signal SIGFPE: floating-point exception code=0x1 addr={pc:#x} pc={pc:#x}]\n\n"
        f"goroutine 1 [running]:\nmain.main()\n\t{src}:6 +{pc - main:#x}\n"
    )


def test_privileged_finds_what_level_3_may_not_run():
    body = ["HLT", "CLI", "STI", "OUTB", "INB", "RDMSR", "WRMSR", "MOVQ CR0, AX", "INVLPG (AX)"]
    allowed = ["CPUID", "RDTSC", "SYSCALL", "NOP", "MOVQ AX, BX", "IRETQ", "PAUSE"]
    text = '#include "textflag.h"\nTEXT main·main(SB), NOSPLIT, $0-0\n' + "".join(f"\t{i}\n" for i in allowed + body)
    image = link([assemble_source(text, "t.s")], allow_undefined=True)
    listing = {i.offset: i.source.replace(" ", "") for i in image.symbols["main.main"].text.instructions}
    main = image.symbols["main.main"].addr
    found = [listing.get(a - main, "") for a in privileged(image)]
    assert found == [i.replace(" ", "") for i in body]


@pytest.mark.parametrize(
    ("body", "code", "addr"),
    [("\tMOVQ $0x123456789000, BX\n\tMOVQ (BX), AX\n", 0x1, 0x123456789000),  # unmapped
     ("\tLEAQ main·main(SB), BX\n\tMOVQ AX, (BX)\n", 0x2, None)],  # the text is read-only
)  # fmt: skip
def test_faults_above_the_first_page_are_thrown(tmp_path, body, code, addr):
    status, err, src, regs, main, _, image = run_main(tmp_path, body)
    pc = main + after(image, body.split("\n")[0].strip())
    addr = main if addr is None else addr
    assert status == 2
    assert err == (
        f"unexpected fault address {addr:#x}\nfatal error: fault\n"
        f"[signal SIGSEGV: segmentation violation code={code:#x} addr={addr:#x} pc={pc:#x}]\n\n"
        f"goroutine 1 [running]:\nmain.main()\n\t{src}:4 +{pc - main:#x}\n"
    )


@pytest.mark.parametrize(
    ("body", "extra", "sp", "cannot"),
    [
        ("\tMOVQ $0, SP\n", "", lambda image: 0, "read the word at SP"),  # the RET then reads 0(SP)
        ("\tLEAQ ro<>+8(SB), SP\n\tMOVQ $0, AX\n\tMOVQ (AX), AX\n", "GLOBL ro<>(SB), RODATA, $16\n",
         lambda image: image.symbols["ro<>"].addr + 8, "push sigpanic's return address"),
    ],
)  # fmt: skip
def test_a_fault_with_an_unusable_sp_kills_the_process_before_go_says_anything(tmp_path, body, extra, sp, cannot):
    """preparePanic reads the word at SP and pushes sigpanic's return address below it, inside the
    signal handler: where either faults, Linux kills the process (SIGSEGV, exit status 139 in a
    shell) and Go prints nothing. goemu says so, with the fault that started it."""
    status, err, _, regs, _, _, image = run_main(tmp_path, body, extra)
    assert (status, regs["rsp"]) == (2, sp(image))
    assert err == (
        f"goemu: SIGSEGV: segmentation violation at pc={regs['rip']:#x} with SP={sp(image):#x}: Go's signal handler "
        f"cannot {cannot}; it faults in turn and the kernel kills the process with SIGSEGV, before Go prints anything\n"
    )


@pytest.mark.parametrize("target", [1 << 63, 0x9000_0000_0000_0000])  # 1 << 63 is emu_start's `until`
def test_a_call_to_a_non_canonical_address_is_a_general_protection_fault(tmp_path, target):
    """The CPU refuses such an address before any page is looked up: SIGSEGV with SI_KERNEL, which
    Go throws as an unexpected fault at address 0. Unicorn has moved the pc to the target (real
    hardware leaves it at the CALL), so the traceback is that of a call through a bad pointer."""
    status, err, src, _, main, _, _ = run_main(tmp_path, f"\tMOVQ ${target:#x}, AX\n\tCALL AX\n")
    assert status == 2
    assert err == (
        "unexpected fault address 0x0\nfatal error: fault\n"
        f"[signal SIGSEGV: segmentation violation code=0x80 addr=0x0 pc={target:#x}]\n\n"
        f"goroutine 1 [running]:\nmain.main()\n\t{src}:5 +0x29\n"
    )
