// buffered: a producer sends 0..4 on a channel with room for 3 and closes it; main ranges over
// it. The producer fills the buffer and blocks on the fourth send; main's first receive takes
// from the buffer and moves the blocked sender's value into it (chan.go's recv on a full
// buffer), readying the producer, which runs only when main blocks on the empty channel.
//
//	var ch = make(chan int, 3)
//	func producer() { for i := 0; i < 5; i++ { ch <- i; println("sent", i) }; close(ch) }
//	func main() { go producer(); for v := range ch { println("got", v) } }
//
// Run with one P, as its .out was made (Go 1.19 prints the same with GOMAXPROCS=1):
// GOMAXPROCS=1 goemu run samples/buffered.s

#include "textflag.h"

DATA	producerPC<>+0(SB)/8, $·producer(SB)
GLOBL	producerPC<>(SB), RODATA, $8
GLOBL	ch<>(SB), NOPTR, $8
DATA	sent<>+0(SB)/8, $"sent"
GLOBL	sent<>(SB), RODATA, $8
DATA	got<>+0(SB)/8, $"got"
GLOBL	got<>(SB), RODATA, $8

// println(word, v)
#define PRINTLN(word, n, v) \
	CALL	runtime·printlock(SB); \
	LEAQ	word(SB), AX; \
	MOVQ	AX, 0(SP); \
	MOVQ	$n, 8(SP); \
	CALL	runtime·printstring(SB); \
	CALL	runtime·printsp(SB); \
	MOVQ	v, AX; \
	MOVQ	AX, 0(SP); \
	CALL	runtime·printint(SB); \
	CALL	runtime·printnl(SB); \
	CALL	runtime·printunlock(SB)

TEXT ·producer(SB), $24-0
	MOVQ	$0, i-8(SP)
loop:
	MOVQ	ch<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	i-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	PRINTLN(sent<>, 4, i-8(SP))
	INCQ	i-8(SP)
	CMPQ	i-8(SP), $5
	JLT	loop
	MOVQ	ch<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·closechan(SB)
	RET

TEXT main·main(SB), $32-0
	MOVQ	$8, 0(SP)
	MOVQ	$3, 8(SP)
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
	CALL	runtime·chanrecv2(SB)
	CMPB	16(SP), $0
	JEQ	done
	PRINTLN(got<>, 3, v-8(SP))
	JMP	recv
done:
	RET
