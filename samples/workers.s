// workers: main starts three workers and waits for each with a semaphore, the primitive under
// sync.WaitGroup and sync.Mutex. A worker's Semrelease readies main into runnext, so main
// collects each worker as soon as it finishes, and the last worker started runs first:
//
//	var done uint32
//	func worker(i int) { println("worker", i); semrelease(&done, false, 0) }
//	func main() {
//		for i := 0; i < 3; i++ { go worker(i) }
//		for i := 0; i < 3; i++ { semacquire(&done) }	// sync.runtime_Semacquire
//		println("all done")
//	}
//
// Run with one P, as its .out was made (Go 1.19 prints the same with GOMAXPROCS=1):
// GOMAXPROCS=1 goemu run samples/workers.s

#include "textflag.h"

#define WORKER(fv, n) \
	DATA fv+0(SB)/8, $·worker(SB); \
	DATA fv+8(SB)/8, $n; \
	GLOBL fv(SB), RODATA, $16

WORKER(w0<>, 0)
WORKER(w1<>, 1)
WORKER(w2<>, 2)

DATA	workerstr<>+0(SB)/8, $"worker  "
GLOBL	workerstr<>(SB), RODATA, $8
DATA	alldone<>+0(SB)/8, $"all done"
GLOBL	alldone<>(SB), RODATA, $8
GLOBL	done<>(SB), NOPTR, $8

// func worker() (closure over i)
TEXT ·worker(SB), NEEDCTXT, $24-0
	MOVQ	8(DX), AX
	MOVQ	AX, i-8(SP)
	LEAQ	workerstr<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$7, 8(SP)		// "worker " (println puts a space between arguments)
	CALL	runtime·printstring(SB)
	MOVQ	i-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	LEAQ	done<>(SB), AX
	MOVQ	AX, 0(SP)		// addr
	MOVB	$0, 8(SP)		// handoff
	MOVQ	$0, 16(SP)		// skipframes
	CALL	sync·runtime_Semrelease(SB)
	RET

#define GO(fv) \
	LEAQ	fv(SB), AX; \
	MOVQ	AX, 0(SP); \
	CALL	runtime·newproc(SB)

#define WAIT \
	LEAQ	done<>(SB), AX; \
	MOVQ	AX, 0(SP); \
	CALL	sync·runtime_Semacquire(SB)

TEXT main·main(SB), $16-0
	GO(w0<>)
	GO(w1<>)
	GO(w2<>)
	WAIT
	WAIT
	WAIT
	LEAQ	alldone<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$8, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	RET
