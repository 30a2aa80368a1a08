// pool: a worker pool, the run the README's timeline picture shows. main starts six workers,
// hands them 48 jobs over an unbuffered channel and sums the results from a buffered one. Job j
// spins j*500 times in a loop without calls, so the long jobs run past a short timeslice and only
// sysmon's SIGURG stops them (asynchronous preemption); the others park on the channels.
//
//	goemu run samples/pool.s
//	goemu run --timeslice 100us --trace pool.json samples/pool.s && goemu timeline pool.json -o pool.svg
//
//	var jobs = make(chan int)
//	var results = make(chan int, 48)
//	func spin(n int) int { s := 0; for i := 0; i < n; i++ { s += i }; return s }
//	func worker() { for { j := <-jobs; spin(j * 500); results <- j } }
//	func main() {
//		for i := 0; i < 6; i++ { go worker() }
//		for j := 0; j < 48; j++ { jobs <- j }
//		sum := 0
//		for j := 0; j < 48; j++ { sum += <-results }
//		println("sum of 48 jobs:", sum)
//	}
//
// Go 1.19 prints the same (the sum does not depend on the order).

#include "textflag.h"

#define WORKERS 6
#define JOBS 48
#define WORK 500

DATA	workerPC<>+0(SB)/8, $·worker(SB)
GLOBL	workerPC<>(SB), RODATA, $8
GLOBL	jobs<>(SB), NOPTR, $8
GLOBL	results<>(SB), NOPTR, $8
DATA	msg<>+0(SB)/8, $"sum of 4"
DATA	msg<>+8(SB)/7, $"8 jobs:"
GLOBL	msg<>(SB), RODATA, $15

// func spin(n int) int
TEXT ·spin(SB), NOSPLIT, $0-16
	MOVQ	n+0(FP), CX
	XORQ	AX, AX
	XORQ	BX, BX
loop:
	CMPQ	BX, CX
	JGE	done
	ADDQ	BX, AX
	INCQ	BX
	JMP	loop
done:
	MOVQ	AX, ret+8(FP)
	RET

TEXT ·worker(SB), $24-0
next:
	MOVQ	jobs<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	j-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)	// j := <-jobs
	MOVQ	j-8(SP), AX
	IMULQ	$WORK, AX
	MOVQ	AX, 0(SP)
	CALL	·spin(SB)
	MOVQ	results<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	j-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)	// results <- j
	JMP	next

TEXT main·main(SB), $48-0
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, jobs<>(SB)
	MOVQ	$8, 0(SP)
	MOVQ	$JOBS, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, results<>(SB)
	MOVQ	$0, i-8(SP)
spawn:
	LEAQ	workerPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	INCQ	i-8(SP)
	CMPQ	i-8(SP), $WORKERS
	JLT	spawn
	MOVQ	$0, i-8(SP)
send:
	MOVQ	jobs<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	i-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)	// jobs <- j
	INCQ	i-8(SP)
	CMPQ	i-8(SP), $JOBS
	JLT	send
	MOVQ	$0, sum-16(SP)
	MOVQ	$0, i-8(SP)
collect:
	MOVQ	results<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)	// sum += <-results
	MOVQ	v-24(SP), AX
	ADDQ	AX, sum-16(SP)
	INCQ	i-8(SP)
	CMPQ	i-8(SP), $JOBS
	JLT	collect
	CALL	runtime·printlock(SB)
	LEAQ	msg<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$15, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	sum-16(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET
