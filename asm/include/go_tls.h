// Thread-local storage access, as in Go 1.19's runtime/go_tls.h for amd64: g lives at FS:-8.

#ifdef GOARCH_amd64
#define	get_tls(r)	MOVQ TLS, r
#define	g(r)	0(r)(TLS*1)
#endif
