//go:build amd64 && !purego

#include "textflag.h"

// Radix-2, 3, 4 and 5 butterflies of the Stockham passes (kernel.go), SSE2
// only (the amd64 baseline), one complex128 per XMM register. Each function
//
//	func radixRRun(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)
//
// runs, for c < count, v butterflies on the interleaved vectors at
// in + c·inStep + j·sj and out + c·outStep + j·so (j < radix; strides in
// complex128 elements). When tw is not nil, output j ≥ 1 is multiplied by
// the twiddle at tw + c·twStep + 4(j-1) (float64 elements), stored as the
// pairs (re, re) and (-im, im). The caller checks the bounds.
//
// Registers: R12 input and R8 output pointers (advanced by 16 per element),
// R13/R14 = sj and 3·sj bytes, R9/R10 = so and 3·so bytes, CX = v, AX the
// element countdown, SI the count countdown, BX/R11 the input/output
// pointer steps between runs, DX/DI the twiddle pointer and step.
// X15 = (+0, -0), so that SHUFPD $1 then XORPD X15 multiplies by -i.

#define SIGNMASK \
	MOVQ   $0x8000000000000000, BX \
	MOVQ   BX, X15 \
	SHUFPD $1, X15, X15

// BROADCAST sets X to (c, c) for the float64 bits c, using BX.
#define BROADCAST(c, X) \
	MOVQ   c, BX \
	MOVQ   BX, X \
	SHUFPD $0, X, X

#define NEGI(X) \
	SHUFPD $1, X, X \
	XORPD  X15, X

// TWIDDLE multiplies Y by the twiddle at off(DX) using temporaries T, U.
#define TWIDDLE(Y, off, T, U) \
	MOVUPD off(DX), U \
	MOVAPD Y, T \
	MULPD  U, T \
	MOVUPD off+16(DX), U \
	SHUFPD $1, Y, Y \
	MULPD  U, Y \
	ADDPD  T, Y

#define PROLOGUE \
	MOVQ out+0(FP), R8 \
	MOVQ so+8(FP), R9 \
	SHLQ $4, R9 \
	LEAQ (R9)(R9*2), R10 \
	MOVQ in+16(FP), R12 \
	MOVQ sj+24(FP), R13 \
	SHLQ $4, R13 \
	LEAQ (R13)(R13*2), R14 \
	MOVQ v+32(FP), CX \
	MOVQ count+40(FP), SI \
	MOVQ inStep+48(FP), BX \
	SUBQ CX, BX \
	SHLQ $4, BX \
	MOVQ outStep+56(FP), R11 \
	SUBQ CX, R11 \
	SHLQ $4, R11 \
	MOVQ tw+64(FP), DX \
	MOVQ twStep+72(FP), DI \
	SHLQ $3, DI

// NEXT ends the element loop at label inner and the run loop at outer.
#define NEXT(inner, outer) \
	ADDQ $16, R12 \
	ADDQ $16, R8 \
	DECQ AX \
	JNE  inner \
	ADDQ BX, R12 \
	ADDQ R11, R8 \
	ADDQ DI, DX \
	DECQ SI \
	JNE  outer

// func radix2Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)
TEXT ·radix2Run(SB), NOSPLIT, $0-80
	PROLOGUE
	TESTQ CX, CX
	JEQ   done2
	TESTQ SI, SI
	JEQ   done2

outer2:
	MOVQ CX, AX

inner2:
	MOVUPD (R12), X0
	MOVUPD (R12)(R13*1), X1
	MOVAPD X0, X2
	ADDPD  X1, X2
	SUBPD  X1, X0
	MOVUPD X2, (R8)
	TESTQ  DX, DX
	JEQ    store2
	TWIDDLE(X0, 0, X3, X4)

store2:
	MOVUPD X0, (R8)(R9*1)
	NEXT(inner2, outer2)

done2:
	RET

// func radix3Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)
TEXT ·radix3Run(SB), NOSPLIT, $0-80
	SIGNMASK
	BROADCAST($0x3fe0000000000000, X14) // 0.5
	BROADCAST($0x3febb67ae8584caa, X13) // √3/2
	PROLOGUE
	TESTQ CX, CX
	JEQ   done3
	TESTQ SI, SI
	JEQ   done3

outer3:
	MOVQ CX, AX

inner3:
	MOVUPD (R12), X0
	MOVUPD (R12)(R13*1), X1
	MOVUPD (R12)(R13*2), X2
	MOVAPD X1, X3
	ADDPD  X2, X3               // t1 = a1+a2
	SUBPD  X2, X1               // d = a1-a2
	MOVAPD X0, X4
	ADDPD  X3, X4               // y0
	MOVUPD X4, (R8)
	MULPD  X14, X3
	SUBPD  X3, X0               // m = a0 - t1/2
	NEGI(X1)
	MULPD  X13, X1              // s = -i·(√3/2)·d
	MOVAPD X0, X5
	ADDPD  X1, X5               // y1 = m + s
	SUBPD  X1, X0               // y2 = m - s
	TESTQ  DX, DX
	JEQ    store3
	TWIDDLE(X5, 0, X6, X7)
	TWIDDLE(X0, 32, X6, X7)

store3:
	MOVUPD X5, (R8)(R9*1)
	MOVUPD X0, (R8)(R9*2)
	NEXT(inner3, outer3)

done3:
	RET

// RADIX4 computes y0..y3 of the elements at R12 into X2, X3, X4, X0.
#define RADIX4 \
	MOVUPD (R12), X0 \
	MOVUPD (R12)(R13*1), X1 \
	MOVUPD (R12)(R13*2), X2 \
	MOVUPD (R12)(R14*1), X3 \
	MOVAPD X0, X4 \
	ADDPD  X2, X4 \
	SUBPD  X2, X0 \
	MOVAPD X1, X5 \
	ADDPD  X3, X5 \
	SUBPD  X3, X1 \
	NEGI(X1) \
	MOVAPD X4, X2 \
	ADDPD  X5, X2 \
	SUBPD  X5, X4 \
	MOVAPD X0, X3 \
	ADDPD  X1, X3 \
	SUBPD  X1, X0

// func radix4Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)
TEXT ·radix4Run(SB), NOSPLIT, $0-80
	SIGNMASK
	PROLOGUE
	TESTQ CX, CX
	JEQ   done4
	TESTQ SI, SI
	JEQ   done4
	TESTQ DX, DX
	JNE   outer4w

outer4:
	MOVQ CX, AX

inner4:
	RADIX4
	MOVUPD X2, (R8)
	MOVUPD X3, (R8)(R9*1)
	MOVUPD X4, (R8)(R9*2)
	MOVUPD X0, (R8)(R10*1)
	NEXT(inner4, outer4)
	RET

outer4w:
	MOVQ   CX, AX
	MOVUPD 0(DX), X8
	MOVUPD 16(DX), X9
	MOVUPD 32(DX), X10
	MOVUPD 48(DX), X11
	MOVUPD 64(DX), X12
	MOVUPD 80(DX), X13

inner4w:
	RADIX4
	MOVUPD X2, (R8)
	MOVAPD X3, X6               // y1 · w1
	MULPD  X8, X6
	SHUFPD $1, X3, X3
	MULPD  X9, X3
	ADDPD  X6, X3
	MOVUPD X3, (R8)(R9*1)
	MOVAPD X4, X6               // y2 · w2
	MULPD  X10, X6
	SHUFPD $1, X4, X4
	MULPD  X11, X4
	ADDPD  X6, X4
	MOVUPD X4, (R8)(R9*2)
	MOVAPD X0, X6               // y3 · w3
	MULPD  X12, X6
	SHUFPD $1, X0, X0
	MULPD  X13, X0
	ADDPD  X6, X0
	MOVUPD X0, (R8)(R10*1)
	NEXT(inner4w, outer4w)

done4:
	RET

// func radix5Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)
TEXT ·radix5Run(SB), NOSPLIT, $0-80
	SIGNMASK
	BROADCAST($0x3fd3c6ef372fe950, X14) // cos(2π/5)
	BROADCAST($0xbfe9e3779b97f4a8, X13) // cos(4π/5)
	BROADCAST($0x3fee6f0e134454ff, X12) // sin(2π/5)
	BROADCAST($0x3fe2cf2304755a5e, X11) // sin(4π/5)
	PROLOGUE
	TESTQ CX, CX
	JEQ   done5
	TESTQ SI, SI
	JEQ   done5

outer5:
	MOVQ CX, AX

inner5:
	MOVUPD (R12), X0            // a0
	MOVUPD (R12)(R13*1), X1
	MOVUPD (R12)(R13*4), X4
	MOVAPD X1, X5
	ADDPD  X4, X5               // t1 = a1+a4
	SUBPD  X4, X1               // t3 = a1-a4
	MOVUPD (R12)(R13*2), X2
	MOVUPD (R12)(R14*1), X3
	MOVAPD X2, X6
	ADDPD  X3, X6               // t2 = a2+a3
	SUBPD  X3, X2               // t4 = a2-a3
	MOVAPD X0, X7
	ADDPD  X5, X7
	ADDPD  X6, X7               // y0
	MOVUPD X7, (R8)
	MOVAPD X5, X7
	MULPD  X14, X7
	MOVAPD X6, X8
	MULPD  X13, X8
	ADDPD  X8, X7
	ADDPD  X0, X7               // m1 = a0 + c1·t1 + c2·t2
	MULPD  X13, X5
	MULPD  X14, X6
	ADDPD  X6, X5
	ADDPD  X0, X5               // m2 = a0 + c2·t1 + c1·t2
	MOVAPD X1, X8
	MULPD  X12, X8
	MOVAPD X2, X9
	MULPD  X11, X9
	ADDPD  X9, X8               // n1 = s1·t3 + s2·t4
	MULPD  X11, X1
	MULPD  X12, X2
	SUBPD  X2, X1               // n2 = s2·t3 - s1·t4
	NEGI(X8)
	NEGI(X1)
	MOVAPD X7, X9
	ADDPD  X8, X9               // y1 = m1 - i·n1
	SUBPD  X8, X7               // y4 = m1 + i·n1
	MOVAPD X5, X10
	ADDPD  X1, X10              // y2 = m2 - i·n2
	SUBPD  X1, X5               // y3 = m2 + i·n2
	TESTQ  DX, DX
	JEQ    store5
	TWIDDLE(X9, 0, X0, X2)
	TWIDDLE(X10, 32, X0, X2)
	TWIDDLE(X5, 64, X0, X2)
	TWIDDLE(X7, 96, X0, X2)

store5:
	MOVUPD X9, (R8)(R9*1)
	MOVUPD X10, (R8)(R9*2)
	MOVUPD X5, (R8)(R10*1)
	MOVUPD X7, (R8)(R9*4)
	NEXT(inner5, outer5)

done5:
	RET
