"""The programs `goemu bench` runs (Plan 9 assembly, sized by -D N). Each prints one line that
says it did all its work, so the bench (and the tests, in --quick form) can check it."""

PRELUDE = '#include "textflag.h"\n'

# 1. compute: a tight loop of 2 instructions, N times, then print the counter (0).
COMPUTE = PRELUDE + """
TEXT main·main(SB), $8-0
	MOVQ	$N, CX
loop:
	DECQ	CX
	JNZ	loop
	MOVQ	CX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	RET
"""

# 2. switch: two goroutines Gosched N times each (one P: each Gosched switches to the other);
# main waits on a channel for both and prints 2.
SWITCH = PRELUDE + """
DATA	yielderPC<>+0(SB)/8, $·yielder(SB)
GLOBL	yielderPC<>(SB), RODATA, $8
GLOBL	done<>(SB), NOPTR, $8
DATA	one<>+0(SB)/8, $1
GLOBL	one<>(SB), RODATA, $8

TEXT ·yielder(SB), $24-0
	MOVQ	$N, n-8(SP)
loop:
	CALL	runtime·Gosched(SB)
	DECQ	n-8(SP)
	JNZ	loop
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	one<>(SB), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

TEXT main·main(SB), $40-0
	MOVQ	$8, 0(SP)
	MOVQ	$2, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done<>(SB)
	LEAQ	yielderPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	LEAQ	yielderPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	$0, sum-8(SP)
	MOVQ	$2, k-16(SP)
wait:
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	v-24(SP), AX
	ADDQ	AX, sum-8(SP)
	DECQ	k-16(SP)
	JNZ	wait
	MOVQ	sum-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	RET
"""

# 3. channel: main and a pinger exchange a value N times over two unbuffered channels (a round
# trip: ping on a, pong on b); main prints the last value received, N-1.
CHANNEL = PRELUDE + """
DATA	pingerPC<>+0(SB)/8, $·pinger(SB)
GLOBL	pingerPC<>(SB), RODATA, $8
GLOBL	a<>(SB), NOPTR, $8
GLOBL	b<>(SB), NOPTR, $8

TEXT ·pinger(SB), $24-0
	MOVQ	$0, i-8(SP)
loop:
	MOVQ	a<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	i-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	MOVQ	b<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	INCQ	i-8(SP)
	CMPQ	i-8(SP), $N
	JLT	loop
	RET

TEXT main·main(SB), $40-0
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, a<>(SB)
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, b<>(SB)
	LEAQ	pingerPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	$N, k-8(SP)
loop:
	MOVQ	a<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	b<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	DECQ	k-8(SP)
	JNZ	loop
	MOVQ	v-16(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	RET
"""

# 4. spawn: main starts N goroutines that each count themselves done, yielding after every 100 so
# they finish as they go, then waits for the last ones and prints N.
SPAWN = PRELUDE + """
DATA	workerPC<>+0(SB)/8, $·worker(SB)
GLOBL	workerPC<>(SB), RODATA, $8
GLOBL	done<>(SB), NOPTR, $8

TEXT ·worker(SB), NOSPLIT, $0-0
	INCQ	done<>(SB)
	RET

TEXT main·main(SB), $24-0
	MOVQ	$0, i-8(SP)
spawn:
	LEAQ	workerPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	INCQ	i-8(SP)
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
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	RET
"""

# 5. preempt: four goroutines spin N times each in a loop without calls (only SIGURG stops them);
# main waits for the four on a channel and prints 4.
PREEMPT = PRELUDE + """
DATA	spinnerPC<>+0(SB)/8, $·spinner(SB)
GLOBL	spinnerPC<>(SB), RODATA, $8
GLOBL	done<>(SB), NOPTR, $8
DATA	one<>+0(SB)/8, $1
GLOBL	one<>(SB), RODATA, $8

TEXT ·spinner(SB), $16-0
	MOVQ	$N, CX
loop:
	DECQ	CX
	JNZ	loop
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	one<>(SB), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

TEXT main·main(SB), $40-0
	MOVQ	$8, 0(SP)
	MOVQ	$4, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done<>(SB)
	MOVQ	$4, k-8(SP)
spawn:
	LEAQ	spinnerPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	DECQ	k-8(SP)
	JNZ	spawn
	MOVQ	$0, sum-16(SP)
	MOVQ	$4, k-8(SP)
wait:
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	v-24(SP), AX
	ADDQ	AX, sum-16(SP)
	DECQ	k-8(SP)
	JNZ	wait
	MOVQ	sum-16(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	RET
"""
