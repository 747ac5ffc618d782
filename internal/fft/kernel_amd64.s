//go:build amd64 && !purego

#include "textflag.h"

// Radix-2, 3, 4 and 5 butterflies of the Stockham passes (kernel.go) on n
// interleaved elements: for v < n, inputs a_q[v], outputs o_j[v]. When w is
// not nil, output j ≥ 1 is multiplied by the twiddle w_j, stored as the pairs
// (re, re) and (-im, im): 4 float64 per twiddle. One complex128 per XMM
// register, SSE2 only (the amd64 baseline). X15 holds (+0, -0), so that
// SHUFPD $1 then XORPD X15 multiplies by -i.

// SIGNMASK sets X15 = (+0, -0) using BX.
#define SIGNMASK \
	MOVQ   $0x8000000000000000, BX \
	MOVQ   BX, X15 \
	SHUFPD $1, X15, X15

// BROADCAST sets X to (c, c) for the float64 bits c, using BX.
#define BROADCAST(c, X) \
	MOVQ   c, BX \
	MOVQ   BX, X \
	SHUFPD $0, X, X

// NEGI multiplies X by -i.
#define NEGI(X) \
	SHUFPD $1, X, X \
	XORPD  X15, X

// TWIDDLE multiplies Y by the twiddle at off(W) using temporaries T, U.
#define TWIDDLE(Y, W, off, T, U) \
	MOVUPD off(W), U \
	MOVAPD Y, T \
	MULPD  U, T \
	MOVUPD off+16(W), U \
	SHUFPD $1, Y, Y \
	MULPD  U, Y \
	ADDPD  T, Y

// func radix2SSE2(o0, o1, a0, a1 *complex128, n int, w *float64)
TEXT ·radix2SSE2(SB), NOSPLIT, $0-48
	MOVQ o0+0(FP), R8
	MOVQ o1+8(FP), R9
	MOVQ a0+16(FP), R12
	MOVQ a1+24(FP), R13
	MOVQ n+32(FP), CX
	MOVQ w+40(FP), DX
	SHLQ $4, CX
	JEQ  done2
	XORQ AX, AX
	TESTQ DX, DX
	JNE   loop2w

loop2:
	MOVUPD (R12)(AX*1), X0
	MOVUPD (R13)(AX*1), X1
	MOVAPD X0, X2
	ADDPD  X1, X2
	SUBPD  X1, X0
	MOVUPD X2, (R8)(AX*1)
	MOVUPD X0, (R9)(AX*1)
	ADDQ   $16, AX
	CMPQ   AX, CX
	JLT    loop2
	RET

loop2w:
	MOVUPD (R12)(AX*1), X0
	MOVUPD (R13)(AX*1), X1
	MOVAPD X0, X2
	ADDPD  X1, X2
	SUBPD  X1, X0
	MOVUPD X2, (R8)(AX*1)
	TWIDDLE(X0, DX, 0, X3, X4)
	MOVUPD X0, (R9)(AX*1)
	ADDQ   $16, AX
	CMPQ   AX, CX
	JLT    loop2w

done2:
	RET

// func radix3SSE2(o0, o1, o2, a0, a1, a2 *complex128, n int, w *float64)
TEXT ·radix3SSE2(SB), NOSPLIT, $0-64
	SIGNMASK
	BROADCAST($0x3fe0000000000000, X14) // 0.5
	BROADCAST($0x3febb67ae8584caa, X13) // √3/2
	MOVQ o0+0(FP), R8
	MOVQ o1+8(FP), R9
	MOVQ o2+16(FP), R10
	MOVQ a0+24(FP), R12
	MOVQ a1+32(FP), R13
	MOVQ a2+40(FP), R14
	MOVQ n+48(FP), CX
	MOVQ w+56(FP), DX
	SHLQ $4, CX
	JEQ  done3
	XORQ AX, AX

loop3:
	MOVUPD (R12)(AX*1), X0
	MOVUPD (R13)(AX*1), X1
	MOVUPD (R14)(AX*1), X2
	MOVAPD X1, X3
	ADDPD  X2, X3                // t1 = a1+a2
	SUBPD  X2, X1                // d = a1-a2
	MOVAPD X0, X4
	ADDPD  X3, X4                // y0
	MOVUPD X4, (R8)(AX*1)
	MULPD  X14, X3
	SUBPD  X3, X0                // m = a0 - t1/2
	NEGI(X1)
	MULPD  X13, X1               // s = -i·(√3/2)·d
	MOVAPD X0, X5
	ADDPD  X1, X5                // y1 = m + s
	SUBPD  X1, X0                // y2 = m - s
	TESTQ  DX, DX
	JEQ    store3
	TWIDDLE(X5, DX, 0, X6, X7)
	TWIDDLE(X0, DX, 32, X6, X7)

store3:
	MOVUPD X5, (R9)(AX*1)
	MOVUPD X0, (R10)(AX*1)
	ADDQ   $16, AX
	CMPQ   AX, CX
	JLT    loop3

done3:
	RET

// func radix4SSE2(o0, o1, o2, o3, a0, a1, a2, a3 *complex128, n int, w *float64)
TEXT ·radix4SSE2(SB), NOSPLIT, $0-80
	SIGNMASK
	MOVQ o0+0(FP), R8
	MOVQ o1+8(FP), R9
	MOVQ o2+16(FP), R10
	MOVQ o3+24(FP), R11
	MOVQ a0+32(FP), R12
	MOVQ a1+40(FP), R13
	MOVQ a2+48(FP), R14
	MOVQ a3+56(FP), SI
	MOVQ n+64(FP), CX
	MOVQ w+72(FP), DX
	SHLQ $4, CX
	JEQ  done4
	XORQ AX, AX
	TESTQ DX, DX
	JNE   twiddled4

loop4:
	MOVUPD (R12)(AX*1), X0
	MOVUPD (R13)(AX*1), X1
	MOVUPD (R14)(AX*1), X2
	MOVUPD (SI)(AX*1), X3
	MOVAPD X0, X4
	ADDPD  X2, X4                // t0 = a0+a2
	SUBPD  X2, X0                // t1 = a0-a2
	MOVAPD X1, X5
	ADDPD  X3, X5                // t2 = a1+a3
	SUBPD  X3, X1
	NEGI(X1)                     // t3 = -i(a1-a3)
	MOVAPD X4, X2
	ADDPD  X5, X2                // y0
	SUBPD  X5, X4                // y2
	MOVAPD X0, X3
	ADDPD  X1, X3                // y1
	SUBPD  X1, X0                // y3
	MOVUPD X2, (R8)(AX*1)
	MOVUPD X3, (R9)(AX*1)
	MOVUPD X4, (R10)(AX*1)
	MOVUPD X0, (R11)(AX*1)
	ADDQ   $16, AX
	CMPQ   AX, CX
	JLT    loop4
	RET

twiddled4:
	MOVUPD 0(DX), X8
	MOVUPD 16(DX), X9
	MOVUPD 32(DX), X10
	MOVUPD 48(DX), X11
	MOVUPD 64(DX), X12
	MOVUPD 80(DX), X13

loop4w:
	MOVUPD (R12)(AX*1), X0
	MOVUPD (R13)(AX*1), X1
	MOVUPD (R14)(AX*1), X2
	MOVUPD (SI)(AX*1), X3
	MOVAPD X0, X4
	ADDPD  X2, X4
	SUBPD  X2, X0
	MOVAPD X1, X5
	ADDPD  X3, X5
	SUBPD  X3, X1
	NEGI(X1)
	MOVAPD X4, X2
	ADDPD  X5, X2
	SUBPD  X5, X4
	MOVAPD X0, X3
	ADDPD  X1, X3
	SUBPD  X1, X0
	MOVUPD X2, (R8)(AX*1)
	MOVAPD X3, X6                // y1 · w1
	MULPD  X8, X6
	SHUFPD $1, X3, X3
	MULPD  X9, X3
	ADDPD  X6, X3
	MOVUPD X3, (R9)(AX*1)
	MOVAPD X4, X6                // y2 · w2
	MULPD  X10, X6
	SHUFPD $1, X4, X4
	MULPD  X11, X4
	ADDPD  X6, X4
	MOVUPD X4, (R10)(AX*1)
	MOVAPD X0, X6                // y3 · w3
	MULPD  X12, X6
	SHUFPD $1, X0, X0
	MULPD  X13, X0
	ADDPD  X6, X0
	MOVUPD X0, (R11)(AX*1)
	ADDQ   $16, AX
	CMPQ   AX, CX
	JLT    loop4w

done4:
	RET

// func radix5SSE2(o0, o1, o2, o3, o4, a0, a1, a2, a3, a4 *complex128, n int, w *float64)
TEXT ·radix5SSE2(SB), NOSPLIT, $0-96
	SIGNMASK
	BROADCAST($0x3fd3c6ef372fe950, X14) // cos(2π/5)
	BROADCAST($0xbfe9e3779b97f4a8, X13) // cos(4π/5)
	BROADCAST($0x3fee6f0e134454ff, X12) // sin(2π/5)
	BROADCAST($0x3fe2cf2304755a5e, X11) // sin(4π/5)
	MOVQ o0+0(FP), R8
	MOVQ o1+8(FP), R9
	MOVQ o2+16(FP), R10
	MOVQ o3+24(FP), R11
	MOVQ o4+32(FP), DI
	MOVQ a0+40(FP), R12
	MOVQ a1+48(FP), R13
	MOVQ a2+56(FP), R14
	MOVQ a3+64(FP), SI
	MOVQ a4+72(FP), BX
	MOVQ n+80(FP), CX
	MOVQ w+88(FP), DX
	SHLQ $4, CX
	JEQ  done5
	XORQ AX, AX

loop5:
	MOVUPD (R12)(AX*1), X0       // a0
	MOVUPD (R13)(AX*1), X1
	MOVUPD (BX)(AX*1), X4
	MOVAPD X1, X5
	ADDPD  X4, X5                // t1 = a1+a4
	SUBPD  X4, X1                // t3 = a1-a4
	MOVUPD (R14)(AX*1), X2
	MOVUPD (SI)(AX*1), X3
	MOVAPD X2, X6
	ADDPD  X3, X6                // t2 = a2+a3
	SUBPD  X3, X2                // t4 = a2-a3
	MOVAPD X0, X7
	ADDPD  X5, X7
	ADDPD  X6, X7                // y0
	MOVUPD X7, (R8)(AX*1)
	MOVAPD X5, X7
	MULPD  X14, X7
	MOVAPD X6, X8
	MULPD  X13, X8
	ADDPD  X8, X7
	ADDPD  X0, X7                // m1 = a0 + c1·t1 + c2·t2
	MULPD  X13, X5
	MULPD  X14, X6
	ADDPD  X6, X5
	ADDPD  X0, X5                // m2 = a0 + c2·t1 + c1·t2
	MOVAPD X1, X8
	MULPD  X12, X8
	MOVAPD X2, X9
	MULPD  X11, X9
	ADDPD  X9, X8                // n1 = s1·t3 + s2·t4
	MULPD  X11, X1
	MULPD  X12, X2
	SUBPD  X2, X1                // n2 = s2·t3 - s1·t4
	NEGI(X8)
	NEGI(X1)
	MOVAPD X7, X9
	ADDPD  X8, X9                // y1 = m1 - i·n1
	SUBPD  X8, X7                // y4 = m1 + i·n1
	MOVAPD X5, X10
	ADDPD  X1, X10               // y2 = m2 - i·n2
	SUBPD  X1, X5                // y3 = m2 + i·n2
	TESTQ  DX, DX
	JEQ    store5
	TWIDDLE(X9, DX, 0, X0, X2)
	TWIDDLE(X10, DX, 32, X0, X2)
	TWIDDLE(X5, DX, 64, X0, X2)
	TWIDDLE(X7, DX, 96, X0, X2)

store5:
	MOVUPD X9, (R9)(AX*1)
	MOVUPD X10, (R10)(AX*1)
	MOVUPD X5, (R11)(AX*1)
	MOVUPD X7, (DI)(AX*1)
	ADDQ   $16, AX
	CMPQ   AX, CX
	JLT    loop5

done5:
	RET
