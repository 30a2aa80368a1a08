// pingpong: two goroutines take turns with runtime.Gosched. Gosched puts the caller at the tail
// of the global run queue, so with one P the players alternate; "pong" starts first because the
// last goroutine started sits in runnext.
//
//	func player(name string) {
//		for i := 0; i < 3; i++ { println(name, i); runtime.Gosched() }
//		done++
//	}
//	func main() {
//		go player("ping"); go player("pong")
//		for done < 2 { runtime.Gosched() }
//	}
//
// Run with one P, as its .out was made (Go 1.19 prints the same with GOMAXPROCS=1):
// GOMAXPROCS=1 goemu run samples/pingpong.s

#include "textflag.h"

DATA	ping<>+0(SB)/8, $"ping"
GLOBL	ping<>(SB), RODATA, $8
DATA	pong<>+0(SB)/8, $"pong"
GLOBL	pong<>(SB), RODATA, $8

// Closures {fn, name.ptr, name.len}
DATA	pingfv<>+0(SB)/8, $·player(SB)
DATA	pingfv<>+8(SB)/8, $ping<>(SB)
DATA	pingfv<>+16(SB)/8, $4
GLOBL	pingfv<>(SB), RODATA, $24
DATA	pongfv<>+0(SB)/8, $·player(SB)
DATA	pongfv<>+8(SB)/8, $pong<>(SB)
DATA	pongfv<>+16(SB)/8, $4
GLOBL	pongfv<>(SB), RODATA, $24

GLOBL	done<>(SB), NOPTR, $8

TEXT ·player(SB), NEEDCTXT, $32-0
	MOVQ	DX, fv-8(SP)		// calls clobber every register: keep the closure
	MOVQ	$0, i-16(SP)
loop:
	CALL	runtime·printlock(SB)
	MOVQ	fv-8(SP), DX
	MOVQ	8(DX), AX
	MOVQ	AX, 0(SP)
	MOVQ	16(DX), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	i-16(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	CALL	runtime·Gosched(SB)
	INCQ	i-16(SP)
	CMPQ	i-16(SP), $3
	JLT	loop
	INCQ	done<>(SB)
	RET

TEXT main·main(SB), $8-0
	LEAQ	pingfv<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	LEAQ	pongfv<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
wait:
	CMPQ	done<>(SB), $2
	JEQ	out
	CALL	runtime·Gosched(SB)
	JMP	wait
out:
	RET
