// sleep: three goroutines sleep 30, 10 and 20 ms, then report on a channel; they wake in the
// order of their timers, whatever order they were started in. time.Sleep arms the goroutine's
// timer on its P's timer heap and parks it (wait reason "sleep"); findRunnable runs due timers,
// and an M with nothing to do waits in netpoll for the next one. When every goroutine sleeps,
// goemu's deterministic clock jumps straight to the next timer, as the Go playground's does, so
// main measures exactly the 30 ms of the longest sleep plus the few microseconds of work.
//
//	var done = make(chan int)
//	func sleeper(ms int) { time.Sleep(time.Duration(ms) * time.Millisecond); done <- ms }
//	func main() {
//		start := nanotime()
//		for _, ms := range []int{30, 10, 20} { go sleeper(ms) }
//		for i := 0; i < 3; i++ { println("woke after", <-done, "ms") }
//		println("elapsed ms:", (nanotime()-start)/1e6)
//	}
//
// (Go prints the same lines; its elapsed time is a wall-clock measure, 30 on an idle machine.)

#include "textflag.h"

#define MS 1000000

GLOBL	done<>(SB), NOPTR, $8

#define CLOSURE(fv, ms) \
	DATA fv+0(SB)/8, $·sleeper(SB); \
	DATA fv+8(SB)/8, $ms; \
	GLOBL fv(SB), RODATA, $16

CLOSURE(fv30<>, 30)
CLOSURE(fv10<>, 10)
CLOSURE(fv20<>, 20)

// func sleeper() (closure over ms)
TEXT ·sleeper(SB), NEEDCTXT, $24-0
	MOVQ	8(DX), AX
	MOVQ	AX, ms-8(SP)
	IMULQ	$MS, AX
	MOVQ	AX, 0(SP)
	CALL	time·Sleep(SB)
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	ms-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

#define GO(fv) \
	LEAQ	fv(SB), AX; \
	MOVQ	AX, 0(SP); \
	CALL	runtime·newproc(SB)

TEXT main·main(SB), $48-0
	CALL	runtime·nanotime(SB)
	MOVQ	0(SP), AX
	MOVQ	AX, start-8(SP)
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done<>(SB)
	GO(fv30<>)
	GO(fv10<>)
	GO(fv20<>)
	MOVQ	$3, n-16(SP)
recv:
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	ms-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	CALL	runtime·printlock(SB)
	LEAQ	woke<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$10, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	ms-24(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	LEAQ	unit<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$2, 8(SP)
	CALL	runtime·printstring(SB)
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
	MOVQ	AX, ms-24(SP)
	CALL	runtime·printlock(SB)
	LEAQ	elapsed<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$11, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	ms-24(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA	woke<>+0(SB)/8, $"woke aft"
DATA	woke<>+8(SB)/2, $"er"
GLOBL	woke<>(SB), RODATA, $10
DATA	unit<>+0(SB)/2, $"ms"
GLOBL	unit<>(SB), RODATA, $2
DATA	elapsed<>+0(SB)/8, $"elapsed "
DATA	elapsed<>+8(SB)/3, $"ms:"
GLOBL	elapsed<>(SB), RODATA, $11
