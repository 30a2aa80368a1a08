// hello: the smallest goemu program. main·main writes a greeting with the write system
// call and returns; the program then exits with status 0, as a Go program does.

#include "textflag.h"

DATA msg<>+0(SB)/8, $"hello, w"
DATA msg<>+8(SB)/6, $"orld!\n"
GLOBL msg<>(SB), RODATA|NOPTR, $14

// func main()
TEXT main·main(SB), $16-0
	MOVQ $1, DI              // fd: standard output
	LEAQ msg<>(SB), SI       // buf
	MOVQ $14, DX             // count
	MOVQ $1, AX              // SYS_write
	SYSCALL
	CALL main·done(SB)
	RET

// func done(): a leaf, so the assembler marks it NOSPLIT and gives it no frame.
TEXT main·done(SB), $0-0
	NOP
	RET
