// tightloop: main spins in a loop with no function calls, so no prologue ever checks for
// preemption; with one P the printer goroutine gets to run only because sysmon, after main has
// run for 10 ms (forcePreemptNS), sends main's M a SIGURG: the handler finds main at an
// asynchronous safe point and injects a call to asyncPreempt, which saves every register and
// yields (asyncPreempt2 -> gopreempt_m: main goes to the global run queue).
//
//	GOMAXPROCS=1 goemu run samples/tightloop.s
//
//	func main() {
//		go func() {
//			println("printer: main spins in a loop without calls, and yet I run")
//			os.Exit(0)
//		}()
//		for {
//			i++
//		}
//	}
//
// Go 1.19 prints the same. With GODEBUG=asyncpreemptoff=1 the program never ends, in Go as
// here (goemu run --max-insns stops it).

#include "textflag.h"

DATA	printerPC<>+0(SB)/8, $·printer(SB)
GLOBL	printerPC<>(SB), RODATA, $8

DATA	msg<>+0(SB)/8, $"printer:"
DATA	msg<>+8(SB)/8, $" main sp"
DATA	msg<>+16(SB)/8, $"ins in a"
DATA	msg<>+24(SB)/8, $" loop wi"
DATA	msg<>+32(SB)/8, $"thout ca"
DATA	msg<>+40(SB)/8, $"lls, and"
DATA	msg<>+48(SB)/8, $" yet I r"
DATA	msg<>+56(SB)/2, $"un"
GLOBL	msg<>(SB), RODATA, $58

TEXT main·main(SB), $8-0
	LEAQ	printerPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	$0, AX
loop:
	INCQ	AX			// i++
	JMP	loop

TEXT ·printer(SB), $16-0
	CALL	runtime·printlock(SB)
	LEAQ	msg<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$58, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	MOVL	$0, 0(SP)
	CALL	runtime·exit(SB)
	RET
