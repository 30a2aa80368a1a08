"""The programs `goemu bench` runs (Plan 9 assembly, sized by -D N). Each prints one line that
says it did all its work, so the bench (and the tests, in --quick form) can check it. None reads,
modifies and writes memory in one instruction (ADD(x, v) and the like go through AX), so that
--fast may end their slices by time-out (emu/stopsafe.py)."""

# The calls every program makes, as macros (ABI0: arguments from 0(SP) up, registers clobbered),
# and the arithmetic on memory, through AX (the flags are those of the arithmetic, for a JNZ).
PRELUDE = """#include "textflag.h"
#define ADD(x, v) \
	MOVQ	x, AX; \
	ADDQ	v, AX; \
	MOVQ	AX, x
#define DEC(x) \
	MOVQ	x, AX; \
	DECQ	AX; \
	MOVQ	AX, x
#define INC(x) \
	MOVQ	x, AX; \
	INCQ	AX; \
	MOVQ	AX, x
#define PRINTLN(v) \\
	MOVQ	v, AX; \\
	MOVQ	AX, 0(SP); \\
	CALL	runtime·printint(SB); \\
	CALL	runtime·printnl(SB)
#define MAKECHAN(ch, size) \\
	MOVQ	$8, 0(SP); \\
	MOVQ	size, 8(SP); \\
	CALL	runtime·makechan(SB); \\
	MOVQ	16(SP), AX; \\
	MOVQ	AX, ch(SB)
#define CHANOP(fn, ch, elem) \\
	MOVQ	ch(SB), AX; \\
	MOVQ	AX, 0(SP); \\
	LEAQ	elem, AX; \\
	MOVQ	AX, 8(SP); \\
	CALL	fn(SB)
#define GO(fnpc) \\
	LEAQ	fnpc(SB), AX; \\
	MOVQ	AX, 0(SP); \\
	CALL	runtime·newproc(SB)
"""


def fan_in(k: int | str, body: str, total: str = "", size: str = "") -> str:
    """main starts k goroutines that run `body` (assembly, in a function with 8 bytes of locals at
    n-8(SP)), which sends 1 on a buffered channel with DONE; main receives `total` values (k by
    default: one DONE each) and prints their sum. The channel holds `size` values (k by default)."""
    return PRELUDE + f"""
DATA	workerPC<>+0(SB)/8, $·worker(SB)
GLOBL	workerPC<>(SB), RODATA, $8
GLOBL	done<>(SB), NOPTR, $8
DATA	one<>+0(SB)/8, $1
GLOBL	one<>(SB), RODATA, $8
#define DONE CHANOP(runtime·chansend1, done<>, one<>(SB))

TEXT ·worker(SB), $24-0
{body}
	RET

TEXT main·main(SB), $40-0
	MAKECHAN(done<>, {size or f"${k}"})
	MOVQ	${k}, k-8(SP)
spawn:
	GO(workerPC<>)
	DEC(k-8(SP))
	JNZ	spawn
	MOVQ	$0, sum-16(SP)
	MOVQ	{total or f"${k}"}, k-8(SP)
wait:
	CHANOP(runtime·chanrecv1, done<>, v-24(SP))
	MOVQ	v-24(SP), BX
	ADD(sum-16(SP), BX)
	DEC(k-8(SP))
	JNZ	wait
	PRINTLN(sum-16(SP))
	RET
"""


# 1. compute: a tight loop of 2 instructions, N times, then print the counter (0).
COMPUTE = PRELUDE + """
TEXT main·main(SB), $8-0
	MOVQ	$N, CX
loop:
	DECQ	CX
	JNZ	loop
	PRINTLN(CX)
	RET
"""

# 2. switch: two goroutines Gosched N times each (one P: each Gosched switches to the other);
# main waits on a channel for both and prints 2.
SWITCH = fan_in(2, """
	MOVQ	$N, n-8(SP)
loop:
	CALL	runtime·Gosched(SB)
	DEC(n-8(SP))
	JNZ	loop
	DONE""")

# 3. channel: main and a pinger exchange a value N times over two unbuffered channels (a round
# trip: ping on a, pong on b); main prints the last value received, N-1.
CHANNEL = PRELUDE + """
DATA	pingerPC<>+0(SB)/8, $·pinger(SB)
GLOBL	pingerPC<>(SB), RODATA, $8
GLOBL	a<>(SB), NOPTR, $8
GLOBL	b<>(SB), NOPTR, $8

TEXT ·pinger(SB), $32-0
	MOVQ	$0, i-8(SP)
loop:
	CHANOP(runtime·chansend1, a<>, i-8(SP))
	CHANOP(runtime·chanrecv1, b<>, pong-16(SP))
	INC(i-8(SP))
	CMPQ	i-8(SP), $N
	JLT	loop
	RET

TEXT main·main(SB), $40-0
	MAKECHAN(a<>, $0)
	MAKECHAN(b<>, $0)
	GO(pingerPC<>)
	MOVQ	$N, k-8(SP)
loop:
	CHANOP(runtime·chanrecv1, a<>, v-16(SP))
	CHANOP(runtime·chansend1, b<>, v-16(SP))
	DEC(k-8(SP))
	JNZ	loop
	PRINTLN(v-16(SP))
	RET
"""

# 4. spawn: main starts N goroutines that each count themselves done, yielding after every 100 so
# they finish as they go, then waits for the last ones and prints N.
SPAWN = PRELUDE + """
DATA	workerPC<>+0(SB)/8, $·worker(SB)
GLOBL	workerPC<>(SB), RODATA, $8
GLOBL	done<>(SB), NOPTR, $8

TEXT ·worker(SB), NOSPLIT, $0-0
	INC(done<>(SB))
	RET

TEXT main·main(SB), $24-0
	MOVQ	$0, i-8(SP)
spawn:
	GO(workerPC<>)
	INC(i-8(SP))
	MOVQ	i-8(SP), AX
	XORQ	DX, DX
	MOVQ	$100, CX
	DIVQ	CX
	CMPQ	DX, $0
	JNE	next
	CALL	runtime·Gosched(SB)
next:
	CMPQ	i-8(SP), $N
	JLT	spawn
wait:
	CMPQ	done<>(SB), $N
	JEQ	out
	CALL	runtime·Gosched(SB)
	JMP	wait
out:
	PRINTLN(done<>(SB))
	RET
"""

# 5. preempt: four goroutines spin N times each in a loop without calls (only SIGURG stops them);
# main waits for the four on a channel and prints 4.
PREEMPT = fan_in(4, """
	MOVQ	$N, CX
loop:
	DECQ	CX
	JNZ	loop
	DONE""")

# 6. alive: main starts N goroutines that block for ever (a receive from a nil channel); they
# wait in the run queues, or parked once sysmon has preempted main, all alive at once until main
# prints NumGoroutine (N + 1) and the program exits.
ALIVE = PRELUDE + """
DATA	workerPC<>+0(SB)/8, $·worker(SB)
GLOBL	workerPC<>(SB), RODATA, $8

TEXT ·worker(SB), $16-0
	MOVQ	$0, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	RET

TEXT main·main(SB), $24-0
	MOVQ	$N, k-8(SP)
spawn:
	GO(workerPC<>)
	DEC(k-8(SP))
	JNZ	spawn
	CALL	runtime·NumGoroutine(SB)
	PRINTLN(0(SP))
	RET
"""
