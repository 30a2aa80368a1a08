// many: 10,000 goroutines alive at once. Each blocks receiving on one channel; main counts them
// with runtime.NumGoroutine (10001: main and the 10,000; the runtime's own are not counted), closes
// the channel, which readies every waiter, and collects one reply from each on a buffered channel.
//
//	func worker() { <-gate; done <- 0 }
//	func main() {
//		gate, done = make(chan int), make(chan int, N)
//		for i := 0; i < N; i++ { go worker() }
//		runtime.Gosched()
//		println(runtime.NumGoroutine())
//		close(gate)
//		for i := 0; i < N; i++ { <-done }
//		println(runtime.NumGoroutine())
//	}
//
// Run with one P, as its .out was made (Go 1.19 prints the same with GOMAXPROCS=1):
// GOMAXPROCS=1 goemu run samples/many.s

#include "textflag.h"

DATA	workerPC<>+0(SB)/8, $·worker(SB)
GLOBL	workerPC<>(SB), RODATA, $8
GLOBL	gate<>(SB), NOPTR, $8
GLOBL	done<>(SB), NOPTR, $8
#define N 10000
TEXT ·worker(SB), $16-0
	MOVQ	gate<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	done<>(SB), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET
TEXT main·main(SB), $32-0
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, gate<>(SB)
	MOVQ	$8, 0(SP)
	MOVQ	$N, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done<>(SB)
	MOVQ	$N, i-8(SP)
spawn:
	LEAQ	workerPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	DECQ	i-8(SP)
	JNE	spawn
	CALL	runtime·Gosched(SB)
	CALL	runtime·NumGoroutine(SB)
	MOVQ	0(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	MOVQ	gate<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·closechan(SB)
	MOVQ	$N, i-8(SP)
wait:
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	DECQ	i-8(SP)
	JNE	wait
	CALL	runtime·NumGoroutine(SB)
	MOVQ	0(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	RET
