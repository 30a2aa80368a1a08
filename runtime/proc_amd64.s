// The main goroutine's entry and the exit system call.
//
// runtime·mainPC and runtime·exit are Go 1.19's (asm_amd64.s, sys_linux_amd64.s). runtime·main is
// goemu's: Go's runtime.main is Go code that also runs package init tasks, starts the GC workers and
// sysmon; here it only calls main·main and exits with status 0 when it returns, which is what a
// program without init functions observes (a documented deviation).

#include "textflag.h"

#define SYS_exit_group		231

// mainPC is a function value for runtime.main, to be passed to newproc.
DATA	runtime·mainPC+0(SB)/8,$runtime·main(SB)
GLOBL	runtime·mainPC(SB),RODATA,$8

// func main()
TEXT runtime·main(SB),$8-0
	CALL	main·main(SB)
	MOVL	$0, 0(SP)
	CALL	runtime·exit(SB)
	RET

TEXT runtime·exit(SB),NOSPLIT,$0-4
	MOVL	code+0(FP), DI
	MOVL	$SYS_exit_group, AX
	SYSCALL
	RET
