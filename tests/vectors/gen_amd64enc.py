#!/usr/bin/env python3
"""Generate tests/vectors/amd64enc.json: Go 1.19's own encodings of amd64 instructions.

This script needs Go 1.19 (`go tool asm`); the test suite only reads the JSON it writes, so goemu
never needs Go to run or to pass its tests.

The statements are
  * every non-VEX/EVEX statement of Go's encoder test corpus (cmd/asm/internal/asm/testdata/
    amd64enc.s and amd64enc_extra.s), plus the VEX-encoded BMI1/BMI2 integer instructions, less
    branches to labels and n(PC) (those are laid out by span.py, not by the instruction encoder);
  * EXTRA: hand-written statements for what the corpus lacks: relocations (sym(SB), TLS), x87,
    immediates Go encodes differently from a plain assembler, and statements Go rejects;
  * FUZZ: FUZZ_PER_FORM random statements for every form of goemu's table (operands drawn from
    pools of boundary values, every addressing mode, R8-R15, AH-BH, segments, TLS), with a fixed
    seed. Go decides what they encode to, or that they are invalid; the table only proposes.
    (FUZZ_PER_FORM=30 FUZZ_SEED=n VECTORS_OUT=/tmp/x.json runs a deeper one-off comparison.)

Each is assembled by the real `go tool asm -S` inside `TEXT ·f(SB), NOSPLIT|NOFRAME, $0`, in chunks,
and the bytes Go emitted are taken from the listing (never from the "or" alternatives in the
corpus comments). A statement Go rejects is recorded with the error instead of bytes, so the tests
also check that we refuse what Go refuses.

Output: a JSON list, one record a line:
  {"src": "ADDQ $1, sym+8(SB)", "hex": "48830500000000" + "01", "relocs": [[3, 4, 14, "sym", 7]]}
  {"src": "ADDQ (AX), (BX)", "error": "invalid instruction"}
relocs are [offset within the instruction, size, objabi type, symbol ("" for none), addend].
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

GOROOT = Path(os.environ.get("GOROOT_119", "/usr/share/go-1.19"))
GO = os.environ.get("GO", "/usr/lib/go-1.19/bin/go")
TESTDATA = GOROOT / "src/cmd/asm/internal/asm/testdata"
CORPUS = [TESTDATA / "amd64enc.s", TESTDATA / "amd64enc_extra.s"]
OUT = Path(os.environ.get("VECTORS_OUT", Path(__file__).with_name("amd64enc.json")))
FUZZ_PER_FORM = int(os.environ.get("FUZZ_PER_FORM", "3"))  # more for a one-off deeper comparison
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "1"))
CHUNK = 800

# Statements the corpus lacks. Kept small and readable: each group says what it pins down.
EXTRA: list[str] = [
    # RIP-relative symbols and Go's addend adjustment for a trailing immediate.
    "MOVQ sym(SB), AX", "MOVQ sym+8(SB), R11", "MOVQ AX, sym+16(SB)", "ADDQ $1, sym+8(SB)",
    "ADDL $1000, sym(SB)", "MOVB $7, sym(SB)", "MOVW $7, sym(SB)", "MOVL $7, sym+4(SB)",
    "MOVQ $7, sym(SB)", "CMPB sym(SB), $3", "CMPQ sym-8(SB), $100000", "LEAQ sym(SB), AX",
    "LEAQ sym+64(SB), R12", "MOVSD sym(SB), X1", "MOVOU sym(SB), X9", "PSHUFD $27, sym(SB), X2",
    "ROUNDSD $4, sym(SB), X3", "SHLQ $3, sym(SB)", "IMUL3Q $100000, sym(SB), DX",
    "IMUL3L $5, sym(SB), DX", "MOVQ sym<>(SB), AX", "MOVL sym<>+4(SB), AX", "CALL sym(SB)",
    "PINSRW $3, sym(SB), X1", "TESTB $1, sym(SB)", "BTQ $5, sym(SB)", "CMPPS sym(SB), X1, $2",
    # TLS: the g slot at off(TLS) is fs:[disp32] with an R_TLS_LE relocation.
    "MOVQ (TLS), CX", "MOVQ 16(TLS), R14", "MOVQ AX, (TLS)", "MOVQ -8(TLS), AX",
    "CMPQ SP, 16(TLS)", "MOVL (TLS), AX", "MOVQ 0(AX)(TLS*1), CX",
    # Segment-relative memory.
    "MOVQ (FS), AX", "MOVQ 8(GS), AX", "MOVL 16(FS), R9",
    # Immediates: Go picks the form by the value as written, not as truncated.
    "MOVQ $0x80000000, AX", "MOVQ $0xffffffff, R9", "MOVQ $-1, AX", "MOVQ $0, AX",
    "MOVQ $0x100000000, AX", "MOVQ $0x7fffffff, AX", "MOVQ $-0x80000000, R8",
    "MOVQ $0x123456789abcdef, R15", "MOVQ $-0x80000001, AX", "MOVQ $0x80000000, (AX)",
    "MOVQ $-5, 8(SP)", "MOVL $0xffffffff, AX", "MOVL $-1, AX", "MOVL $0xffffffff, (AX)",
    "MOVW $0xffff, AX", "MOVW $-1, (AX)", "MOVW $70000, AX", "MOVB $0xff, AL", "MOVB $-1, (AX)",
    "MOVB $300, AL", "MOVB $1, SI", "MOVB $1, R9",
    "ADDQ $0xffffffff, AX", "ADDQ $0xffffffff, BX", "ADDQ $0x80000000, AX", "ADDQ $-128, AX",
    "ADDQ $128, AX", "ADDQ $-129, CX", "ADDL $0xffffffff, AX", "ADDL $0xffffffff, CX",
    "ADDL $0x80, AX", "ADDL $-0x80, AX", "ADDW $0xffff, AX", "ADDW $0xffff, CX", "ADDW $65535, (AX)",
    "ADDW $70000, CX", "ADDW $-1, CX", "ADDB $255, AL", "ADDB $-1, CL", "ADDB $300, AL",
    "SUBQ $0xffffff80, AX", "ANDQ $0xffffffff, AX", "ANDL $0xfffffff0, CX", "ORQ $0x80000000, R9",
    "XORL $0xffffffff, AX", "CMPQ AX, $0xffffffff", "CMPL CX, $0xffffffff", "CMPW AX, $0xffff",
    "CMPB AL, $0xff", "CMPQ AX, $0", "CMPB AX, $0", "TESTQ $0xffffffff, AX", "TESTL $0xffffffff, CX",
    "TESTQ $1, AX", "TESTL $-1, AX", "TESTW $0xffff, AX", "TESTB $0xff, AL", "TESTB $1, BX",
    "IMUL3Q $0xffffffff, AX, DX", "IMUL3L $0xffffffff, AX, DX", "IMUL3W $0xffff, AX, DX",
    "IMUL3W $100, AX, DX", "IMULQ $1000, AX", "IMULQ $7, DX", "IMULW $0xffff, DX",
    "IMULL $0xffffffff, DX", "PUSHQ $1", "PUSHQ $-1", "PUSHQ $1000", "PUSHQ $0xffffffff",
    "PUSHW $1000", "PUSHW $1", "PUSHW $-1", "PUSHQ AX", "PUSHQ R9", "POPQ R9", "PUSHW AX", "POPW AX",
    "PUSHQ (AX)", "POPQ (AX)", "PUSHW (AX)", "POPW 8(SP)",
    "SHLQ $1, AX", "SHLQ $0, AX", "SHLQ $255, AX", "SHLL $1, (AX)", "SHRB $1, AL", "SHRW $1, AX",
    "SARQ CX, AX", "SARQ CL, AX", "SHLB CL, BL", "SHLB CX, BL", "SALQ $3, AX", "SALL CL, AX",
    "SALB $1, AL", "SALW $2, (AX)", "ROLQ $1, AX", "RCRL $1, DX",
    "SHLQ $4, AX, DX", "SHLQ CX, AX, DX", "SHLQ CL, AX, (BX)", "SHRQ $4, R8, R9", "SHRL CX, AX, DX",
    "SHLW $3, AX, DX", "SHRW CL, AX, DX", "SHLL $255, AX, DX",
    "INT $3", "INT $0x80", "INT $0", "RETFQ", "RETFL", "RETFW", "RETFQ $8", "RETFL $16", "RETFW $0",
    # XCHG with the accumulator uses 90+r.
    "XCHGQ AX, DX", "XCHGQ DX, AX", "XCHGQ AX, AX", "XCHGL AX, AX", "XCHGL AX, R9", "XCHGW AX, CX",
    "XCHGW R10, AX", "XCHGQ AX, (BX)", "XCHGQ (BX), AX", "XCHGB AL, BL", "XCHGB AX, BX",
    "XCHGB AL, AL",
    # Byte instructions accept 16/32/64-bit register names (Go's bytereg).
    "MOVB AX, BX", "MOVB SI, DI", "MOVB R9, (AX)", "ADDB SI, DI", "MOVB SIB, DIB", "MOVB SPB, BPB",
    "MOVB AH, BL", "MOVB AL, AH", "SETEQ AX", "SETEQ SI", "SETNE R12", "NEGB SI", "INCB DI",
    "MOVBLZX SI, AX", "MOVBQSX DI, R8", "MOVBLZX AX, DX", "CMPXCHGB SI, (AX)", "XADDB DI, (AX)",
    "CRC32B AX, DX", "CRC32B SIB, DX", "MULB SI", "TESTB SI, DI",
    # Jumps and calls through registers and memory.
    "CALL AX", "CALL R11", "CALL (AX)", "CALL 8(AX)", "CALL 16(R12)(R13*8)", "JMP AX", "JMP R11",
    "JMP (AX)", "JMP 8(R12)", "CALL sym(SB)", "CALL ·f(SB)",
    # Prefixes are statements of their own.
    "LOCK", "REP", "REPN", "XACQUIRE", "XRELEASE", "PAUSE", "WAIT", "FWAIT",
    # Data pseudo-instructions inside code.
    "BYTE $0x90", "BYTE $-1", "BYTE $0x1234", "WORD $0x1234", "WORD $-2", "LONG $0x12345678",
    "LONG $-3", "QUAD $0x123456789abcdef0", "QUAD $-4",
    # MOVQ/MOVL between general, MMX and XMM registers and memory.
    "MOVQ X1, X2", "MOVQ X9, X2", "MOVQ (AX), X1", "MOVQ X1, (AX)", "MOVQ AX, X1", "MOVQ X1, AX",
    "MOVQ R9, X10", "MOVQ X10, R9", "MOVQ M0, M1", "MOVQ (AX), M1", "MOVQ M1, (AX)",
    "MOVQ AX, M1", "MOVQ M1, AX", "MOVQ X1, M2", "MOVQ M2, X1", "MOVQ 8(SP), X9", "MOVQ X9, 8(SP)",
    "MOVL AX, X1", "MOVL X1, AX", "MOVL (AX), X1", "MOVL X1, (AX)", "MOVL AX, M1", "MOVL M1, AX",
    "MOVL (AX), M1", "MOVL M1, (AX)", "MOVL R9, X9", "MOVQOZX M1, X2", "MOVQOZX X1, X2",
    "MOVQOZX (AX), X2", "MOVQL AX, DX", "MOVLQZX AX, DX", "MOVLQZX (AX), R9", "MOVLQSX AX, DX",
    # Control, debug, segment and descriptor-table registers.
    "MOVQ CR8, AX", "MOVQ AX, CR8", "MOVQ CR2, R9", "MOVQ R9, CR3", "MOVL CR0, AX", "MOVL AX, CR4",
    "MOVQ DR2, AX", "MOVQ AX, DR3", "MOVL DR7, AX", "MOVL AX, DR6", "MOVQ CR1, AX", "MOVQ DR4, AX",
    "MOVW DS, AX", "MOVW AX, DS", "MOVW ES, (AX)", "MOVW (AX), SS", "MOVW FS, R9", "MOVW R9, GS",
    "MOVW CS, AX", "MOVQ (AX), GDTR", "MOVQ GDTR, (AX)", "MOVQ (AX), IDTR", "MOVQ IDTR, (AX)",
    "MOVL (AX), GDTR", "MOVW AX, LDTR", "MOVW LDTR, AX", "MOVW AX, MSW", "MOVW MSW, AX",
    "MOVW AX, TASK", "MOVW TASK, AX", "MOVW (AX), LDTR", "MOVL TR6, AX", "MOVL AX, TR7",
    "MOVL TR7, (AX)", "MOVL (R9), TR6", "MOVL TR6, R10",
    "PUSHW FS", "PUSHW GS", "POPW FS", "POPW GS", "PUSHQ CS", "POPQ DS",
    # x87.
    "FMOVD (AX), F0", "FMOVD F0, (AX)", "FMOVD F2, F0", "FMOVD F0, F3", "FMOVD F0, F0",
    "FMOVDP F0, (AX)", "FMOVDP F0, F4", "FMOVF (AX), F0", "FMOVF F0, (AX)", "FMOVFP F0, (AX)",
    "FMOVL (AX), F0", "FMOVL F0, (AX)", "FMOVLP F0, (AX)", "FMOVW (AX), F0", "FMOVW F0, (AX)",
    "FMOVWP F0, (AX)", "FMOVV (AX), F0", "FMOVVP F0, (AX)", "FMOVX (AX), F0", "FMOVXP F0, (AX)",
    "FMOVB (AX), F0", "FMOVBP F0, (AX)",
    "FADDD (AX), F0", "FADDD F1, F0", "FADDD F0, F1", "FADDF (AX), F0", "FADDL (AX), F0",
    "FADDW (AX), F0", "FADDDP F0, F1", "FSUBD (AX), F0", "FSUBD F1, F0", "FSUBD F0, F1",
    "FSUBF (AX), F0", "FSUBL (AX), F0", "FSUBW (AX), F0", "FSUBDP F0, F1", "FSUBRD (AX), F0",
    "FSUBRD F1, F0", "FSUBRD F0, F1", "FSUBRF (AX), F0", "FSUBRL (AX), F0", "FSUBRW (AX), F0",
    "FSUBRDP F0, F1", "FMULD (AX), F0", "FMULD F2, F0", "FMULD F0, F2", "FMULF (AX), F0",
    "FMULL (AX), F0", "FMULW (AX), F0", "FMULDP F0, F2", "FDIVD (AX), F0", "FDIVD F3, F0",
    "FDIVD F0, F3", "FDIVF (AX), F0", "FDIVL (AX), F0", "FDIVW (AX), F0", "FDIVDP F0, F3",
    "FDIVRD (AX), F0", "FDIVRD F3, F0", "FDIVRD F0, F3", "FDIVRF (AX), F0", "FDIVRL (AX), F0",
    "FDIVRW (AX), F0", "FDIVRDP F0, F3",
    "FCOMD (AX), F0", "FCOMD F1, F0", "FCOMD F0, F1", "FCOMDP (AX), F0", "FCOMDP F1, F0",
    "FCOMDPP F0, F1", "FCOMF (AX), F0", "FCOMFP (AX), F0", "FCOML (AX), F0", "FCOMLP (AX), F0",
    "FCOMW (AX), F0", "FCOMWP (AX), F0", "FCOMI F1, F0", "FCOMIP F1, F0", "FUCOM F0, F1",
    "FUCOMI F0, F1", "FUCOMIP F0, F1", "FUCOMP F0, F2", "FUCOMPP F0, F1", "FXCHD F0, F1",
    "FXCHD F1, F0", "FCMOVCC F1, F0", "FCMOVCS F1, F0", "FCMOVEQ F1, F0", "FCMOVHI F1, F0",
    "FCMOVLS F1, F0", "FCMOVNE F2, F0", "FCMOVNU F3, F0", "FCMOVUN F4, F0", "FCMOVB F5, F0",
    "FSTCW (AX)", "FLDCW (AX)", "FSTSW (AX)", "FSTSW AX", "FLDENV (AX)", "FSTENV (AX)",
    "FSAVE (AX)", "FRSTOR (AX)", "FCLEX", "FINIT", "FLDZ", "FLDLN2", "FFREE F1", "FBLD (AX)",
    "FBSTP (AX)",
    # Other mnemonics Go accepts that the corpus does not exercise.
    "INB $0x60", "INB", "INW $0x60", "INW", "INL $7", "INL", "OUTB $0x60", "OUTB", "OUTW", "OUTL",
    "OUTL $7", "CVTSD2SQ X1, AX", "CVTSD2SQ (AX), R9", "CVTSS2SQ X1, AX", "CVTTSD2SQ X1, AX",
    "CVTTSS2SQ (AX), AX", "CVTSQ2SD AX, X1", "CVTSQ2SS (AX), X1", "LEAVEL", "LEAVEW", "LEAVEQ",
    "POPFL", "PUSHFL", "PUSHL AX", "POPL AX", "PUSHAL", "POPAL", "PUSHAW", "POPAW", "AAA", "DAA",
    "INTO", "BOUNDL AX, (BX)", "ARPL AX, (BX)", "FXCHD F2, F3", "SYSRET", "NOP", "UNDEF",
    "MOVNTO X1, (AX)", "NOPL (AX)", "NOPW 8(AX)", "NOPL AX", "VERR AX", "VERW (AX)",
    "LGDT (AX)", "LIDT (AX)", "LLDT AX", "LMSW (AX)", "LTR AX", "SGDT (AX)", "SIDT (AX)",
    "STRQ AX", "SLDTQ (AX)", "SMSWQ AX", "LARQ AX, DX", "LSLQ (AX), DX",
    "CMPXCHG8B (AX)", "CMPXCHG16B (R9)", "CMPXCHGQ AX, (BX)", "XADDQ AX, (BX)", "XADDL R9, 8(SP)",
    "SALQ CX, AX", "SALW $1, AX", "SHLW CX, AX",
    "ADJSP $8", "ADJSP $-8", "ADJSP $0x80",
    "CMPPS X1, X0, $0", "CMPPD X1, X0, $1", "CMPSS X1, X0, $2", "CMPSD X1, X0, $3",
    "CMPSD (AX), X0, $7", "PSHUFD $0xff, X1, X2", "PSHUFD $-1, X1, X2", "PEXTRW $7, X1, AX",
    "PEXTRW $7, X1, (AX)", "PINSRW $7, AX, X1", "PINSRW $7, (AX), X1", "PINSRQ $1, AX, X1",
    "PINSRQ $1, (AX), X1", "PEXTRQ $1, X1, AX", "PEXTRQ $1, X1, (AX)", "PEXTRB $1, X1, AX",
    "PEXTRD $1, X1, R9", "PINSRB $1, R9, X1", "PINSRD $1, (AX), X9", "EXTRACTPS $3, X1, AX",
    "EXTRACTPS $3, X1, (AX)", "INSERTPS $0xff, X1, X2", "PALIGNR $255, X1, X2",
    "PSLLQ $63, X1", "PSLLQ $63, M1", "PSLLQ X1, X2", "PSLLQ M1, M2", "PSLLQ (AX), X1",
    "PSLLO $8, X1", "PSRLO $8, X9", "PSRAL $3, M2", "PSRLW $-1, X1",
    "PSHUFW $1, M1, M2", "PSHUFW $1, (AX), M2", "PSHUFB X1, X2", "PSHUFB (AX), X2",
    "PSHUFL $1, X1, X2", "PSHUFHW $1, X1, X2", "PSHUFLW $1, (AX), X2",
    "PMOVMSKB X1, AX", "PMOVMSKB M1, AX", "PMOVMSKB X9, R9", "MOVMSKPS X1, AX", "MOVMSKPD X9, R9",
    "MASKMOVOU X1, X2", "MASKMOVQ M1, M2", "MOVNTQ M1, (AX)", "MOVNTIQ AX, (BX)",
    "PADDB M1, M2", "PADDB (AX), M2", "PADDB X1, X2", "PHADDD M1, M2", "PHADDD X1, X2",
    "PHADDD (AX), M1", "PHADDD (AX), X1", "PAND M1, M2", "PXOR X9, X10", "PCMPEQB M1, M2",
    "PUNPCKLBW M1, M2", "PMULULQ M1, M2", "PACKSSLW M1, M2", "PMADDWL (AX), M1",
    "CVTPL2PD M1, X1", "CVTPL2PS M1, X1", "CVTPD2PL X1, M1", "CVTPS2PL X1, M1",
    "CVTTPD2PL X1, M1", "CVTTPS2PL X1, M1", "CVTPL2PD X1, X2", "CVTPD2PL X1, X2",
    "MOVSS $0.0, X1", "MOVSD $0.0, X9", "MOVSD $1.5, X1", "MOVSS $1.5, X1", "ADDSD $2.0, X1",
    "MULSS $-1.0, X2", "FMOVD $1.0, F0", "FMOVF $0.5, F0", "UCOMISD $0.0, X1",
    "MOVSD X1, X2", "MOVSD (AX), X1", "MOVSD X1, (AX)", "MOVSS X9, 8(SP)", "MOVHPS X1, X2",
    "MOVLPS X1, X2", "MOVHPD X12, X3", "MOVLPD X3, X9",
    "ADDSUBPD X1, X2", "HADDPS (AX), X1", "LDDQU (AX), X1", "MOVNTDQA (AX), X9",
    "PCLMULQDQ $0x11, X1, X2", "PCLMULQDQ $0, (AX), X9", "AESENC X1, X2", "AESKEYGENASSIST $1, X1, X2",
    "CRC32Q AX, DX", "CRC32Q (AX), R9", "CRC32L AX, DX", "CRC32W AX, DX", "CRC32B (AX), DX",
    "POPCNTQ AX, DX", "POPCNTW (AX), R9", "LZCNTQ AX, DX", "TZCNTW AX, DX", "MOVBEQ (AX), DX",
    "MOVBEW DX, (AX)", "MOVBEL (R9), R10",
    "BSWAPQ R9", "BSWAPL AX", "BSFQ (AX), DX", "BSRW AX, DX",
    "BTQ $63, AX", "BTQ $-1, AX", "BTSL $31, (AX)", "BTRW $15, AX", "BTCQ AX, (BX)", "BTW AX, BX",
    "MOVWLZX (AX), DX", "MOVWQSX AX, DX", "MOVBWSX AL, AX", "MOVBWZX (AX), AX", "MOVSWW AX, DX",
    "MOVZWW AX, DX",
    "IMULQ AX, DX", "IMULQ (AX), DX", "IMULQ AX", "IMULW (AX)", "MULQ 8(SP)", "DIVQ R9", "IDIVB (AX)",
    "NEGQ AX", "NOTL (AX)", "NOTW AX", "INCQ R9", "DECL AX", "INCW (AX)", "DECB AH",
    "LEAL 0x12345678(AX), DX", "LEAQ 8(SP), AX", "LEAQ (AX)(BX*8), CX", "LEAQ (AX*8), CX",
    "LEAQ 8(R13), AX", "LEAQ (R13), AX", "LEAQ (R12), AX", "LEAQ (SP), AX", "LEAQ (BP), AX",
    "LEAW (AX), DX", "LEAQ -8(BP)(R12*2), AX", "LEAQ 0x7fffffff(AX), DX", "LEAQ -0x80000000(AX), DX",
    "MOVQ (R12)(R13*1), AX", "MOVQ (R13)(R12*1), AX", "MOVQ 128(SP), AX", "MOVQ -129(SP), AX",
    "MOVQ 127(R12), AX", "MOVQ -128(BP), AX", "MOVQ 0x12345678, AX", "MOVL 8, AX",
    "MOVQ (AX)(BP*1), DX", "MOVQ (BP)(AX*1), DX",
    "SYSCALL", "CPUID", "RDTSC", "RDTSCP", "HLT", "NOP", "CLD", "STD", "CMC", "LAHF", "SAHF",
    "CQO", "CDQ", "CWD", "CDQE", "CWDE", "CBW", "XLAT", "MOVSQ", "STOSQ", "LODSB", "SCASW",
    "CMPSQ", "INSB", "OUTSL", "ICEBP", "UD1", "UD2", "RET",
    # Statements Go rejects.
    "ADDQ (AX), (BX)", "MOVQ (AX), (BX)", "ADDL AL, BX", "MOVL $1, AL", "MOVQ $sym(SB), (AX)",
    "PUSHQ $sym(SB)", "ADDQ $sym(SB), AX", "CMPQ AX, $sym(SB)", "SHLQ $1, X1", "SHLQ DX, AX",
    "MOVQ AX, SP(SP)", "ADDSD AX, X1", "MOVL 0x123456789(AX), DX", "LEAQ 0x123456789(AX), DX",
    "LEAL 0x123456789(AX), DX", "INT AX", "MOVB $1, X1", "BSWAPQ (AX)", "PUSHQ X1",
    "MOVQ sym(SB)(AX*1), DX", "MOVQ sym+8(AX), DX", "MOVQ (AX)(SP*1), DX", "MOVQ X1, CR0",
    "CMPXCHG8B AX", "CALL X1", "JMP M1", "MOVQ CR5, AX", "MOVL DR2, AX", "FADDD F1, F2",
    "FMOVD F1, F2", "XCHGL AX, AL", "IMUL3Q $1, $2, AX", "PUSHL CS", "MOVQ TLS, AX",
    "PSLLQ $64, X1", "PSLLQ $-129, X1", "PEXTRW $256, X1, AX", "ROUNDSD $-1, X1, X2",
    "SHLQ $256, AX", "SHLQ $-1, AX", "BTQ $128, AX", "RETFQ AX", "MOVQ $1, $2", "NOTQ $1",
    "MOVSS X1, $1", "FSTSW BX",
    # Go accepts these, goemu rejects them (see DEVIATIONS in tests/asm/test_amd64enc.py).
    "NEGQ CL", "NOTW SIB", "CVTPL2PS CX, X3", "PADDB SP, M2", "PEXTRD $1, X1, M2", "INVLPG AX",
    "XRSTOR CX", "MOVNTPD X0, R9", "INVPCID R13, CX", "CMPXCHG8B SIB", "CALL $-1", "JMP $200",
    "CALL CX, $1", "NOP (FS)", "CALL (AX*8)",
]  # fmt: skip

# Operand pools for FUZZ: Go spellings per optab kind, boundary values included.
_MEMS = [
    "(AX)", "8(SP)", "-8(BP)", "(R12)", "(R13)", "127(R8)", "128(R9)", "-128(DX)", "-129(SI)",
    "-0x80000000(AX)", "0x7fffffff(DI)", "(AX)(BX*1)", "8(R12)(R13*8)", "(BP)(SI*2)", "16(SP)(AX*4)",
    "(AX*8)", "-8(R15*2)", "sym(SB)", "sym+8(SB)", "sym<>-4(SB)", "0x10", "8(FS)", "(GS)", "16(TLS)",
]  # fmt: skip
_GPRS = ["AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI", "R8", "R9", "R12", "R13", "R15"]
_IMMS = {
    "u2": [0, 1, 2, 3], "i8": [-128, -1, 0, 1, 127], "u8": [0, 1, 127, 128, 255],
    "b8": [0, 1, -1, 127, 128, 255, 256, -129, 0xFFFFFFFF, -0x80000000],
    "i16": [0, -1, 127, 128, -128, -129, 0x7FFF, 0x8000, 0xFF80, 0xFFFF, 70000, 0xFFFFFFFF],
    "i32": [0, -1, 127, 128, -128, -129, 0x7FFFFFFF, 0x80000000, 0xFFFFFF80, 0xFFFFFFFF, -0x80000000],
    "s32": [0, -1, 127, 128, -129, 0x7FFFFFFF, -0x80000000],
    "i64": [0x80000000, 0xFFFFFFFF, 0x100000000, -0x80000001, 0x7FFFFFFFFFFFFFFF, -(2**63), 1, -1],
}  # fmt: skip
_REGS = {
    "r8": ["AL", "CL", "DL", "BL", "AH", "BH", "SIB", "DIB", "BPB", "R8B", "R15B", "AX", "SI", "R9"],
    "rm8x": ["AL", "DL", "AH", "SIB", "R8B", "AX", "SI", "R9"],
    "x": ["X0", "X1", "X9", "X15"], "x0": ["X0"], "mm": ["M0", "M3", "M7"], "mmgpr": ["M0", "M5"],
    "st": ["F0", "F1", "F7"], "st0": ["F0"], "cl": ["CL", "CX"], "sreg": ["CS", "SS", "DS", "ES", "FS", "GS"],
    "cr": ["CR0", "CR2", "CR3", "CR4", "CR8"], "dr": ["DR0", "DR2", "DR3", "DR6", "DR7"],
    "drl": ["DR0", "DR6", "DR7"],
}  # fmt: skip


def _fuzz_operand(kind: str, rnd) -> str:
    if kind.startswith("@"):
        return kind[1:]
    if kind in _IMMS:
        return f"${rnd.choice(_IMMS[kind])}"
    if kind == "addr":
        return rnd.choice(["$sym(SB)", "$sym+8(SB)", "$8(AX)"])
    regs = _REGS.get(kind) or (_GPRS if kind[-1].isdigit() and kind[0] == "r" else [])
    if kind in ("xm16", "xm32", "xm64", "xm128"):
        regs = _REGS["x"]
    if kind in ("mmm32", "mmm64"):
        regs = _REGS["mm"]
    mem = kind.startswith(("m", "rm", "xm", "mmm")) and kind not in ("mm", "mmgpr")
    if mem and (not regs or rnd.random() < 0.5):
        return rnd.choice(_MEMS)
    return rnd.choice(regs)


def fuzz_statements(per_form: int = 3, seed: int = 1) -> list[str]:
    """Random statements for every form of goemu's optab (Go, not the table, decides the truth)."""
    import random

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from asm.amd64 import optab

    rnd = random.Random(seed)
    out = []
    for op, forms in sorted(optab.TABLE.items()):
        for form in forms:
            for _ in range(per_form if form.kinds else 1):
                args = ", ".join(_fuzz_operand(k, rnd) for k in form.kinds)
                if op in ("CALL", "JMP") and args.startswith("("):
                    continue  # Go's parser drops CALL (AX*8) silently; (AX) forms are in EXTRA
                if op == "NOP" and re.search(r"FS|GS|TLS", args):
                    continue  # a known deviation: see NOP (FS) in EXTRA
                out.append(f"{op} {args}".strip())
    return out


_STMT_RE = re.compile(r"^\s+([A-Z][A-Z0-9.]*)\b(.*?)\s*//\s*([0-9a-f]+)(?:\s+or\s+.*)?\s*$")


def corpus_statements() -> list[str]:
    """The in-scope statements of Go's amd64 encoder test corpus, in file order."""
    out: list[str] = []
    for path in CORPUS:
        for line in path.read_text().splitlines():
            m = _STMT_RE.match(line)
            if not m:
                continue
            op = m.group(1)
            if op.startswith("K") or (op.startswith("V") and op not in ("VERR", "VERW")):
                continue  # VEX/EVEX/AVX-512 mask instructions: out of scope
            if "." in op:
                continue
            out.append((op + m.group(2)).strip())
    return out


def run_go(stmts: list[str]) -> tuple[dict[int, tuple[str, list]], dict[int, str]]:
    """Assemble stmts, one a line; return ({index: (hex, relocs)}, {index: error})."""
    header = ['#include "textflag.h"', "TEXT ·f(SB), NOSPLIT|NOFRAME, $0"]
    first = len(header) + 1
    src = "\n".join(header + stmts) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.s"
        path.write_text(src)
        proc = subprocess.run(
            [GO, "tool", "asm", "-I", str(GOROOT / "src/runtime"), "-p", "main", "-S", "-o",
             str(Path(tmp) / "v.o"), str(path)],
            capture_output=True, text=True, cwd=tmp,
        )  # fmt: skip
    if proc.returncode != 0:
        errors: dict[int, str] = {}
        for line in proc.stderr.splitlines():
            m = re.search(r"v\.s:(\d+)", line)
            if m:
                idx = int(m.group(1)) - first
                if 0 <= idx < len(stmts):
                    errors.setdefault(idx, _error_message(line))
        if not errors:
            errors[-1] = proc.stderr.strip()
        return {}, errors
    return parse_listing(proc.stdout, first, len(stmts)), {}


def _error_message(line: str) -> str:
    """`asm: "".f: invalid instruction: 00007 (v.s:5)\tSHLQ DX, AX` -> `invalid instruction`."""
    msg = re.sub(r'^asm: ("[^"]*"\.f: )?', "", line)
    msg = re.sub(r"^\S*v\.s:\d+(:\d+)?:\s*", "", msg)
    msg = re.sub(r"(:| in)? \d{5} \(.*$", "", msg)
    return msg.strip()


_PROG_RE = re.compile(r"^\t0x([0-9a-f]+) \d+ \([^)]*v\.s:(\d+)\)\t(\S+)")
_HEX_RE = re.compile(r"^\t0x([0-9a-f]{4})((?: [0-9a-f]{2})+)")
_REL_RE = re.compile(r"^\trel (\d+)\+(\d+) t=(\d+) (\S*?)\+(-?\d+)$")


def parse_listing(text: str, first: int, n: int) -> dict[int, tuple[str, list]]:
    """Cut the function's bytes and relocations at each statement's first pc."""
    start: dict[int, int] = {}
    size = 0
    code = bytearray()
    relocs: list[tuple[int, int, int, str, int]] = []
    in_text = False
    for line in text.splitlines():
        if not line.startswith("\t"):  # a symbol's header: only the function's own bytes count
            m = re.match(r"^\S+ STEXT .* size=(\d+)", line)
            in_text = m is not None
            size = int(m.group(1)) if m else size
        elif not in_text:
            continue
        elif m := _PROG_RE.match(line):
            idx = int(m.group(2)) - first
            if 0 <= idx < n:
                start.setdefault(idx, int(m.group(1), 16))
        elif m := _REL_RE.match(line):
            relocs.append((int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4), int(m.group(5))))
        elif m := _HEX_RE.match(line):
            addr = int(m.group(1), 16)
            count = min(16, size - addr)
            code[addr : addr + count] = bytes.fromhex("".join(line[7:].split()[:count]))
    assert len(code) == size, (len(code), size)
    order = sorted(start.items(), key=lambda kv: kv[1])
    out: dict[int, tuple[str, list]] = {}
    for k, (idx, pc) in enumerate(order):
        end = order[k + 1][1] if k + 1 < len(order) else size
        rs = [[off - pc, siz, typ, sym, add] for off, siz, typ, sym, add in relocs if pc <= off < end or
              (siz == 0 and off == pc)]  # fmt: skip
        out[idx] = (code[pc:end].hex(), rs)
    return out


def assemble(stmts: list[str]) -> list[dict]:
    """Assemble stmts in chunks; statements Go rejects are taken out and recorded as errors."""
    records: dict[int, dict] = {}
    # RET checks that PUSHes and POPs balanced, so each RET is assembled on its own.
    rets = [[i] for i, s in enumerate(stmts) if s.split()[0] == "RET"]
    rest = [i for i, s in enumerate(stmts) if s.split()[0] != "RET"]
    chunks = [rest[k : k + CHUNK] for k in range(0, len(rest), CHUNK)] + rets
    while chunks:
        chunk = chunks.pop()
        while chunk:
            ok, errors = run_go([stmts[i] for i in chunk])
            if -1 in errors:  # an error without a line: bisect
                if len(chunk) == 1:
                    records[chunk[0]] = {"src": stmts[chunk[0]], "error": errors[-1]}
                else:
                    chunks.append(chunk[len(chunk) // 2 :])
                    chunks.append(chunk[: len(chunk) // 2])
                chunk = []
                continue
            if errors:
                for j, msg in errors.items():
                    records[chunk[j]] = {"src": stmts[chunk[j]], "error": msg}
                chunk = [i for j, i in enumerate(chunk) if j not in errors]
                continue
            for j, (hexcode, rs) in ok.items():
                rec: dict = {"src": stmts[chunk[j]], "hex": hexcode}
                if rs:
                    rec["relocs"] = rs
                records[chunk[j]] = rec
            for i in chunk:
                records.setdefault(i, {"src": stmts[i], "hex": ""})
            chunk = []
        print(f"{len(records)}/{len(stmts)}", file=sys.stderr)
    return [records[i] for i in range(len(stmts))]


def main() -> None:
    seen: set[str] = set()
    stmts: list[str] = []
    for s in corpus_statements() + EXTRA + fuzz_statements(FUZZ_PER_FORM, FUZZ_SEED):
        if s not in seen:
            seen.add(s)
            stmts.append(s)
    records = assemble(stmts)
    with OUT.open("w") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps(r, separators=(",", ":")) for r in records))
        f.write("\n]\n")
    nerr = sum("error" in r for r in records)
    print(f"wrote {OUT}: {len(records)} statements, {nerr} rejected by Go", file=sys.stderr)


if __name__ == "__main__":
    main()
