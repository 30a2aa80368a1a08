// growstack: deep recursion grows the goroutine's stack. Each call to sum takes 40 bytes of
// stack (24 for its callee's arguments and result, the saved BP, the return address), so
// 100,000 calls need about 4 MB: the prologue's stack check fails each time the
// stack is full, morestack enters newstack on g0, and copystack moves the stack to one twice as
// big (2 KiB, 4 KiB, ... 4 MiB: eleven copies), moving the frame-pointer chain and every pointer
// into the old stack: here `total`, main's local, which each frame holds the address of.
//
//	func sum(n int, total *int) int {
//		if n == 0 {
//			return 0
//		}
//		*total += n
//		return n + sum(n-1, total)
//	}
//
//	func main() {
//		total := 0
//		println(sum(100000, &total), total)
//	}
//
// Go 1.19 prints the same.

#include "textflag.h"

// func sum(n int, total *int) int
TEXT ·sum(SB), $24-24
	MOVQ	n+0(FP), AX
	TESTQ	AX, AX
	JNE	recurse
	MOVQ	$0, ret+16(FP)
	RET
recurse:
	MOVQ	total+8(FP), BX
	ADDQ	AX, (BX)		// *total += n
	DECQ	AX
	MOVQ	AX, 0(SP)
	MOVQ	BX, 8(SP)
	CALL	·sum(SB)
	MOVQ	16(SP), AX
	ADDQ	n+0(FP), AX
	MOVQ	AX, ret+16(FP)
	RET

TEXT main·main(SB), $40-0
	MOVQ	$0, total-8(SP)
	MOVQ	$100000, 0(SP)
	LEAQ	total-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	·sum(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, s-16(SP)
	CALL	runtime·printlock(SB)
	MOVQ	s-16(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	MOVQ	total-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET
