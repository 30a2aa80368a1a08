// chanpipe: a producer goroutine sends 0, 1, 2 on an unbuffered channel and closes it; main
// receives until the channel is closed. Each send finds main waiting in its receive and hands the
// value over directly (chan.go's send to a waiting receiver), readying main into runnext.
//
//	var ch chan int
//	func producer() { for i := 0; i < 3; i++ { ch <- i }; close(ch) }
//	func main() {
//		ch = make(chan int)
//		go producer()
//		for v := range ch { println(v) }
//	}

#include "textflag.h"

DATA	producerPC<>+0(SB)/8, $·producer(SB)
GLOBL	producerPC<>(SB), RODATA, $8
GLOBL	ch<>(SB), NOPTR, $8

TEXT ·producer(SB), $24-0
	MOVQ	$0, i-8(SP)
loop:
	MOVQ	ch<>(SB), AX
	MOVQ	AX, 0(SP)		// c
	LEAQ	i-8(SP), AX
	MOVQ	AX, 8(SP)		// elem: &i
	CALL	runtime·chansend1(SB)
	INCQ	i-8(SP)
	CMPQ	i-8(SP), $3
	JLT	loop
	MOVQ	ch<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·closechan(SB)
	RET

TEXT main·main(SB), $32-0
	MOVQ	$8, 0(SP)		// element size
	MOVQ	$0, 8(SP)		// unbuffered
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, ch<>(SB)
	LEAQ	producerPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
recv:
	MOVQ	ch<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv2(SB)	// v, ok := <-ch
	CMPB	16(SP), $0
	JEQ	done
	MOVQ	v-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	JMP	recv
done:
	RET
