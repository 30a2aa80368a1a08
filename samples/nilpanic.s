// nilpanic: main calls outer, outer calls inner, and inner reads through a nil pointer. The
// fault becomes Go's panic: the message, the [signal SIGSEGV ...] line with the faulting pc,
// and the traceback of the running goroutine, one frame per function on its stack, innermost
// first. The traceback follows the frame pointers: each function's prologue (added by the
// assembler for a frame of non-zero size) saves its caller's BP in its frame and points BP at
// it, so BP leads from frame to frame, each return address just above the saved BP. The fault's
// frame shows the faulting instruction; the others show their CALL's line, and the offset of the
// return address from the function's entry. The program exits with status 2.
//
//	var p *int
//	func inner() int { return *p }
//	func outer() int { return inner() + 1 }
//	func main() { println(outer()) }

#include "textflag.h"

GLOBL	p<>(SB), NOPTR, $8		// a nil *int

// func inner() int
TEXT ·inner(SB), $8-8
	MOVQ	p<>(SB), AX
	MOVQ	(AX), AX		// *p: SIGSEGV at address 0
	MOVQ	AX, ret+0(FP)
	RET

// func outer() int
TEXT ·outer(SB), $16-8
	CALL	·inner(SB)
	MOVQ	0(SP), AX		// inner's result
	INCQ	AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT main·main(SB), $16-0
	CALL	·outer(SB)
	CALL	runtime·printlock(SB)
	CALL	runtime·printint(SB)	// outer's result is still at 0(SP): printint's argument
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET
