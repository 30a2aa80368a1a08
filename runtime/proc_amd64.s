// The main goroutine's entry, the runtime's own goroutines it starts, and the exit system call.
//
// runtime·mainPC and runtime·exit are Go 1.19's (asm_amd64.s, sys_linux_amd64.s). runtime·main
// and the three system goroutines are goemu's assembly renderings of Go 1.19's runtime.main,
// forcegchelper, bgsweep and bgscavenge, reduced to what a program can observe: the same
// goroutines are created in the same order (so the program's goroutines get the same goids as
// in Go, 5 onwards), they run and park with Go's wait reasons, and main·main starts after the
// same scheduling steps, and sysmon starts where Go starts it. Package init tasks and the garbage
// collector are not modelled.

#include "textflag.h"

#define SYS_exit_group		231
#define waitReasonForceGCIdle	17
#define waitReasonGCSweepWait	12
#define waitReasonGCScavengeWait	13

// mainPC is a function value for runtime.main, to be passed to newproc.
DATA	runtime·mainPC+0(SB)/8,$runtime·main(SB)
GLOBL	runtime·mainPC(SB),RODATA,$8

DATA	forcegchelperPC<>+0(SB)/8,$runtime·forcegchelper(SB)
GLOBL	forcegchelperPC<>(SB),RODATA,$8
DATA	bgsweepPC<>+0(SB)/8,$runtime·bgsweep(SB)
GLOBL	bgsweepPC<>(SB),RODATA,$8
DATA	bgscavengePC<>+0(SB)/8,$runtime·bgscavenge(SB)
GLOBL	bgscavengePC<>(SB),RODATA,$8

// mainStarted: runtime.main has started; from then on newproc wakes an idle P (wakep).
GLOBL	runtime·mainStarted(SB),NOPTR,$1

// goroutineReadyPC is the function value of sleep timers (time.Sleep's g.timer.f). Timers run in
// Python (runtime/time.py), which knows this funcval; goroutineReady's body never executes.
DATA	runtime·goroutineReadyPC+0(SB)/8,$runtime·goroutineReady(SB)
GLOBL	runtime·goroutineReadyPC(SB),RODATA,$8

// func goroutineReady(arg any, seq uintptr)
TEXT runtime·goroutineReady(SB),NOSPLIT,$0-24
	UNDEF

// gcenable's channel: `c := make(chan int, 2)`, passed to bgsweep and bgscavenge.
GLOBL	runtime·gcenablec(SB),NOPTR,$8

// func main()
TEXT runtime·main(SB),$24-0
	MOVB	$1, runtime·mainStarted(SB)
	CALL	runtime·startSysmon(SB)
	// Go locks the main goroutine to m0 while the runtime initializes: a locked G is always
	// executed with a fresh time slice, which shows in the P's schedtick later on.
	CALL	runtime·lockOSThread(SB)
	// runtime's init: go forcegchelper()
	LEAQ	forcegchelperPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	// gcenable: c := make(chan int, 2); go bgsweep(c); go bgscavenge(c); <-c; <-c
	MOVQ	$8, 0(SP)
	MOVQ	$2, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, runtime·gcenablec(SB)
	LEAQ	bgsweepPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	LEAQ	bgscavengePC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	runtime·gcenablec(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	runtime·gcenablec(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	CALL	runtime·unlockOSThread(SB)
	CALL	main·main(SB)
	MOVL	$0, 0(SP)
	CALL	runtime·exit(SB)
	RET

// func forcegchelper(): parks until a forced GC is wanted (never, without a GC).
TEXT runtime·forcegchelper(SB),$32-0
loop:
	MOVQ	$0, 0(SP)
	MOVB	$waitReasonForceGCIdle, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·goparkunlock(SB)
	JMP	loop

// bgsweep and bgscavenge (c chan int): tell gcenable they run, then park (nothing to sweep or
// scavenge without a garbage collector).
#define GCWORKER(name, reason) \
TEXT name(SB),$32-0; \
	MOVQ	runtime·gcenablec(SB), AX; \
	MOVQ	AX, 0(SP); \
	LEAQ	one<>(SB), AX; \
	MOVQ	AX, 8(SP); \
	CALL	runtime·chansend1(SB); \
loop: \
	MOVQ	$0, 0(SP); \
	MOVB	$reason, 8(SP); \
	MOVQ	$1, 16(SP); \
	CALL	runtime·goparkunlock(SB); \
	JMP	loop

GCWORKER(runtime·bgsweep, waitReasonGCSweepWait)
GCWORKER(runtime·bgscavenge, waitReasonGCScavengeWait)

DATA	one<>+0(SB)/8, $1
GLOBL	one<>(SB),RODATA|NOPTR,$8

TEXT runtime·exit(SB),NOSPLIT,$0-4
	MOVL	code+0(FP), DI
	MOVL	$SYS_exit_group, AX
	SYSCALL
	RET
