"""The one table from Go's Plan 9 amd64 mnemonics to Intel syntax (the form keystone encodes).

Each Go mnemonic maps to a tuple of Forms, tried in order; the first whose operand kinds all accept
the operands as written is used, as Go's asm6.go walks an instruction's ytab. A statement that
matches no form is an "invalid instruction". The order of forms and the kinds' accepted sets follow
asm6.go's ytabs and its ycover table, so that we accept what Go accepts and pick what Go picks.

TABLE_TEXT syntax, one Go mnemonic pattern a line (`#` starts a comment):

    PATTERN   FORM | FORM | ...

  PATTERN   a Go mnemonic; it may hold one {GROUP}, expanding the line once per member:
            {cc} is a named group (GROUPS: the condition codes, Go suffix -> Intel suffix), or an
            inline list {ADD,ADC=adc,...} (NAME=intel; NAME alone means intel = lowercased NAME).
            In the forms, `{}` stands for the member's Intel spelling.
  FORM      ENC [KINDS]: ENC says how to lay the instruction down, KINDS the operands it takes.
  KINDS     comma-separated operand kinds in Go order (sources first, destination last).
  ENC is one of
    intel[(OPS)][!FLAG...]
            an Intel instruction for keystone. OPS lists its operands: $N is Go operand N, anything
            else is literal Intel text (`al`, `dx`, `st(0)`); a Go operand not listed is implicit.
            Without OPS the Go operands are printed reversed (Go's destination is Intel's first).
    proxy[(OPS)]>[PP:]OPCODE[/D][!FLAG...]
            an instruction keystone cannot assemble but whose operands lay down exactly as those
            of `proxy`: assemble the proxy, then replace its opcode bytes with OPCODE (hex), its
            mandatory prefix (66/F2/F3) with PP (hex; `>:OPCODE` drops it), and its ModRM.reg with D.
    raw:TOKEN.TOKEN...
            bytes with no keystone at all: hex bytes, `ib`/`iw`/`id`/`iq` (the immediate operand
            in 1/2/4/8 little-endian bytes), `XX+$N` (byte XX plus the number of register $N).
  FLAGs     !load: a register-to-register form that Go encodes with the load opcode (8B /r) where
            keystone picks the store opcode (89 /r); !callind: marks an indirect CALL (R_CALLIND);
            !ax8: a byte ALU form whose accumulator, when written AX, takes the generic 80 /n
            encoding (Go matches the ytab before bytereg turns AX into AL).

Operand kinds (KINDS documents each; translate.py implements them):
  r8 r16 r32 r64         general register printed at that width (AX -> al/ax/eax/rax); r8 takes
                         AL..R15B (not SPB: Go's oclass drops it), AH..BH, and, as Go's bytereg
                         does for byte instructions, the full names AX..R15
  m m8 m16 m32 m64 m80 m128
                         memory, printed with that Intel `ptr` size (m: no size)
  rm8 rm16 rm32 rm64     register or memory
  rm8x                   rm8 without Go's bytereg (CRC32B is not a byte instruction to asm6.go):
                         AX..BX are AL..BL but SP..DI lay down as numbers 4..7, i.e. AH..BH
  x x0 xm16 xm32 xm64 xm128
                         XMM register (x0: X0 only); XMM register or memory of that size
  mm mmm32 mmm64         MMX register; MMX register or memory of that size
  mmgpr                  MMX register printed as the same-numbered 64-bit GPR (Go's Ymm class
                         lets M0 stand where a GPR goes: MOVQ M0, M1 is `movq mm1, rax`)
  st st0                 x87 register F0..F7, printed st(i); F0 only
  cl                     CL or CX, printed cl (shift counts)
  sreg cr dr drl         segment register; CR0/2/3/4/8; DR0/2/3/6/7; DR0/6/7 (what MOVL takes)
  @NAME                  exactly Go register NAME (GDTR, LDTR, FS, AX, ...), never printed
  u2 i8 u8               immediates by Go's classes: 0..3; -128..127; 0..255 (one byte)
  b8 i16 i32             any Yi32 value (-2^31 .. 2^32-1), laid down in 1, 2 or 4 bytes
  s32 i64                -2^31 .. 2^31-1; any 64-bit value
  addr                   $sym(SB), $name(SP/FP): an address (MOVx $addr, reg is Go's built-in LEA)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .registers import (  # noqa: F401  (re-exported: the table's users name them through optab)
    BYTE_REGS,
    CONTROL_REGS,
    DEBUG_REGS,
    GPR64,
    HIGH_BYTE_REGS,
    INTEL_GPR,
    MMX_REGS,
    SEGMENT_REGS,
    SPECIAL_REGS,
    TEST_REGS,
    X87_REGS,
    XMM_REGS,
)

KINDS: dict[str, str] = {
    "r8": "byte register (AL..R15B, AH..BH, or AX..R15 as their low byte)",
    "r16": "general register as 16 bits",
    "r32": "general register as 32 bits",
    "r64": "general register as 64 bits",
    "m": "memory, no size",
    "m8": "memory, byte",
    "m16": "memory, word",
    "m32": "memory, dword",
    "m64": "memory, qword",
    "m80": "memory, tbyte",
    "m128": "memory, xmmword",
    "rm8": "r8 or m8",
    "rm16": "r16 or m16",
    "rm32": "r32 or m32",
    "rm64": "r64 or m64",
    "rm8x": "rm8, with SP..DI meaning AH..BH",
    "x": "XMM register",
    "x0": "X0",
    "xm16": "XMM register or m16",
    "xm32": "XMM register or m32",
    "xm64": "XMM register or m64",
    "xm128": "XMM register or m128",
    "mm": "MMX register",
    "mmm32": "MMX register or m32",
    "mmm64": "MMX register or m64",
    "mmgpr": "MMX register printed as the same-numbered 64-bit GPR",
    "st": "x87 register F0..F7",
    "st0": "F0",
    "cl": "CL or CX, printed cl",
    "sreg": "segment register",
    "cr": "CR0, CR2, CR3, CR4, CR8",
    "dr": "DR0, DR2, DR3, DR6, DR7",
    "drl": "DR0, DR6, DR7",
    "u2": "$0..$3",
    "i8": "$-128..$127",
    "u8": "$0..$255",
    "b8": "$-2^31..$2^32-1, one byte",
    "i16": "$-2^31..$2^32-1, two bytes",
    "i32": "$-2^31..$2^32-1, four bytes",
    "s32": "$-2^31..$2^31-1, four bytes",
    "i64": "any 64-bit constant",
    "addr": "$sym(SB) or $name(SP/FP)",
}

# Immediate kinds: (lowest, highest) value accepted, and the bytes laid down.
IMM_KINDS: dict[str, tuple[int, int, int]] = {
    "u2": (0, 3, 1),
    "i8": (-128, 127, 1),
    "u8": (0, 255, 1),
    "b8": (-(2**31), 2**32 - 1, 1),
    "i16": (-(2**31), 2**32 - 1, 2),
    "i32": (-(2**31), 2**32 - 1, 4),
    "s32": (-(2**31), 2**31 - 1, 4),
    "i64": (-(2**63), 2**64 - 1, 8),
}

# Memory sizes of the memory-taking kinds, as Intel `ptr` keywords ("" for none).
MEM_SIZE: dict[str, str] = {
    "m": "",
    "m8": "byte",
    "m16": "word",
    "m32": "dword",
    "m64": "qword",
    "m80": "tbyte",
    "m128": "xmmword",
}
for _w in (8, 16, 32, 64):
    MEM_SIZE[f"rm{_w}"] = MEM_SIZE[f"m{_w}"]
MEM_SIZE["rm8x"] = "byte"
for _w in (16, 32, 64, 128):
    MEM_SIZE[f"xm{_w}"] = MEM_SIZE[f"m{_w}"]
for _w in (32, 64):
    MEM_SIZE[f"mmm{_w}"] = MEM_SIZE[f"m{_w}"]

# Named groups for PATTERN{GROUP}: Go's condition suffixes and the Intel ones.
GROUPS: dict[str, dict[str, str]] = {
    "cc": {
        "CC": "ae", "CS": "b", "EQ": "e", "GE": "ge", "GT": "g", "HI": "a", "LE": "le", "LS": "be",
        "LT": "l", "MI": "s", "NE": "ne", "OC": "no", "OS": "o", "PC": "np", "PL": "ns", "PS": "p",
    },
}  # fmt: skip

_ALU = "{ADD,ADC,AND,OR,SBB,SUB,XOR}"
_SHIFT = "{RCL,RCR,ROL,ROR,SAL=shl,SAR,SHL,SHR}"

TABLE_TEXT = rf"""
# ---- integer arithmetic and logic (yxorb, yaddl, ycmpb, ycmpl, ytestl) ----
{_ALU}B      {{}}!ax8 b8,rm8 | {{}} r8,rm8 | {{}} rm8,r8
{_ALU}W      {{}} i16,rm16 | {{}} r16,rm16 | {{}} rm16,r16
{_ALU}L      {{}} i32,rm32 | {{}} r32,rm32 | {{}} rm32,r32
{_ALU}Q      {{}} i32,rm64 | {{}} r64,rm64 | {{}} rm64,r64
CMPB         cmp($0,$1)!ax8 rm8,b8 | cmp($0,$1) rm8,r8 | cmp($0,$1) r8,rm8
CMPW         cmp($0,$1) rm16,i16 | cmp($0,$1) rm16,r16 | cmp($0,$1) r16,rm16
CMPL         cmp($0,$1) rm32,i32 | cmp($0,$1) rm32,r32 | cmp($0,$1) r32,rm32
CMPQ         cmp($0,$1) rm64,i32 | cmp($0,$1) rm64,r64 | cmp($0,$1) r64,rm64
TESTB        test!ax8 b8,rm8 | test r8,rm8 | test($0,$1) rm8,r8
TESTW        test i16,rm16 | test r16,rm16 | test($0,$1) rm16,r16
TESTL        test i32,rm32 | test r32,rm32 | test($0,$1) rm32,r32
TESTQ        test i32,rm64 | test r64,rm64 | test($0,$1) rm64,r64
{{INC,DEC,NEG,NOT}}B  {{}} rm8
{{INC,DEC,NEG,NOT}}W  {{}} rm16
{{INC,DEC,NEG,NOT}}L  {{}} rm32
{{INC,DEC,NEG,NOT}}Q  {{}} rm64
{{MUL,DIV,IDIV}}B  {{}} rm8
{{MUL,DIV,IDIV}}W  {{}} rm16
{{MUL,DIV,IDIV}}L  {{}} rm32
{{MUL,DIV,IDIV}}Q  {{}} rm64
IMULB        imul rm8
IMULW        imul rm16 | imul($1,$1,$0) i16,r16 | imul rm16,r16
IMULL        imul rm32 | imul($1,$1,$0) i32,r32 | imul rm32,r32
IMULQ        imul rm64 | imul($1,$1,$0) i32,r64 | imul rm64,r64
IMUL3W       imul i16,rm16,r16
IMUL3L       imul i32,rm32,r32
IMUL3Q       imul i32,rm64,r64
ADCXL        adcx rm32,r32
ADCXQ        adcx rm64,r64
ADOXL        adox rm32,r32
ADOXQ        adox rm64,r64
# ---- shifts and rotates (yshb, yshl); SHL/SHR W/L/Q are restated with ymovtab's double shifts ----
{_SHIFT}B    {{}} u8,rm8 | {{}} cl,rm8
{_SHIFT}W    {{}} u8,rm16 | {{}} cl,rm16
{_SHIFT}L    {{}} u8,rm32 | {{}} cl,rm32
{_SHIFT}Q    {{}} u8,rm64 | {{}} cl,rm64
SHLW         shl u8,rm16 | shl cl,rm16 | shld i8,r16,rm16 | shld cl,r16,rm16
SHLL         shl u8,rm32 | shl cl,rm32 | shld i8,r32,rm32 | shld cl,r32,rm32
SHLQ         shl u8,rm64 | shl cl,rm64 | shld i8,r64,rm64 | shld cl,r64,rm64
SHRW         shr u8,rm16 | shr cl,rm16 | shrd i8,r16,rm16 | shrd cl,r16,rm16
SHRL         shr u8,rm32 | shr cl,rm32 | shrd i8,r32,rm32 | shrd cl,r32,rm32
SHRQ         shr u8,rm64 | shr cl,rm64 | shrd i8,r64,rm64 | shrd cl,r64,rm64
# ---- bit tests and scans ----
{{BT,BTC,BTR,BTS}}W  {{}} i8,rm16 | {{}} r16,rm16
{{BT,BTC,BTR,BTS}}L  {{}} i8,rm32 | {{}} r32,rm32
{{BT,BTC,BTR,BTS}}Q  {{}} i8,rm64 | {{}} r64,rm64
{{BSF,BSR,POPCNT,LZCNT,TZCNT}}W  {{}} rm16,r16
{{BSF,BSR,POPCNT,LZCNT,TZCNT}}L  {{}} rm32,r32
{{BSF,BSR,POPCNT,LZCNT,TZCNT}}Q  {{}} rm64,r64
BSWAPL       bswap r32
BSWAPQ       bswap r64
# ---- conditional moves and sets ----
CMOVW{{cc}}    cmov{{}} rm16,r16
CMOVL{{cc}}    cmov{{}} rm32,r32
CMOVQ{{cc}}    cmov{{}} rm64,r64
SET{{cc}}      set{{}} rm8
# ---- moves (ymovb, ymovw, ymovl, ymovq and ymovtab) ----
MOVB         mov r8,rm8 | mov rm8,r8 | mov b8,rm8
MOVW         mov r16,rm16 | mov rm16,r16 | mov i16,rm16 | lea addr,r16
             | mov sreg,r32 | mov>:8c sreg,m16 | mov r32,sreg | mov m16,sreg
             | lldt($0) rm16,@LDTR | sldt($1) @LDTR,r32 | sldt($1) @LDTR,m16
             | lmsw($0) rm16,@MSW | smsw($1) @MSW,r32 | smsw($1) @MSW,m16
             | ltr($0) rm16,@TASK | str($1) @TASK,r32 | str($1) @TASK,m16
MOVL         mov r32,rm32 | mov rm32,r32 | mov i32,rm32
             | movd rm32,mm | movd mm,rm32 | movd rm32,x | movd x,rm32 | lea addr,r32
             | mov cr,r64 | mov r64,cr | mov drl,r64 | mov r64,drl
             | lgdt($0) m,@GDTR | sgdt($1) @GDTR,m | lidt($0) m,@IDTR | sidt($1) @IDTR,m
             | inc>0f24/6 @TR6,rm32 | inc>0f24/7 @TR7,rm32 | inc>0f26/6 rm32,@TR6 | inc>0f26/7 rm32,@TR7
             | raw: @TLS,r32
MOVQ         movq m64,mm | movq mm,m64 | movdq2q x,mm | movq xm64,x | movq x,m64
             | mov r64,rm64 | mov rm64,r64 | mov s32,r64 | mov i64,r64 | mov i32,m64
             | movq r64,mm | movq mmgpr,mm | movq mm,r64 | movq r64,x | movq x,r64 | lea addr,r64
             | mov cr,r64 | mov r64,cr | mov dr,r64 | mov r64,dr
             | lgdt($0) m,@GDTR | sgdt($1) @GDTR,m | lidt($0) m,@IDTR | sidt($1) @IDTR,m
             | raw: @TLS,r64
MOVBLSX      movsx rm8,r32
MOVBLZX      movzx rm8,r32
MOVBQSX      movsx rm8,r64
MOVBQZX      movzx rm8,r64
MOVBWSX      movsx rm8,r16
MOVBWZX      movzx rm8,r16
MOVWLSX      movsx rm16,r32
MOVWLZX      movzx rm16,r32
MOVWQSX      movsx rm16,r64
MOVWQZX      movzx rm16,r64
MOVSWW       movsx>66:0fbf rm8,r32
MOVZWW       movzx>66:0fb7 rm8,r32
MOVLQSX      movsxd rm32,r64
MOVLQZX      mov!load rm32,r32
MOVQL        mov r32,rm32
MOVBEW       movbe m16,r16 | movbe r16,m16
MOVBEL       movbe m32,r32 | movbe r32,m32
MOVBEQ       movbe m64,r64 | movbe r64,m64
MOVNTIL      movnti r32,m32
MOVNTIQ      movnti r64,m64
LEAW         lea m,r16
LEAL         lea m,r32
LEAQ         lea m,r64
{{LFS,LGS,LSS}}W  {{}} m32,r16
{{LFS,LGS,LSS}}L  {{}} m,r32
{{LFS,LGS,LSS}}Q  {{}} m80,r64
XCHGB        xchg r8,rm8 | xchg rm8,r8
XCHGW        xchg r16,rm16 | xchg rm16,r16
XCHGL        xchg r32,rm32 | xchg rm32,r32
XCHGQ        xchg r64,rm64 | xchg rm64,r64
{{CMPXCHG,XADD}}B  {{}} r8,rm8
{{CMPXCHG,XADD}}W  {{}} r16,rm16
{{CMPXCHG,XADD}}L  {{}} r32,rm32
{{CMPXCHG,XADD}}Q  {{}} r64,rm64
CMPXCHG8B    cmpxchg8b m64 | not>0fc7/1 r32
CMPXCHG16B   cmpxchg16b m128 | not>0fc7/1 r64
# ---- stack (ypushl, ypopl and the segment pushes of ymovtab) ----
PUSHQ        push r64 | push m64 | push i32 | raw:0fa0 @FS | raw:0fa8 @GS
POPQ         pop r64 | pop m64 | raw:0fa1 @FS | raw:0fa9 @GS
PUSHW        push r16 | push m16 | raw:66.6a.ib i8 | raw:66.68.iw i16
             | raw:66.0e @CS | raw:66.16 @SS | raw:66.1e @DS | raw:66.06 @ES | raw:66.0fa0 @FS | raw:66.0fa8 @GS
POPW         pop r16 | pop m16
             | raw:66.1f @DS | raw:66.07 @ES | raw:66.17 @SS | raw:66.0fa1 @FS | raw:66.0fa9 @GS
PUSHL        raw:0e @CS | raw:16 @SS | raw:1e @DS | raw:06 @ES | raw:0fa0 @FS | raw:0fa8 @GS
POPL         raw:1f @DS | raw:07 @ES | raw:17 @SS | raw:0fa1 @FS | raw:0fa9 @GS
PUSHFQ       pushfq
POPFQ        popfq
PUSHFW       raw:669c
POPFW        raw:669d
PUSHAW       raw:6660
POPAW        raw:6661
LEAVEQ       leave
LEAVEW       raw:66c9
# ---- control transfer through registers and memory; the rest is span.py's ----
CALL         call!callind rm64
JMP          jmp rm64
RET          ret
RETFW        raw:66cb | raw:66.ca.iw i16
RETFL        raw:cb | raw:ca.iw i16
RETFQ        raw:48cb | raw:48.ca.iw i16
INT          raw:cd.ib b8
# ---- prefixes, which Go writes as statements of their own ----
LOCK         raw:f0
REP          raw:f3
REPN         raw:f2
XACQUIRE     raw:f2
XRELEASE     raw:f3
# ---- data in the instruction stream ----
BYTE         raw:ib i64
WORD         raw:iw i64
LONG         raw:id i64
QUAD         raw:iq i64
NOP          raw: | raw: addr | raw: rm64 | raw: st | raw: x
# ---- no operands ----
CBW          cbw
CWDE         cwde
CDQE         cdqe
CWD          cwd
CDQ          cdq
CQO          cqo
CLAC         clac
STAC         stac
CLC          clc
CLD          cld
CLI          cli
CLTS         clts
CMC          cmc
STC          stc
STD          std
STI          sti
CPUID        cpuid
EMMS         emms
HLT          hlt
ICEBP        raw:f1
INVD         invd
WBINVD       wbinvd
IRETW        raw:66cf
IRETL        raw:cf
IRETQ        raw:48cf
LAHF         lahf
SAHF         sahf
LFENCE       lfence
MFENCE       mfence
SFENCE       sfence
MONITOR      monitor
MWAIT        mwait
PAUSE        pause
WAIT         wait
RDMSR        rdmsr
WRMSR        wrmsr
RDPMC        rdpmc
RDTSC        rdtsc
RDTSCP       rdtscp
RDPKRU       rdpkru
WRPKRU       wrpkru
RSM          rsm
SWAPGS       swapgs
SYSCALL      syscall
SYSRET       raw:0f07
SYSENTER     raw:0f34
SYSENTER64   raw:480f34
SYSEXIT      raw:0f35
SYSEXIT64    raw:480f35
UD1          raw:0fb9
UD2          ud2
UNDEF        ud2
XEND         xend
XTEST        xtest
XGETBV       xgetbv
XSETBV       xsetbv
XLAT         xlatb
XABORT       xabort u8
# ---- string instructions ----
MOVSB        movsb
MOVSW        movsw
MOVSL        raw:a5
MOVSQ        movsq
CMPSB        cmpsb
CMPSW        cmpsw
CMPSL        raw:a7
CMPSQ        cmpsq
STOSB        stosb
STOSW        stosw
STOSL        raw:ab
STOSQ        stosq
LODSB        lodsb
LODSW        lodsw
LODSL        raw:ad
LODSQ        lodsq
SCASB        scasb
SCASW        scasw
SCASL        raw:af
SCASQ        scasq
INSB         insb
INSW         insw
INSL         raw:6d
OUTSB        outsb
OUTSW        outsw
OUTSL        raw:6f
# ---- ports (yin) ----
INB          in(al,$0) b8 | in(al,dx)
INW          in(ax,$0) b8 | in(ax,dx)
INL          in(eax,$0) b8 | in(eax,dx)
OUTB         out($0,al) b8 | out(dx,al)
OUTW         out($0,ax) b8 | out(dx,ax)
OUTL         out($0,eax) b8 | out(dx,eax)
# ---- system ----
CLFLUSH      clflush m8
CLFLUSHOPT   clflushopt m8
CLWB         clwb m8
CLDEMOTE     prefetchnta>0f1c m8
INVLPG       invlpg m8
INVPCID      invpcid m128,r64
PREFETCHT0   prefetcht0 m8
PREFETCHT1   prefetcht1 m8
PREFETCHT2   prefetcht2 m8
PREFETCHNTA  prefetchnta m8
LGDT         lgdt m
LIDT         lidt m
SGDT         sgdt m
SIDT         sidt m
LLDT         lldt rm16
LMSW         lmsw rm16
LTR          ltr rm16
VERR         verr rm16
VERW         verw rm16
{{SLDT=0f00/0,SMSW=0f01/4,STR=0f00/1}}W  inc>{{}} rm16
{{SLDT=0f00/0,SMSW=0f01/4,STR=0f00/1}}L  inc>{{}} rm32
{{SLDT=0f00/0,SMSW=0f01/4,STR=0f00/1}}Q  inc>{{}} rm64
LARW         lar m16,r16 | lar>66:0f02 r32,r32
LARL         lar m16,r32 | lar r32,r32
LARQ         lar m16,r64 | lar r32,r64
LSLW         lar>0f03 m16,r16 | lar>66:0f03 r32,r32
LSLL         lar>0f03 m16,r32 | lar>0f03 r32,r32
LSLQ         lar>0f03 m16,r64 | lar>0f03 r32,r64
NOPW         inc>0f1f/0 rm16
NOPL         inc>0f1f/0 rm32
RDRANDW      rdrand r16
RDRANDL      rdrand r32
RDRANDQ      rdrand r64
RDSEEDW      rdseed r16
RDSEEDL      rdseed r32
RDSEEDQ      rdseed r64
RDFSBASEL    rdfsbase r32
RDFSBASEQ    rdfsbase r64
RDGSBASEL    rdgsbase r32
RDGSBASEQ    rdgsbase r64
WRFSBASEL    wrfsbase r32
WRFSBASEQ    wrfsbase r64
WRGSBASEL    wrgsbase r32
WRGSBASEQ    wrgsbase r64
TPAUSE       rdfsbase>66:0fae/6 r32
UMONITOR     rdfsbase>f3:0fae/6 r32
UMWAIT       rdfsbase>f2:0fae/6 r32
FXSAVE       fxsave m
FXRSTOR      fxrstor m
FXSAVE64     fxsave64 m
FXRSTOR64    fxrstor64 m
LDMXCSR      ldmxcsr m32
STMXCSR      stmxcsr m32
{{XSAVE,XSAVE64,XSAVEOPT,XSAVEOPT64,XSAVEC,XSAVEC64,XSAVES,XSAVES64}}  {{}} m
{{XRSTOR,XRSTOR64,XRSTORS,XRSTORS64}}  {{}} m
# ---- CRC32, BMI1/BMI2 ----
CRC32B       crc32 rm8x,r32
CRC32W       crc32 rm16,r32
CRC32L       crc32 rm32,r32
CRC32Q       crc32 rm64,r64
{{ANDN,MULX,PDEP,PEXT}}L  {{}} rm32,r32,r32
{{ANDN,MULX,PDEP,PEXT}}Q  {{}} rm64,r64,r64
{{BEXTR,BZHI,SARX,SHLX,SHRX}}L  {{}} r32,rm32,r32
{{BEXTR,BZHI,SARX,SHLX,SHRX}}Q  {{}} r64,rm64,r64
{{BLSI,BLSMSK,BLSR}}L  {{}} rm32,r32
{{BLSI,BLSMSK,BLSR}}Q  {{}} rm64,r64
RORXL        rorx u8,rm32,r32 | rorx i8,rm32,r32
RORXQ        rorx u8,rm64,r64 | rorx i8,rm64,r64
# ---- SSE: moves ----
MOVAPD       movapd xm128,x | movapd x,m128
MOVAPS       movaps xm128,x | movaps x,m128
MOVUPD       movupd xm128,x | movupd x,m128
MOVUPS       movups xm128,x | movups x,m128
MOVO         movdqa xm128,x | movdqa x,m128
MOVOU        movdqu xm128,x | movdqu x,m128
MOVSD        movsd xm64,x | movsd x,m64
MOVSS        movss xm32,x | movss x,m32
# yxmov takes X, X too, laying down the load opcode: MOVHPS is then MOVLHPS, MOVLPS MOVHLPS.
MOVHPS       movhps m64,x | movlhps x,x | movhps x,m64
MOVLPS       movlps m64,x | movhlps x,x | movlps x,m64
MOVHPD       movhpd m64,x | movlhps>66:0f16 x,x | movhpd x,m64
MOVLPD       movlpd m64,x | movhlps>66:0f12 x,x | movlpd x,m64
MOVHLPS      movhlps x,x
MOVLHPS      movlhps x,x
MOVQOZX      movq2dq mm,x | movq xm64,x
MOVNTO       movntdq x,m128
MOVNTPD      movntpd x,m128
MOVNTPS      movntps x,m128
MOVNTQ       movntq mm,m64
MOVNTDQA     movntdqa m128,x
LDDQU        lddqu m128,x
MASKMOVOU    maskmovdqu x,x
MASKMOVQ     maskmovq mm,mm
MOVMSKPD     movmskpd x,r32
MOVMSKPS     movmskps x,r32
PMOVMSKB     pmovmskb x,r32 | pmovmskb mm,r32
MOVDDUP      movddup xm64,x
MOVSHDUP     movshdup xm128,x
MOVSLDUP     movsldup xm128,x
# ---- SSE: arithmetic on XMM (yxm) ----
{{ADDPD,ADDPS,ADDSUBPD,ADDSUBPS,ANDNPD,ANDNPS,ANDPD,ANDPS,DIVPD,DIVPS,HADDPD,HADDPS,HSUBPD,HSUBPS,MAXPD,MAXPS,MINPD,MINPS,MULPD,MULPS,ORPD,ORPS,RCPPS,RSQRTPS,SQRTPD,SQRTPS,SUBPD,SUBPS,UNPCKHPD,UNPCKHPS,UNPCKLPD,UNPCKLPS,XORPD,XORPS,CVTPD2PS,PADDQ,PMAXSW,PMAXUB,PMINSW,PMINUB,PSADBW,PUNPCKHQDQ,PUNPCKLQDQ,PSHUFB}}  {{}} xm128,x
{{PSUBB,PSUBL=psubd,PSUBQ,PSUBSB,PSUBSW,PSUBUSB,PSUBUSW,PSUBW}}  {{}} xm128,x
{{ADDSD,COMISD,DIVSD,MAXSD,MINSD,MULSD,SQRTSD,SUBSD,UCOMISD,CVTSD2SS}}  {{}} xm64,x
{{ADDSS,COMISS,DIVSS,MAXSS,MINSS,MULSS,SQRTSS,SUBSS,UCOMISS,CVTSS2SD,RCPSS,RSQRTSS}}  {{}} xm32,x
CVTPS2PD     cvtps2pd xm64,x
# ---- SSE: MMX or XMM (ymm) ----
{{PACKSSLW=packssdw,PACKSSWB,PACKUSWB,PADDB,PADDL=paddd,PADDSB,PADDSW,PADDUSB,PADDUSW,PADDW,PAND,PANDN,PAVGB,PAVGW,PCMPEQB,PCMPEQL=pcmpeqd,PCMPEQW,PCMPGTB,PCMPGTL=pcmpgtd,PCMPGTW,PMADDWL=pmaddwd,PMULHUW,PMULHW,PMULLW,PMULULQ=pmuludq,POR,PUNPCKHBW,PUNPCKHLQ=punpckhdq,PUNPCKHWL=punpckhwd,PUNPCKLBW,PUNPCKLLQ=punpckldq,PUNPCKLWL=punpcklwd,PXOR}}  {{}} mmm64,mm | {{}} xm128,x
PHADDD       phaddd mmm64,mm | phaddd xm128,x
# ---- SSSE3/SSE4 on XMM (yxm_q4) ----
{{PABSB,PABSD,PABSW,PACKUSDW,PCMPEQQ,PCMPGTQ,PHADDSW,PHADDW,PHMINPOSUW,PHSUBD,PHSUBSW,PHSUBW,PMADDUBSW,PMAXSB,PMAXSD,PMAXUD,PMAXUW,PMINSB,PMINSD,PMINUD,PMINUW,PMULDQ,PMULHRSW,PMULLD,PSIGNB,PSIGND,PSIGNW,PTEST}}  {{}} xm128,x
{{PMOVSXBW,PMOVSXWD,PMOVSXDQ,PMOVZXBW,PMOVZXWD,PMOVZXDQ}}  {{}} xm64,x
{{PMOVSXBD,PMOVSXWQ,PMOVZXBD,PMOVZXWQ}}  {{}} xm32,x
{{PMOVSXBQ,PMOVZXBQ}}  {{}} xm16,x
{{AESENC,AESENCLAST,AESDEC,AESDECLAST,AESIMC,SHA1MSG1,SHA1MSG2,SHA1NEXTE,SHA256MSG1,SHA256MSG2}}  {{}} xm128,x
SHA256RNDS2  sha256rnds2 x0,xm128,x
{{BLENDVPD,BLENDVPS,PBLENDVB}}  {{}} x0,xm128,x
# ---- SSE with an immediate (yxshuf, ypalignr, yxcmpi, ...) ----
{{AESKEYGENASSIST,BLENDPD,BLENDPS,DPPD,DPPS,MPSADBW,PBLENDW,PCLMULQDQ,PCMPESTRI,PCMPESTRM,PCMPISTRI,PCMPISTRM,PSHUFD,PSHUFL=pshufd,PSHUFHW,PSHUFLW,ROUNDPD,ROUNDPS,SHUFPD,SHUFPS,PALIGNR}}  {{}} u8,xm128,x
ROUNDSD      roundsd u8,xm64,x
ROUNDSS      roundss u8,xm32,x
INSERTPS     insertps u8,xm32,x
SHA1RNDS4    sha1rnds4 u2,xm128,x
{{CMPPD,CMPPS}}  {{}}($1,$0,$2) xm128,x,i8
CMPSD        cmpsd($1,$0,$2) xm64,x,i8
CMPSS        cmpss($1,$0,$2) xm32,x,i8
PSHUFW       pshufw i8,mmm64,mm
PEXTRW       pextrw u8,x,r32 | pextrw u8,x,m16
PEXTRB       pextrb u8,x,r32 | pextrb u8,x,m8
PEXTRD       pextrd u8,x,r32 | pextrd u8,x,m32
PEXTRQ       pextrq u8,x,r64 | pextrq u8,x,m64
PINSRW       pinsrw u8,r32,x | pinsrw u8,m16,x
PINSRB       pinsrb u8,r32,x | pinsrb u8,m8,x
PINSRD       pinsrd u8,r32,x | pinsrd u8,m32,x
PINSRQ       pinsrq u8,r64,x | pinsrq u8,m64,x
EXTRACTPS    extractps u2,x,rm32
# ---- SSE shifts (yps, ypsdq) ----
{{PSLLL=pslld,PSLLQ,PSLLW,PSRAL=psrad,PSRAW,PSRLL=psrld,PSRLQ,PSRLW}}  {{}} mmm64,mm | {{}} i8,mm | {{}} xm128,x | {{}} i8,x
PSLLO        pslldq i8,x
PSRLO        psrldq i8,x
# ---- conversions (yxcvm1, yxcvm2, yxcvfl, yxcvlf, yxcvfq, yxcvqf) ----
CVTPL2PD     cvtdq2pd xm64,x | cvtpi2pd mmm64,x
CVTPL2PS     cvtdq2ps xm128,x | cvtpi2ps mmm64,x
CVTPD2PL     cvtpd2dq xm128,x | cvtpd2pi xm128,mm
CVTPS2PL     cvtps2dq xm128,x | cvtps2pi xm64,mm
CVTTPD2PL    cvttpd2dq xm128,x | cvttpd2pi xm128,mm
CVTTPS2PL    cvttps2dq xm128,x | cvttps2pi xm64,mm
CVTSD2SL     cvtsd2si xm64,r32
CVTSD2SQ     cvtsd2si xm64,r64
CVTTSD2SL    cvttsd2si xm64,r32
CVTTSD2SQ    cvttsd2si xm64,r64
CVTSS2SL     cvtss2si xm32,r32
CVTSS2SQ     cvtss2si xm32,r64
CVTTSS2SL    cvttss2si xm32,r32
CVTTSS2SQ    cvttss2si xm32,r64
CVTSL2SD     cvtsi2sd rm32,x
CVTSQ2SD     cvtsi2sd rm64,x
CVTSL2SS     cvtsi2ss rm32,x
CVTSQ2SS     cvtsi2ss rm64,x
# ---- x87 (yfmvd, yfmvf, yfadd, ycompp, ...) ----
FMOVD        fld($0) m64,st0 | fst($1) st0,m64 | fld($0) st,st0 | fst($1) st0,st
FMOVDP       fstp($1) st0,m64 | fstp($1) st0,st
FMOVF        fld($0) m32,st0 | fst($1) st0,m32
FMOVFP       fstp($1) st0,m32
FMOVL        fild($0) m32,st0 | fist($1) st0,m32
FMOVLP       fistp($1) st0,m32
FMOVW        fild($0) m16,st0 | fist($1) st0,m16
FMOVWP       fistp($1) st0,m16
FMOVV        fild($0) m64,st0
FMOVVP       fistp($1) st0,m64
FMOVX        fld($0) m80,st0
FMOVXP       fstp($1) st0,m80
FMOVB        fbld($0) m80,st0
FMOVBP       fbstp($1) st0,m80
{{FADD=fadd,FMUL=fmul,FSUB=fsub,FSUBR=fsubr,FDIV=fdiv,FDIVR=fdivr}}D  {{}}($0) m64,st0 | {{}} st,st0 | {{}} st0,st
{{FADD=fadd,FMUL=fmul,FSUB=fsub,FSUBR=fsubr,FDIV=fdiv,FDIVR=fdivr}}F  {{}}($0) m32,st0
{{FADD=fiadd,FMUL=fimul,FSUB=fisub,FSUBR=fisubr,FDIV=fidiv,FDIVR=fidivr}}L  {{}}($0) m32,st0
{{FADD=fiadd,FMUL=fimul,FSUB=fisub,FSUBR=fisubr,FDIV=fidiv,FDIVR=fidivr}}W  {{}}($0) m16,st0
{{FADD=faddp,FMUL=fmulp,FSUB=fsubp,FSUBR=fsubrp,FDIV=fdivp,FDIVR=fdivrp}}DP  {{}} st0,st
FCOMD        fcom($0) m64,st0 | fcom($0) st,st0 | raw:dc.d0+$1 st0,st
FCOMDP       fcomp($0) m64,st0 | fcomp($0) st,st0 | raw:dc.d8+$1 st0,st
FCOMDPP      raw:de.d8+$1 st0,st
FCOMF        fcom($0) m32,st0
FCOMFP       fcomp($0) m32,st0
FCOML        ficom($0) m32,st0
FCOMLP       ficomp($0) m32,st0
FCOMW        ficom($0) m16,st0
FCOMWP       ficomp($0) m16,st0
FCOMI        fcomi($1,$0) st,st0
FCOMIP       fcomip($1,$0) st,st0
FUCOM        fucom($1) st0,st
FUCOMP       fucomp($1) st0,st
FUCOMI       fucomi(st(0),$1) st0,st
FUCOMIP      fucomip(st(0),$1) st0,st
FUCOMPP      raw:da.e8+$1 st0,st
FXCHD        fxch($1) st0,st | fxch($0) st,st0
FCMOV{{B=b,BE=be,CC=nb,CS=b,E=e,EQ=e,HI=nbe,LS=be,NB=nb,NBE=nbe,NE=ne,NU=nu,U=u,UN=u}}  fcmov{{}}($1,$0) st,st0
FLDCW        fldcw m16
FSTCW        fnstcw m16
FSTSW        fnstsw m16 | fnstsw(ax) @AX
FSTENV       fnstenv m
FSAVE        fnsave m
FRSTOR       frstor m
FBLD         fbld m80
FBSTP        fbstp m80
FCLEX        fnclex
FINIT        fninit
{{F2XM1,FABS,FCHS,FCOS,FDECSTP,FINCSTP,FLD1,FLDL2E,FLDL2T,FLDLG2,FLDLN2,FLDPI,FLDZ,FNOP,FPATAN,FPREM,FPREM1,FPTAN,FRNDINT,FSCALE,FSIN,FSINCOS,FSQRT,FTST,FXAM,FXTRACT,FYL2X,FYL2XP1}}  {{}}
"""

# Go's alternative spellings (cmd/asm/internal/arch/arch.go, archX86). The J* aliases name branches,
# which span.py lays out; they are here so that every layer agrees on one canonical mnemonic.
ALIASES: dict[str, str] = {
    "JA": "JHI", "JAE": "JCC", "JB": "JCS", "JBE": "JLS", "JC": "JCS", "JE": "JEQ", "JG": "JGT",
    "JHS": "JCC", "JL": "JLT", "JLO": "JCS", "JNA": "JLS", "JNAE": "JCS", "JNB": "JCC",
    "JNBE": "JHI", "JNC": "JCC", "JNG": "JLE", "JNGE": "JLT", "JNL": "JGE", "JNLE": "JGT",
    "JNO": "JOC", "JNP": "JPC", "JNS": "JPL", "JNZ": "JNE", "JO": "JOS", "JP": "JPS", "JPE": "JPS",
    "JPO": "JPC", "JS": "JMI", "JZ": "JEQ",
    "MASKMOVDQU": "MASKMOVOU", "MOVD": "MOVQ", "MOVDQ2Q": "MOVQ", "MOVNTDQ": "MOVNTO",
    "MOVOA": "MOVO", "PSLLDQ": "PSLLO", "PSRLDQ": "PSRLO", "PADDD": "PADDL",
    "MOVBELL": "MOVBEL", "MOVBEQQ": "MOVBEQ", "MOVBEWW": "MOVBEW",
}  # fmt: skip

# Branches: laid out by span.py (to a label, n(PC) or a symbol), never by this table.
BRANCHES = frozenset(
    ["JMP", "CALL", "JCXZL", "JCXZQ", "JCXZW", "LOOP", "LOOPEQ", "LOOPNE", "XBEGIN"]
    + [f"J{cc}" for cc in GROUPS["cc"]]
)

# Mnemonics Go knows but can never encode (no ytab, or asm6.go fails on every operand).
ALWAYS_INVALID = frozenset("ENTER FFREE FLDENV DUFFCOPY DUFFZERO".split())

# Mnemonics Go knows but rejects in 64-bit mode (asm6.go's P32 prefix): "illegal in 64-bit mode".
ILLEGAL_IN_64BIT = frozenset(
    "AAA AAD AAM AAS DAA DAS INTO LEAVEL POPAL PUSHAL POPFL PUSHFL BOUNDL BOUNDW ARPL".split()
)

# Data words and obj pseudo-instructions that the assembler lays down without this table.
SPECIAL = frozenset("ADJSP PCALIGN PCDATA FUNCDATA".split())


@dataclass(frozen=True, slots=True)
class Form:
    """One way to lay down a Go instruction: the Intel instruction (or bytes) and operand kinds."""

    intel: str  # Intel mnemonic ("" for a raw form); for a proxy form, the proxy's mnemonic
    kinds: tuple[str, ...]  # operand kinds, in Go order
    order: tuple[int | str, ...] | None = None  # Intel operands: Go operand index or literal text
    raw: tuple[str, ...] | None = None  # raw template tokens
    # (mandatory prefix: None keep, -1 drop, else the byte; opcode bytes; ModRM.reg or None)
    proxy: tuple[int | None, bytes, int | None] | None = None
    flags: frozenset[str] = field(default_factory=frozenset)

    def intel_operands(self) -> tuple[int | str, ...]:
        """The Intel operand list: explicit, or the Go operands reversed (skipping @NAME kinds)."""
        if self.order is not None:
            return self.order
        return tuple(i for i in reversed(range(len(self.kinds))) if not self.kinds[i].startswith("@"))

    def __str__(self) -> str:
        """The form in TABLE_TEXT syntax."""
        if self.raw is not None:
            enc = "raw:" + ".".join(self.raw)
        else:
            enc = self.intel
            if self.order is not None:
                enc += "(" + ",".join(f"${i}" if isinstance(i, int) else i for i in self.order) + ")"
            if self.proxy is not None:
                prefix, opcode, digit = self.proxy
                pp = "" if prefix is None else ":" if prefix < 0 else f"{prefix:02x}:"
                enc += f">{pp}{opcode.hex()}" + (f"/{digit}" if digit is not None else "")
        enc += "".join(f"!{f}" for f in sorted(self.flags))
        return f"{enc} {','.join(self.kinds)}".strip()


_GROUP_RE = re.compile(r"\{([^{}]*)\}")


def _expand(pattern: str) -> list[tuple[str, str]]:
    """`SET{cc}` -> [("SETCC", "ae"), ...]; a pattern without a group -> [(pattern, "")]."""
    m = _GROUP_RE.search(pattern)
    if not m:
        return [(pattern, "")]
    body = m.group(1)
    if body in GROUPS:
        members = list(GROUPS[body].items())
    else:
        members = []
        for item in body.split(","):
            name, _, intel = item.partition("=")
            members.append((name, intel or name.lower()))
    return [(pattern[: m.start()] + name + pattern[m.end() :], intel) for name, intel in members]


def _parse_ops(text: str) -> tuple[int | str, ...]:
    return tuple(int(t[1:]) if re.fullmatch(r"\$\d+", t) else t for t in text.split(","))


def parse_form(spec: str, member: str = "") -> Form:
    """Parse one FORM of TABLE_TEXT (see the module docstring); `{}` becomes member."""
    spec = spec.replace("{}", member).strip()
    enc, _, kinds_text = spec.partition(" ")
    kinds = tuple(k for k in kinds_text.strip().split(",") if k)
    for k in kinds:
        if k not in KINDS and not k.startswith("@"):
            raise ValueError(f"unknown operand kind {k!r} in {spec!r}")
    enc, *flag_list = enc.split("!")
    flags = frozenset(flag_list)
    if enc.startswith("raw:"):
        return Form("", kinds, raw=tuple(t for t in enc[4:].split(".") if t), flags=flags)
    proxy = None
    if ">" in enc:
        enc, target = enc.split(">")
        pp, colon, rest = target.rpartition(":")
        opcode, _, digit = rest.partition("/")
        prefix = (int(pp, 16) if pp else -1) if colon else None
        proxy = (prefix, bytes.fromhex(opcode), int(digit) if digit else None)
    order = None
    if "(" in enc:
        enc, _, ops = enc[:-1].partition("(")
        order = _parse_ops(ops)
    return Form(enc, kinds, order=order, proxy=proxy, flags=flags)


def _join_continuations(text: str) -> list[str]:
    """Lines starting with whitespace and `|` continue the previous line's forms."""
    lines: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line[0].isspace() and line.lstrip().startswith("|"):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines


def parse_table(text: str) -> dict[str, tuple[Form, ...]]:
    """Parse TABLE_TEXT; a later line for the same mnemonic replaces an earlier one."""
    table: dict[str, tuple[Form, ...]] = {}
    for line in _join_continuations(text):
        pattern, _, forms_text = line.strip().partition(" ")
        for name, member in _expand(pattern):
            forms = [parse_form(f, member) for f in forms_text.split("|")] if forms_text.strip() else []
            if not forms:  # a bare mnemonic: the Intel spelling is the group member's
                forms = [parse_form(member)]
            table[name] = tuple(forms)
    return table


TABLE: dict[str, tuple[Form, ...]] = parse_table(TABLE_TEXT)


# Every instruction mnemonic Go 1.19's amd64 assembler knows outside VEX/EVEX (aliases resolved).
MNEMONICS: frozenset[str] = frozenset(TABLE) | BRANCHES | ALWAYS_INVALID | ILLEGAL_IN_64BIT | SPECIAL


def lookup(mnemonic: str) -> tuple[Form, ...] | None:
    """The forms of a Go mnemonic (aliases resolved), or None if the table has none."""
    return TABLE.get(ALIASES.get(mnemonic, mnemonic))
