// Flags for TEXT, DATA and GLOBL, as in Go 1.19's runtime/textflag.h.

#define NOPROF	1
#define DUPOK	2
#define NOSPLIT	4
#define RODATA	8
#define NOPTR	16
#define WRAPPER 32
#define NEEDCTXT 64
#define TLSBSS	256
#define NOFRAME 512
#define REFLECTMETHOD 1024
#define TOPFRAME 2048
#define ABIWRAPPER 4096
