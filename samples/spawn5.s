// spawn5: main starts five goroutines and yields until they are done. With one P they run
// in the order 4 0 1 2 3, as in Go 1.19: each `go` puts the new G in the P's runnext slot,
// kicking the previous one to the tail of the local run queue, so the last one started runs
// first and the others follow in order.
//
//	var done int
//	func main() {
//		for i := 0; i < 5; i++ { go func() { print(i, " "); done++ }() }
//		for done < 5 { runtime.Gosched() }
//		println()
//	}
//
// Each goroutine is a closure over its index: its funcval is {fn, i}, and a goroutine starts
// with DX pointing at its funcval (NEEDCTXT), as Go's closures do.
//
// Run with one P, as its .out was made (Go 1.19 prints the same with GOMAXPROCS=1):
// GOMAXPROCS=1 goemu run samples/spawn5.s

#include "textflag.h"

#define CLOSURE(fv, n) \
	DATA fv+0(SB)/8, $·worker(SB); \
	DATA fv+8(SB)/8, $n; \
	GLOBL fv(SB), RODATA, $16

#define GO(fv) \
	LEAQ	fv(SB), AX; \
	MOVQ	AX, 0(SP); \
	CALL	runtime·newproc(SB)

CLOSURE(fv0<>, 0)
CLOSURE(fv1<>, 1)
CLOSURE(fv2<>, 2)
CLOSURE(fv3<>, 3)
CLOSURE(fv4<>, 4)

GLOBL done<>(SB), NOPTR, $8

// func worker() (closure): print(i, " "); done++
TEXT ·worker(SB), NEEDCTXT, $8-0
	MOVQ	8(DX), AX		// the captured i
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	INCQ	done<>(SB)
	RET

TEXT main·main(SB), $8-0
	GO(fv0<>)
	GO(fv1<>)
	GO(fv2<>)
	GO(fv3<>)
	GO(fv4<>)
wait:
	CMPQ	done<>(SB), $5
	JEQ	out
	CALL	runtime·Gosched(SB)	// main goes to the global queue; the others run
	JMP	wait
out:
	CALL	runtime·printnl(SB)
	RET
