// blocksyscall: a goroutine blocks in a system call while another one is runnable, with one P.
// syscall.Syscall calls entersyscall first: the sleeper's G goes to _Gsyscall and its P to
// _Psyscall, still owned by no M. sysmon sees the P sit in the syscall for a tick while its run
// queue holds the worker, retakes it (_Psyscall -> _Pidle) and hands it off (handoffp -> startm),
// so a new M runs the worker while the sleeper's M is still in nanosleep. When nanosleep returns,
// exitsyscall finds its old P no longer in _Psyscall, but idle again (the worker has finished and
// main waits on the channel): it takes it (exitsyscallfast's pidleget) and runs on.
//
//	GOMAXPROCS=1 goemu run samples/blocksyscall.s
//
//	var done = make(chan bool)
//	var workerRan bool
//	func main() {
//		go func() { // sleeper
//			go func() { // worker
//				println("worker: runs on the P the sleeper's M handed off")
//				workerRan = true
//				done <- true
//			}()
//			ts := syscall.Timespec{Nsec: 5e6}
//			println("sleeper: entering nanosleep(5ms)")
//			syscall.Syscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
//			println("sleeper: back; worker ran meanwhile:", workerRan)
//			done <- true
//		}()
//		<-done
//		<-done
//	}
//
// Go 1.19 prints the same.

#include "textflag.h"

#define SYS_nanosleep	35

GLOBL	done<>(SB), NOPTR, $8
GLOBL	workerRan<>(SB), NOPTR, $1
DATA	true<>+0(SB)/1, $1
GLOBL	true<>(SB), RODATA, $1
DATA	sleeperPC<>+0(SB)/8, $·sleeper(SB)
GLOBL	sleeperPC<>(SB), RODATA, $8
DATA	workerPC<>+0(SB)/8, $·worker(SB)
GLOBL	workerPC<>(SB), RODATA, $8

DATA	wmsg<>+0(SB)/8, $"worker: "
DATA	wmsg<>+8(SB)/8, $"runs on "
DATA	wmsg<>+16(SB)/8, $"the P th"
DATA	wmsg<>+24(SB)/8, $"e sleepe"
DATA	wmsg<>+32(SB)/8, $"r's M ha"
DATA	wmsg<>+40(SB)/8, $"nded off"
GLOBL	wmsg<>(SB), RODATA, $48
DATA	smsg<>+0(SB)/8, $"sleeper:"
DATA	smsg<>+8(SB)/8, $" enterin"
DATA	smsg<>+16(SB)/8, $"g nanosl"
DATA	smsg<>+24(SB)/8, $"eep(5ms)"
GLOBL	smsg<>(SB), RODATA, $32
DATA	bmsg<>+0(SB)/8, $"sleeper:"
DATA	bmsg<>+8(SB)/8, $" back; w"
DATA	bmsg<>+16(SB)/8, $"orker ra"
DATA	bmsg<>+24(SB)/8, $"n meanwh"
DATA	bmsg<>+32(SB)/5, $"ile: "
GLOBL	bmsg<>(SB), RODATA, $37

#define PRINTSTR(s, n) \
	LEAQ	s(SB), AX; \
	MOVQ	AX, 0(SP); \
	MOVQ	$n, 8(SP); \
	CALL	runtime·printstring(SB)

#define SEND_DONE \
	MOVQ	done<>(SB), AX; \
	MOVQ	AX, 0(SP); \
	LEAQ	true<>(SB), AX; \
	MOVQ	AX, 8(SP); \
	CALL	runtime·chansend1(SB)

TEXT ·worker(SB), $16-0
	CALL	runtime·printlock(SB)
	PRINTSTR(wmsg<>, 48)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	MOVB	$1, workerRan<>(SB)
	SEND_DONE
	RET

TEXT ·sleeper(SB), $48-0
	LEAQ	workerPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	CALL	runtime·printlock(SB)
	PRINTSTR(smsg<>, 32)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	MOVQ	$0, ts-16(SP)		// ts.Sec
	MOVQ	$5000000, ts-8(SP)	// ts.Nsec
	MOVQ	$SYS_nanosleep, 0(SP)
	LEAQ	ts-16(SP), AX
	MOVQ	AX, 8(SP)
	MOVQ	$0, 16(SP)
	MOVQ	$0, 24(SP)
	CALL	syscall·Syscall(SB)
	CALL	runtime·printlock(SB)
	PRINTSTR(bmsg<>, 37)
	MOVBLZX	workerRan<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printbool(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	SEND_DONE
	RET

TEXT main·main(SB), $24-0
	MOVQ	$1, 0(SP)		// element size
	MOVQ	$0, 8(SP)		// unbuffered
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done<>(SB)
	LEAQ	sleeperPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	done<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	RET
