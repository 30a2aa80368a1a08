// syscall.Syscall for linux/amd64: Go 1.16's syscall/asm_linux_amd64.s (Go 1.19 writes the same
// in Go: entersyscall, RawSyscall6, exitsyscall), with the ABI0 frame a program calls:
// trap+0, a1+8, a2+16, a3+24, r1+32, r2+40, err+48.

#include "textflag.h"

// func Syscall(trap, a1, a2, a3 uintptr) (r1, r2, err uintptr)
TEXT syscall·Syscall(SB),NOSPLIT,$0-56
	CALL	runtime·entersyscall(SB)
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	trap+0(FP), AX	// syscall entry
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$-1, r1+32(FP)
	MOVQ	$0, r2+40(FP)
	NEGQ	AX
	MOVQ	AX, err+48(FP)
	CALL	runtime·exitsyscall(SB)
	RET
ok:
	MOVQ	AX, r1+32(FP)
	MOVQ	DX, r2+40(FP)
	MOVQ	$0, err+48(FP)
	CALL	runtime·exitsyscall(SB)
	RET
