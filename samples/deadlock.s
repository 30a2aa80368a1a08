// deadlock: a goroutine blocks sending on a channel nobody receives from, and main blocks
// receiving from a nil channel. No goroutine can run again: Go's runtime reports
// `fatal error: all goroutines are asleep - deadlock!` with every goroutine's traceback (the
// runtime's own goroutines are not listed) and exits with status 2.
//
//	var ch = make(chan int)
//	func blocked() { var v int; ch <- v }
//	func main() { go blocked(); var c chan int; <-c }

#include "textflag.h"

DATA	blockedPC<>+0(SB)/8, $·blocked(SB)
GLOBL	blockedPC<>(SB), RODATA, $8
GLOBL	ch<>(SB), NOPTR, $8

TEXT ·blocked(SB), $24-0
	MOVQ	$0, v-8(SP)
	MOVQ	ch<>(SB), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

TEXT main·main(SB), $24-0
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, ch<>(SB)
	LEAQ	blockedPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	$0, 0(SP)		// a nil channel
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	RET
