// parallel: with GOMAXPROCS=4, four goroutines that only compute run at the same time. main
// starts them on its P (P0): the first `go` wakes an idle P (wakep), whose new spinning M steals
// half of P0's run queue (runqsteal; the last of four passes also takes runnext), and each M that
// finds work wakes one more, until all four Ps are busy. Each worker counts down 4,000,000 in a
// two-instruction loop (8 ms on goemu's 1 GHz CPUs), so the whole takes about 8 ms of virtual
// time with four Ps, and four times as long with one:
//
//	GOMAXPROCS=4 goemu run samples/parallel.s    (elapsed ms: 8, as samples/parallel.out)
//	GOMAXPROCS=1 goemu run samples/parallel.s    (elapsed ms: 31)
//
//	var done = make(chan int)
//	func worker(id int) { for n := 4000000; n > 0; n-- {}; done <- id }
//	func main() {
//		start := nanotime()
//		for id := 0; id < 4; id++ { go worker(id) }
//		for i := 0; i < 4; i++ { println("worker", <-done, "done") }
//		println("elapsed ms:", (nanotime()-start)/1e6)
//	}
//
// Go's own figure depends on the host's cores; goemu's machine has four CPUs (--ncpu 4).

#include "textflag.h"

#define MS 1000000
#define LOOPS 4000000

GLOBL	done<>(SB), NOPTR, $8

#define CLOSURE(fv, id) \
	DATA fv+0(SB)/8, $·worker(SB); \
	DATA fv+8(SB)/8, $id; \
	GLOBL fv(SB), RODATA, $16

CLOSURE(fv0<>, 0)
CLOSURE(fv1<>, 1)
CLOSURE(fv2<>, 2)
CLOSURE(fv3<>, 3)

// func worker() (closure over id)
TEXT ·worker(SB), NEEDCTXT, $24-0
	MOVQ	8(DX), AX
	MOVQ	AX, id-8(SP)
	MOVQ	$LOOPS, CX
spin:
	DECQ	CX
	JNE	spin
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	id-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

#define GO(fv) \
	LEAQ	fv(SB), AX; \
	MOVQ	AX, 0(SP); \
	CALL	runtime·newproc(SB)

#define PRINTS(sym, n) \
	LEAQ	sym(SB), AX; \
	MOVQ	AX, 0(SP); \
	MOVQ	$n, 8(SP); \
	CALL	runtime·printstring(SB)

TEXT main·main(SB), $48-0
	CALL	runtime·nanotime(SB)
	MOVQ	0(SP), AX
	MOVQ	AX, start-8(SP)
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done<>(SB)
	GO(fv0<>)
	GO(fv1<>)
	GO(fv2<>)
	GO(fv3<>)
	MOVQ	$4, n-16(SP)
recv:
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	id-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	CALL	runtime·printlock(SB)
	PRINTS(worker<>, 6)
	CALL	runtime·printsp(SB)
	MOVQ	id-24(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	PRINTS(donestr<>, 4)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	DECQ	n-16(SP)
	JNE	recv
	CALL	runtime·nanotime(SB)
	MOVQ	0(SP), AX
	SUBQ	start-8(SP), AX
	CQO
	MOVQ	$MS, CX
	IDIVQ	CX
	MOVQ	AX, id-24(SP)
	CALL	runtime·printlock(SB)
	PRINTS(elapsed<>, 11)
	CALL	runtime·printsp(SB)
	MOVQ	id-24(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA	worker<>+0(SB)/6, $"worker"
GLOBL	worker<>(SB), RODATA, $6
DATA	donestr<>+0(SB)/4, $"done"
GLOBL	donestr<>(SB), RODATA, $4
DATA	elapsed<>+0(SB)/8, $"elapsed "
DATA	elapsed<>+8(SB)/3, $"ms:"
GLOBL	elapsed<>(SB), RODATA, $11
