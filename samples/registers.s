// registers: a goroutine keeps its own values in 15 general registers (all but SP, BP and R14
// included), in RFLAGS and in X0-X15 while it loops without calls; a second goroutine loops
// with other values in all of them. With one P and a 20 us timeslice, sysmon preempts them in
// turn thousands of times, always asynchronously (SIGURG -> asyncPreempt, which saves every
// register on the goroutine's stack, and restores them when the goroutine runs again). At the
// end the keeper stores what its registers hold and compares it with what it put there.
//
//	GOMAXPROCS=1 goemu run --timeslice 20us samples/registers.s
//
// The loop keeps RFLAGS too: it saves them to memory (PUSHFQ; POPQ) before counting down and
// restores them (PUSHQ; POPFQ) after, so a preemption at the JMP or the PUSHFQ catches the
// keeper's own flags, and one between DECQ and JEQ the flags the branch depends on. It also prints how many preemption
// signals its M handled (m.preemptGen), read through go_asm.h's offsets.

#include "go_asm.h"
#include "textflag.h"

#define LOOPS	3000000
#define FLAGS	0x8D7	// CF PF AF ZF SF OF, and bit 1 (always set)
#define FLAGMASK	0x8D5
#define NWORDS	48	// 15 general registers, RFLAGS, 16 X registers of two words each

DATA	clobberPC<>+0(SB)/8, $·clobber(SB)
GLOBL	clobberPC<>(SB), RODATA, $8
GLOBL	counter<>(SB), NOPTR, $8
GLOBL	flags<>(SB), NOPTR, $8
GLOBL	got<>(SB), NOPTR, $(NWORDS*8)

DATA	want<>+0(SB)/8, $0x1111111111111111
DATA	want<>+8(SB)/8, $0x2222222222222222
DATA	want<>+16(SB)/8, $0x3333333333333333
DATA	want<>+24(SB)/8, $0x4444444444444444
DATA	want<>+32(SB)/8, $0x5555555555555555
DATA	want<>+40(SB)/8, $0x6666666666666666
DATA	want<>+48(SB)/8, $0x7777777777777777
DATA	want<>+56(SB)/8, $0x8888888888888888
DATA	want<>+64(SB)/8, $0x9999999999999999
DATA	want<>+72(SB)/8, $0xaaaaaaaaaaaaaaaa
DATA	want<>+80(SB)/8, $0xbbbbbbbbbbbbbbbb
DATA	want<>+88(SB)/8, $0xcccccccccccccccc
DATA	want<>+96(SB)/8, $0xdddddddddddddddd
DATA	want<>+104(SB)/8, $0xeeeeeeeeeeeeeeee
DATA	want<>+112(SB)/8, $0xffffffffffffffff
DATA	want<>+120(SB)/8, $0x8d5
DATA	want<>+128(SB)/8, $0xb12ae6ead581e57
DATA	want<>+136(SB)/8, $0xe539a78bc8eff346
DATA	want<>+144(SB)/8, $0x1ee57012853d452f
DATA	want<>+152(SB)/8, $0x331241a982f11ec0
DATA	want<>+160(SB)/8, $0x58e00e8c64beb012
DATA	want<>+168(SB)/8, $0x877994afff2f6504
DATA	want<>+176(SB)/8, $0x95af4c654a13d22e
DATA	want<>+184(SB)/8, $0x9851e4d525f45a82
DATA	want<>+192(SB)/8, $0x1b901e7842d60baa
DATA	want<>+200(SB)/8, $0x6970159142ac030c
DATA	want<>+208(SB)/8, $0xf7cf5a6c53ce530e
DATA	want<>+216(SB)/8, $0xd5a262c84495ce11
DATA	want<>+224(SB)/8, $0xc5f6ffa81b8e8d8d
DATA	want<>+232(SB)/8, $0xe5aefe755353f361
DATA	want<>+240(SB)/8, $0x5da31934fa1f5f5
DATA	want<>+248(SB)/8, $0x9e1b43fd91b9b6a2
DATA	want<>+256(SB)/8, $0xe10fadcb339e15b1
DATA	want<>+264(SB)/8, $0xeb9f5bf1121f24de
DATA	want<>+272(SB)/8, $0x1d27ffa333da7327
DATA	want<>+280(SB)/8, $0x74a2a8ab8add849b
DATA	want<>+288(SB)/8, $0xddb860ca6378c977
DATA	want<>+296(SB)/8, $0x12de1bfbbbc4ba50
DATA	want<>+304(SB)/8, $0x1936bcaecd954f46
DATA	want<>+312(SB)/8, $0x44d2cc96a189505
DATA	want<>+320(SB)/8, $0x943fb835196f8d86
DATA	want<>+328(SB)/8, $0x6c558429ba5ddf63
DATA	want<>+336(SB)/8, $0xda50dff4c17323a5
DATA	want<>+344(SB)/8, $0x70b796dd65646802
DATA	want<>+352(SB)/8, $0xfd3d028ca885a5b2
DATA	want<>+360(SB)/8, $0x921bcb244c8e9782
DATA	want<>+368(SB)/8, $0x8096cb87ea367564
DATA	want<>+376(SB)/8, $0x2894b7efd5745df4
GLOBL	want<>(SB), RODATA, $(NWORDS*8)
DATA	junk<>+0(SB)/8, $0xa31733c3cabe16a7
DATA	junk<>+8(SB)/8, $0x68096042f433c645
DATA	junk<>+16(SB)/8, $0xc65244fb3b9b7ca3
DATA	junk<>+24(SB)/8, $0x939bfedb8b95a17f
DATA	junk<>+32(SB)/8, $0x1b936545bb3b89fe
DATA	junk<>+40(SB)/8, $0x351357e3cd2d6a7e
DATA	junk<>+48(SB)/8, $0x310705f463e965b6
DATA	junk<>+56(SB)/8, $0x2278b5a32377965c
DATA	junk<>+64(SB)/8, $0x7e4917c1a05654cc
DATA	junk<>+72(SB)/8, $0x8c1650ee1ac9cf1b
DATA	junk<>+80(SB)/8, $0x754408ebb49276b0
DATA	junk<>+88(SB)/8, $0xf4fc29f001c7cbc1
DATA	junk<>+96(SB)/8, $0xe7e9af60745a1a5e
DATA	junk<>+104(SB)/8, $0x9819159b7ad13059
DATA	junk<>+112(SB)/8, $0x852a2f461eab2154
DATA	junk<>+120(SB)/8, $0xd3182d477aedf4ae
DATA	junk<>+128(SB)/8, $0x7e76e952800458c3
DATA	junk<>+136(SB)/8, $0x6da513ed5e7b78a4
DATA	junk<>+144(SB)/8, $0x8abf685ee5722800
DATA	junk<>+152(SB)/8, $0x2ef9d226ddb6c65a
DATA	junk<>+160(SB)/8, $0xbbe183e3fa1572
DATA	junk<>+168(SB)/8, $0x176e956a3eb0b047
DATA	junk<>+176(SB)/8, $0x774a4e0206a039f5
DATA	junk<>+184(SB)/8, $0x73a943b560699eda
DATA	junk<>+192(SB)/8, $0xad018df21d18b3ab
DATA	junk<>+200(SB)/8, $0xa705cf6db48a037e
DATA	junk<>+208(SB)/8, $0xef76c6c6434fe2f3
DATA	junk<>+216(SB)/8, $0x79c268eb20ddb9f0
DATA	junk<>+224(SB)/8, $0x7301ecfd48a11451
DATA	junk<>+232(SB)/8, $0x4b099e646746c028
DATA	junk<>+240(SB)/8, $0x2bc9a4b7bc4325fa
DATA	junk<>+248(SB)/8, $0x704f85d67606b5c1
GLOBL	junk<>(SB), RODATA, $256

DATA	okmsg<>+0(SB)/8, $"keeper: "
DATA	okmsg<>+8(SB)/8, $"all regi"
DATA	okmsg<>+16(SB)/8, $"sters in"
DATA	okmsg<>+24(SB)/8, $"tact; pr"
DATA	okmsg<>+32(SB)/8, $"eemption"
DATA	okmsg<>+40(SB)/8, $" signals"
DATA	okmsg<>+48(SB)/1, $":"
GLOBL	okmsg<>(SB), RODATA, $49
DATA	badmsg<>+0(SB)/8, $"keeper: "
DATA	badmsg<>+8(SB)/8, $"lost wor"
DATA	badmsg<>+16(SB)/2, $"d "
GLOBL	badmsg<>(SB), RODATA, $18

// func clobber(): every register gets another value; then spin.
TEXT ·clobber(SB), NOSPLIT|NOFRAME, $0-0
	MOVQ	$0xa31733c3cabe16a7, AX
	MOVQ	$0x68096042f433c645, BX
	MOVQ	$0xc65244fb3b9b7ca3, CX
	MOVQ	$0x939bfedb8b95a17f, DX
	MOVQ	$0x1b936545bb3b89fe, SI
	MOVQ	$0x351357e3cd2d6a7e, DI
	MOVQ	$0x2278b5a32377965c, R8
	MOVQ	$0x7e4917c1a05654cc, R9
	MOVQ	$0x8c1650ee1ac9cf1b, R10
	MOVQ	$0x754408ebb49276b0, R11
	MOVQ	$0xf4fc29f001c7cbc1, R12
	MOVQ	$0xe7e9af60745a1a5e, R13
	MOVQ	$0x9819159b7ad13059, R14
	MOVQ	$0x852a2f461eab2154, R15
	MOVUPS	junk<>+0(SB), X0
	MOVUPS	junk<>+16(SB), X1
	MOVUPS	junk<>+32(SB), X2
	MOVUPS	junk<>+48(SB), X3
	MOVUPS	junk<>+64(SB), X4
	MOVUPS	junk<>+80(SB), X5
	MOVUPS	junk<>+96(SB), X6
	MOVUPS	junk<>+112(SB), X7
	MOVUPS	junk<>+128(SB), X8
	MOVUPS	junk<>+144(SB), X9
	MOVUPS	junk<>+160(SB), X10
	MOVUPS	junk<>+176(SB), X11
	MOVUPS	junk<>+192(SB), X12
	MOVUPS	junk<>+208(SB), X13
	MOVUPS	junk<>+224(SB), X14
	MOVUPS	junk<>+240(SB), X15
	PUSHQ	$0x2
	POPFQ
spin:
	JMP	spin

// func main(): go clobber(); then keep values everywhere, loop, and check them.
TEXT main·main(SB), $24-0
	LEAQ	clobberPC<>(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	$LOOPS, counter<>(SB)
	MOVUPS	want<>+128(SB), X0
	MOVUPS	want<>+144(SB), X1
	MOVUPS	want<>+160(SB), X2
	MOVUPS	want<>+176(SB), X3
	MOVUPS	want<>+192(SB), X4
	MOVUPS	want<>+208(SB), X5
	MOVUPS	want<>+224(SB), X6
	MOVUPS	want<>+240(SB), X7
	MOVUPS	want<>+256(SB), X8
	MOVUPS	want<>+272(SB), X9
	MOVUPS	want<>+288(SB), X10
	MOVUPS	want<>+304(SB), X11
	MOVUPS	want<>+320(SB), X12
	MOVUPS	want<>+336(SB), X13
	MOVUPS	want<>+352(SB), X14
	MOVUPS	want<>+368(SB), X15
	MOVQ	want<>+0(SB), AX
	MOVQ	want<>+8(SB), BX
	MOVQ	want<>+16(SB), CX
	MOVQ	want<>+24(SB), DX
	MOVQ	want<>+32(SB), SI
	MOVQ	want<>+40(SB), DI
	MOVQ	want<>+48(SB), BP
	MOVQ	want<>+56(SB), R8
	MOVQ	want<>+64(SB), R9
	MOVQ	want<>+72(SB), R10
	MOVQ	want<>+80(SB), R11
	MOVQ	want<>+88(SB), R12
	MOVQ	want<>+96(SB), R13
	MOVQ	want<>+104(SB), R14
	MOVQ	want<>+112(SB), R15
	PUSHQ	$FLAGS
	POPFQ
loop:
	PUSHFQ				// the keeper's flags go to memory while the count uses them
	POPQ	flags<>(SB)
	DECQ	counter<>(SB)
	JEQ	done
	PUSHQ	flags<>(SB)
	POPFQ
	JMP	loop
done:
	PUSHQ	flags<>(SB)
	POPFQ
	MOVQ	AX, got<>+0(SB)
	MOVQ	BX, got<>+8(SB)
	MOVQ	CX, got<>+16(SB)
	MOVQ	DX, got<>+24(SB)
	MOVQ	SI, got<>+32(SB)
	MOVQ	DI, got<>+40(SB)
	MOVQ	BP, got<>+48(SB)
	MOVQ	R8, got<>+56(SB)
	MOVQ	R9, got<>+64(SB)
	MOVQ	R10, got<>+72(SB)
	MOVQ	R11, got<>+80(SB)
	MOVQ	R12, got<>+88(SB)
	MOVQ	R13, got<>+96(SB)
	MOVQ	R14, got<>+104(SB)
	MOVQ	R15, got<>+112(SB)
	PUSHFQ
	POPQ	AX
	ANDQ	$FLAGMASK, AX
	MOVQ	AX, got<>+120(SB)
	MOVUPS	X0, got<>+128(SB)
	MOVUPS	X1, got<>+144(SB)
	MOVUPS	X2, got<>+160(SB)
	MOVUPS	X3, got<>+176(SB)
	MOVUPS	X4, got<>+192(SB)
	MOVUPS	X5, got<>+208(SB)
	MOVUPS	X6, got<>+224(SB)
	MOVUPS	X7, got<>+240(SB)
	MOVUPS	X8, got<>+256(SB)
	MOVUPS	X9, got<>+272(SB)
	MOVUPS	X10, got<>+288(SB)
	MOVUPS	X11, got<>+304(SB)
	MOVUPS	X12, got<>+320(SB)
	MOVUPS	X13, got<>+336(SB)
	MOVUPS	X14, got<>+352(SB)
	MOVUPS	X15, got<>+368(SB)
	// BP held a value of ours: restore the frame pointer the prologue set up.
	LEAQ	16(SP), BP
	LEAQ	got<>(SB), SI
	LEAQ	want<>(SB), DI
	MOVQ	$0, CX
compare:
	MOVQ	(SI)(CX*8), AX
	CMPQ	AX, (DI)(CX*8)
	JNE	bad
	INCQ	CX
	CMPQ	CX, $NWORDS
	JLT	compare
	CALL	runtime·printlock(SB)
	LEAQ	okmsg<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$49, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	(TLS), AX		// g
	MOVQ	g_m(AX), AX
	MOVL	m_preemptGen(AX), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	MOVL	$0, 0(SP)
	CALL	runtime·exit(SB)
	RET
bad:
	MOVQ	CX, i-8(SP)
	CALL	runtime·printlock(SB)
	LEAQ	badmsg<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$18, 8(SP)
	CALL	runtime·printstring(SB)
	MOVQ	i-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	MOVL	$1, 0(SP)
	CALL	runtime·exit(SB)
	RET
