// callloop: main calls a function in a loop. With asynchronous preemption off, the only way
// sysmon's request reaches main is cooperative: preemptone sets main's stackguard0 to
// stackPreempt, the next prologue check of step (CMPQ SP, 16(R14)) fails, morestack saves
// step's context and calls newstack on g0, which sees stackPreempt and calls gopreempt_m: main
// goes to the global run queue and the printer runs.
//
//	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 goemu run samples/callloop.s
//
//	//go:noinline
//	func leaf(x int) int { return x + 1 }
//
//	//go:noinline
//	func step(x int) int { return leaf(x) }
//
//	func main() {
//		go func() {
//			println("printer: main was preempted at a function prologue")
//			os.Exit(0)
//		}()
//		for {
//			n = step(n)
//		}
//	}
//
// Go 1.19 prints the same.

#include "textflag.h"

DATA	printerPC<>+0(SB)/8, $·printer(SB)
GLOBL	printerPC<>(SB), RODATA, $8
GLOBL	n<>(SB), NOPTR, $8

DATA	msg<>+0(SB)/8, $"printer:"
DATA	msg<>+8(SB)/8, $" main wa"
DATA	msg<>+16(SB)/8, $"s preemp"
DATA	msg<>+24(SB)/8, $"ted at a"
DATA	msg<>+32(SB)/8, $" functio"
DATA	msg<>+40(SB)/8, $"n prolog"
DATA	msg<>+48(SB)/2, $"ue"
GLOBL	msg<>(SB), RODATA, $50

// func leaf(x int) int
TEXT ·leaf(SB), NOSPLIT, $0-16
	MOVQ	x+0(FP), AX
	INCQ	AX
	MOVQ	AX, ret+8(FP)
	RET

// func step(x int) int: not a leaf, so the assembler gives it the stack-check prologue.
TEXT ·step(SB), $16-16
	MOVQ	x+0(FP), AX
	MOVQ	AX, 0(SP)
	CALL	·leaf(SB)
	MOVQ	8(SP), AX
	MOVQ	AX, ret+8(FP)
	RET

TEXT main·main(SB), $16-0
	LEAQ	printerPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
loop:
	MOVQ	n<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	·step(SB)
	MOVQ	8(SP), AX
	MOVQ	AX, n<>(SB)
	JMP	loop

TEXT ·printer(SB), $16-0
	CALL	runtime·printlock(SB)
	LEAQ	msg<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$50, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	MOVL	$0, 0(SP)
	CALL	runtime·exit(SB)
	RET
