// syscalls: system calls through syscall.Syscall, which brackets the SYSCALL instruction with
// entersyscall (the G goes to _Gsyscall and leaves its P in _Psyscall) and exitsyscall (it
// takes its P back), and one raw SYSCALL. nanosleep stops the calling M's CPU; with every M
// asleep the deterministic clock jumps to its end. An unknown call fails with ENOSYS.
//
//	func main() {
//		pid, _, _ := syscall.Syscall(SYS_GETPID, 0, 0, 0)
//		println("pid", pid)
//		t0 := nanotime()
//		ts := syscall.Timespec{Nsec: 5e6}
//		syscall.Syscall(SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
//		println("slept ms", (nanotime()-t0)/1e6)
//		_, _, err := syscall.Syscall(1000, 0, 0, 0)
//		println("errno", err)
//		syscall.Syscall(SYS_WRITE, 1, uintptr(unsafe.Pointer(&msg[0])), len(msg))
//	}
//
// (Go 1.19 prints the same but for the pid; goemu's process is pid 1.)

#include "textflag.h"

#define SYS_write	1
#define SYS_nanosleep	35
#define SYS_getpid	39
#define MS	1000000

#define SYSCALL3(trap, a1, a2, a3) \
	MOVQ	trap, 0(SP); \
	MOVQ	a1, 8(SP); \
	MOVQ	a2, 16(SP); \
	MOVQ	a3, 24(SP); \
	CALL	syscall·Syscall(SB)

#define PRINTLN(str, n, val) \
	CALL	runtime·printlock(SB); \
	LEAQ	str(SB), AX; \
	MOVQ	AX, 0(SP); \
	MOVQ	$n, 8(SP); \
	CALL	runtime·printstring(SB); \
	CALL	runtime·printsp(SB); \
	MOVQ	val, AX; \
	MOVQ	AX, 0(SP); \
	CALL	runtime·printint(SB); \
	CALL	runtime·printnl(SB); \
	CALL	runtime·printunlock(SB)

TEXT main·main(SB), $88-0
	SYSCALL3($SYS_getpid, $0, $0, $0)
	MOVQ	32(SP), AX		// r1
	MOVQ	AX, v-8(SP)
	PRINTLN(pid<>, 3, v-8(SP))

	CALL	runtime·nanotime(SB)
	MOVQ	0(SP), AX
	MOVQ	AX, t0-16(SP)
	MOVQ	$0, ts-32(SP)		// ts.Sec
	MOVQ	$(5*MS), ts-24(SP)	// ts.Nsec
	LEAQ	ts-32(SP), BX
	SYSCALL3($SYS_nanosleep, BX, $0, $0)
	CALL	runtime·nanotime(SB)
	MOVQ	0(SP), AX
	SUBQ	t0-16(SP), AX
	CQO
	MOVQ	$MS, CX
	IDIVQ	CX
	MOVQ	AX, v-8(SP)
	PRINTLN(slept<>, 8, v-8(SP))

	SYSCALL3($1000, $0, $0, $0)
	MOVQ	48(SP), AX		// err
	MOVQ	AX, v-8(SP)
	PRINTLN(errno<>, 5, v-8(SP))

	LEAQ	msg<>(SB), BX
	SYSCALL3($SYS_write, $1, BX, $6)
	RET

DATA	pid<>+0(SB)/3, $"pid"
GLOBL	pid<>(SB), RODATA, $3
DATA	slept<>+0(SB)/8, $"slept ms"
GLOBL	slept<>(SB), RODATA, $8
DATA	errno<>+0(SB)/5, $"errno"
GLOBL	errno<>(SB), RODATA, $5
DATA	msg<>+0(SB)/6, $"hello\n"
GLOBL	msg<>(SB), RODATA, $6
