// closure: main starts three goroutines, one after the other, each running a closure over two
// values. A Go closure is a funcval: the code pointer, then the captured variables. The go
// statement hands runtime·newproc the funcval, and the new goroutine starts with DX pointing at
// it (a NEEDCTXT function), so it finds its captures at 8(DX) and 16(DX). main builds each
// funcval on the heap with mallocgc, as the compiler does for a closure that outlives its
// frame, and waits for each goroutine on a channel before starting the next.
//
//	var done = make(chan bool)
//	func main() {
//		for i := 1; i <= 3; i++ {
//			n, sq := i, i*i
//			go func() { // main.main.func1: its funcval is {fn, n, sq}
//				println(n, sq)
//				done <- true
//			}()
//			<-done
//		}
//	}

#include "textflag.h"

GLOBL	done<>(SB), NOPTR, $8
DATA	true<>+0(SB)/1, $1
GLOBL	true<>(SB), RODATA, $1

// The closure's code (Go names it main.main.func1): println(n, sq); done <- true
TEXT ·func1(SB), NEEDCTXT, $24-0
	MOVQ	DX, fv-8(SP)		// ABI0: DX does not survive the first CALL; keep the funcval
	CALL	runtime·printlock(SB)
	MOVQ	fv-8(SP), DX
	MOVQ	8(DX), AX		// the captured n
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	MOVQ	fv-8(SP), DX
	MOVQ	16(DX), AX		// the captured sq
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	true<>(SB), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

// The outgoing arguments are at 0(SP)..31(SP) (mallocgc's four words); i lives above them.
TEXT main·main(SB), $48-0
	MOVQ	$1, 0(SP)		// done = make(chan bool): element size 1, unbuffered
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done<>(SB)
	MOVQ	$1, i-8(SP)
loop:
	MOVQ	$24, 0(SP)		// the funcval {fn, n, sq}: mallocgc(24, nil, true)
	MOVQ	$0, 8(SP)
	MOVB	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·func1(SB), CX
	MOVQ	CX, 0(AX)		// fn
	MOVQ	i-8(SP), CX
	MOVQ	CX, 8(AX)		// n := i
	IMULQ	CX, CX
	MOVQ	CX, 16(AX)		// sq := i*i
	MOVQ	AX, 0(SP)		// go func() {...}()
	CALL	runtime·newproc(SB)
	MOVQ	done<>(SB), AX		// <-done
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	INCQ	i-8(SP)
	CMPQ	i-8(SP), $3
	JLE	loop
	RET
