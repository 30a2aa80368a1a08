// runq300: 300 goroutines overflow the P's 256-slot local run queue. When it is full, runqputslow
// moves the older half (128) and the new G to the global queue; then, while the local queue is
// drained, findRunnable takes one G from the global queue every 61st schedule (schedtick%61 == 0),
// and globrunqget moves a batch to the local queue when it runs dry. The printed order shows it.
//
//	var done int
//	func main() {
//		for i := 0; i < 300; i++ { i := i; go func() { print(i, " "); done++ }() }
//		for done < 300 { runtime.Gosched() }
//		println()
//	}
//
// Each closure {fn, i} is allocated with mallocgc, as the compiler does for escaping closures.
//
// Run with one P, as its .out was made (Go 1.19 prints the same with GOMAXPROCS=1):
// GOMAXPROCS=1 goemu run samples/runq300.s

#include "textflag.h"

#define N 300

GLOBL	done<>(SB), NOPTR, $8

// func worker() (closure over i): print(i, " "); done++
TEXT ·worker(SB), NEEDCTXT, $8-0
	MOVQ	8(DX), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	INCQ	done<>(SB)
	RET

TEXT main·main(SB), $40-0
	MOVQ	$0, i-8(SP)		// i lives above the 32 bytes of outgoing arguments
spawn:
	MOVQ	$16, 0(SP)		// size of the closure: {fn, i}
	MOVQ	$0, 8(SP)		// type (unused)
	MOVB	$1, 16(SP)		// needzero
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·worker(SB), CX
	MOVQ	CX, 0(AX)
	MOVQ	i-8(SP), CX
	MOVQ	CX, 8(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	INCQ	i-8(SP)
	CMPQ	i-8(SP), $N
	JLT	spawn
wait:
	CMPQ	done<>(SB), $N
	JEQ	out
	CALL	runtime·Gosched(SB)
	JMP	wait
out:
	CALL	runtime·printnl(SB)
	RET
