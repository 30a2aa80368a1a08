#include "textflag.h"
#include "go_tls.h"

TEXT ·nosplit0(SB), NOSPLIT, $0
	MOVQ AX, BX
	RET

TEXT ·leaf(SB), $0-8
	MOVQ x+0(FP), AX
	RET

TEXT ·leaf16(SB), $16-8
	MOVQ x+0(FP), AX
	MOVQ AX, y-8(SP)
	RET

TEXT ·f24(SB), $24-16
	MOVQ a+0(FP), AX
	MOVQ AX, 0(SP)
	CALL ·leaf(SB)
	MOVQ 8(SP), AX
	MOVQ AX, ret+8(FP)
	RET

TEXT ·f120(SB), $120-0
	CALL ·leaf(SB)
	RET

TEXT ·f128(SB), $128-0
	CALL ·leaf(SB)
	RET

TEXT ·f200(SB), $200-0
	CALL ·leaf(SB)
	RET

TEXT ·f5000(SB), $5000-0
	CALL ·leaf(SB)
	RET

TEXT ·noframe(SB), NOFRAME, $0-0
	CALL ·leaf(SB)
	RET

TEXT ·needctxt(SB), NEEDCTXT, $8-0
	MOVQ DX, 0(SP)
	CALL ·leaf(SB)
	RET

TEXT ·wrapper(SB), WRAPPER, $16-8
	CALL ·leaf(SB)
	RET

TEXT ·wrapns(SB), WRAPPER|NOSPLIT, $16-8
	MOVQ $1, AX
	RET

TEXT ·push(SB), $16-8
	PUSHQ AX
	MOVQ x+0(FP), AX
	MOVQ AX, y-8(SP)
	POPQ AX
	CALL ·leaf(SB)
	RET

TEXT ·adjsp(SB), NOSPLIT, $0-8
	ADJSP $128
	MOVQ x+0(FP), AX
	ADJSP $-128
	RET

TEXT ·tls(SB), NOSPLIT, $0
	get_tls(CX)
	MOVQ g(CX), AX
	MOVQ (TLS), R14
	RET

TEXT ·branches(SB), NOSPLIT, $0
loop:
	DECQ AX
	JNE loop
	JMP done
	BYTE $0x90
done:
	JEQ 2(PC)
	NOP
	RET

TEXT ·twoRets(SB), $8-8
	CMPQ AX, $0
	JEQ zero
	CALL ·leaf(SB)
	RET
zero:
	MOVQ $0, ret+0(FP)
	RET

TEXT ·negframe(SB), $-8
	CALL ·leaf(SB)
	RET

TEXT ·floats(SB), NOSPLIT, $0
	MOVSD $1.5, X0
	MOVSD $0.0, X1
	ADDSS $(2.0), X2
	MOVQ $·leaf(SB), AX
	MOVQ $x+0(FP), BX
	RET

TEXT ·farjump(SB), NOSPLIT, $0
	JEQ far
	JMP back
back:
	BYTE $0x90
	JMP back
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
	QUAD $0
far:
	JNE back
	RET
