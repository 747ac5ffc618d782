//go:build amd64 && !purego

#include "textflag.h"

// AVX versions of the butterfly runs of kernel_amd64.s (same arguments and
// registers), two complex128 per YMM register: v must be even. Twiddle pairs
// are broadcast to both 128-bit lanes. Y15 = (+0, -0, +0, -0).

#define SIGNMASK_AVX \
	MOVQ        $0x8000000000000000, BX \
	VMOVQ       BX, X15 \
	VPERMILPD   $1, X15, X15 \
	VINSERTF128 $1, X15, Y15, Y15

#define BROADCAST_AVX(c, X, Y) \
	MOVQ        c, BX \
	VMOVQ       BX, X \
	VMOVDDUP    X, X \
	VINSERTF128 $1, X, Y, Y

#define NEGI_AVX(Y) \
	VPERMILPD $5, Y, Y \
	VXORPD    Y15, Y, Y

// TWIDDLE_AVX multiplies Y by the twiddle at off(DX) using temporaries T, U.
#define TWIDDLE_AVX(Y, off, T, U) \
	VBROADCASTF128 off(DX), U \
	VMULPD         U, Y, T \
	VBROADCASTF128 off+16(DX), U \
	VPERMILPD      $5, Y, Y \
	VMULPD         U, Y, Y \
	VADDPD         T, Y, Y

#define PROLOGUE_AVX \
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
	SHLQ $3, DI \
	SHRQ $1, CX

#define NEXT_AVX(inner, outer) \
	ADDQ $32, R12 \
	ADDQ $32, R8 \
	DECQ AX \
	JNE  inner \
	ADDQ BX, R12 \
	ADDQ R11, R8 \
	ADDQ DI, DX \
	DECQ SI \
	JNE  outer

// func radix2RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)
TEXT ·radix2RunAVX(SB), NOSPLIT, $0-80
	PROLOGUE_AVX
	TESTQ CX, CX
	JEQ   done2
	TESTQ SI, SI
	JEQ   done2

outer2:
	MOVQ CX, AX

inner2:
	VMOVUPD (R12), Y0
	VMOVUPD (R12)(R13*1), Y1
	VADDPD  Y1, Y0, Y2
	VSUBPD  Y1, Y0, Y0
	VMOVUPD Y2, (R8)
	TESTQ   DX, DX
	JEQ     store2
	TWIDDLE_AVX(Y0, 0, Y3, Y4)

store2:
	VMOVUPD Y0, (R8)(R9*1)
	NEXT_AVX(inner2, outer2)

done2:
	VZEROUPPER
	RET

// func radix3RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)
TEXT ·radix3RunAVX(SB), NOSPLIT, $0-80
	SIGNMASK_AVX
	BROADCAST_AVX($0x3fe0000000000000, X14, Y14) // 0.5
	BROADCAST_AVX($0x3febb67ae8584caa, X13, Y13) // √3/2
	PROLOGUE_AVX
	TESTQ CX, CX
	JEQ   done3
	TESTQ SI, SI
	JEQ   done3

outer3:
	MOVQ CX, AX

inner3:
	VMOVUPD (R12), Y0
	VMOVUPD (R12)(R13*1), Y1
	VMOVUPD (R12)(R13*2), Y2
	VADDPD  Y2, Y1, Y3           // t1 = a1+a2
	VSUBPD  Y2, Y1, Y1           // d = a1-a2
	VADDPD  Y3, Y0, Y4           // y0
	VMOVUPD Y4, (R8)
	VMULPD  Y14, Y3, Y3
	VSUBPD  Y3, Y0, Y0           // m = a0 - t1/2
	NEGI_AVX(Y1)
	VMULPD  Y13, Y1, Y1          // s = -i·(√3/2)·d
	VADDPD  Y1, Y0, Y5           // y1 = m + s
	VSUBPD  Y1, Y0, Y0           // y2 = m - s
	TESTQ   DX, DX
	JEQ     store3
	TWIDDLE_AVX(Y5, 0, Y6, Y7)
	TWIDDLE_AVX(Y0, 32, Y6, Y7)

store3:
	VMOVUPD Y5, (R8)(R9*1)
	VMOVUPD Y0, (R8)(R9*2)
	NEXT_AVX(inner3, outer3)

done3:
	VZEROUPPER
	RET

#define RADIX4_AVX \
	VMOVUPD (R12), Y0 \
	VMOVUPD (R12)(R13*1), Y1 \
	VMOVUPD (R12)(R13*2), Y2 \
	VMOVUPD (R12)(R14*1), Y3 \
	VADDPD  Y2, Y0, Y4 \
	VSUBPD  Y2, Y0, Y0 \
	VADDPD  Y3, Y1, Y5 \
	VSUBPD  Y3, Y1, Y1 \
	NEGI_AVX(Y1) \
	VADDPD  Y5, Y4, Y2 \
	VSUBPD  Y5, Y4, Y4 \
	VADDPD  Y1, Y0, Y3 \
	VSUBPD  Y1, Y0, Y0

// func radix4RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)
TEXT ·radix4RunAVX(SB), NOSPLIT, $0-80
	SIGNMASK_AVX
	PROLOGUE_AVX
	TESTQ CX, CX
	JEQ   done4
	TESTQ SI, SI
	JEQ   done4
	TESTQ DX, DX
	JNE   outer4w

outer4:
	MOVQ CX, AX

inner4:
	RADIX4_AVX
	VMOVUPD Y2, (R8)
	VMOVUPD Y3, (R8)(R9*1)
	VMOVUPD Y4, (R8)(R9*2)
	VMOVUPD Y0, (R8)(R10*1)
	NEXT_AVX(inner4, outer4)
	VZEROUPPER
	RET

outer4w:
	MOVQ           CX, AX
	VBROADCASTF128 0(DX), Y8
	VBROADCASTF128 16(DX), Y9
	VBROADCASTF128 32(DX), Y10
	VBROADCASTF128 48(DX), Y11
	VBROADCASTF128 64(DX), Y12
	VBROADCASTF128 80(DX), Y13

inner4w:
	RADIX4_AVX
	VMOVUPD   Y2, (R8)
	VMULPD    Y8, Y3, Y6         // y1 · w1
	VPERMILPD $5, Y3, Y3
	VMULPD    Y9, Y3, Y3
	VADDPD    Y6, Y3, Y3
	VMOVUPD   Y3, (R8)(R9*1)
	VMULPD    Y10, Y4, Y6        // y2 · w2
	VPERMILPD $5, Y4, Y4
	VMULPD    Y11, Y4, Y4
	VADDPD    Y6, Y4, Y4
	VMOVUPD   Y4, (R8)(R9*2)
	VMULPD    Y12, Y0, Y6        // y3 · w3
	VPERMILPD $5, Y0, Y0
	VMULPD    Y13, Y0, Y0
	VADDPD    Y6, Y0, Y0
	VMOVUPD   Y0, (R8)(R10*1)
	NEXT_AVX(inner4w, outer4w)

done4:
	VZEROUPPER
	RET

// func radix5RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)
TEXT ·radix5RunAVX(SB), NOSPLIT, $0-80
	SIGNMASK_AVX
	BROADCAST_AVX($0x3fd3c6ef372fe950, X14, Y14) // cos(2π/5)
	BROADCAST_AVX($0xbfe9e3779b97f4a8, X13, Y13) // cos(4π/5)
	BROADCAST_AVX($0x3fee6f0e134454ff, X12, Y12) // sin(2π/5)
	BROADCAST_AVX($0x3fe2cf2304755a5e, X11, Y11) // sin(4π/5)
	PROLOGUE_AVX
	TESTQ CX, CX
	JEQ   done5
	TESTQ SI, SI
	JEQ   done5

outer5:
	MOVQ CX, AX

inner5:
	VMOVUPD (R12), Y0            // a0
	VMOVUPD (R12)(R13*1), Y1
	VMOVUPD (R12)(R13*4), Y4
	VADDPD  Y4, Y1, Y5           // t1 = a1+a4
	VSUBPD  Y4, Y1, Y1           // t3 = a1-a4
	VMOVUPD (R12)(R13*2), Y2
	VMOVUPD (R12)(R14*1), Y3
	VADDPD  Y3, Y2, Y6           // t2 = a2+a3
	VSUBPD  Y3, Y2, Y2           // t4 = a2-a3
	VADDPD  Y5, Y0, Y7
	VADDPD  Y6, Y7, Y7           // y0
	VMOVUPD Y7, (R8)
	VMULPD  Y14, Y5, Y7
	VMULPD  Y13, Y6, Y8
	VADDPD  Y8, Y7, Y7
	VADDPD  Y0, Y7, Y7           // m1 = a0 + c1·t1 + c2·t2
	VMULPD  Y13, Y5, Y5
	VMULPD  Y14, Y6, Y6
	VADDPD  Y6, Y5, Y5
	VADDPD  Y0, Y5, Y5           // m2 = a0 + c2·t1 + c1·t2
	VMULPD  Y12, Y1, Y8
	VMULPD  Y11, Y2, Y9
	VADDPD  Y9, Y8, Y8           // n1 = s1·t3 + s2·t4
	VMULPD  Y11, Y1, Y1
	VMULPD  Y12, Y2, Y2
	VSUBPD  Y2, Y1, Y1           // n2 = s2·t3 - s1·t4
	NEGI_AVX(Y8)
	NEGI_AVX(Y1)
	VADDPD  Y8, Y7, Y9           // y1 = m1 - i·n1
	VSUBPD  Y8, Y7, Y7           // y4 = m1 + i·n1
	VADDPD  Y1, Y5, Y10          // y2 = m2 - i·n2
	VSUBPD  Y1, Y5, Y5           // y3 = m2 + i·n2
	TESTQ   DX, DX
	JEQ     store5
	TWIDDLE_AVX(Y9, 0, Y0, Y2)
	TWIDDLE_AVX(Y10, 32, Y0, Y2)
	TWIDDLE_AVX(Y5, 64, Y0, Y2)
	TWIDDLE_AVX(Y7, 96, Y0, Y2)

store5:
	VMOVUPD Y9, (R8)(R9*1)
	VMOVUPD Y10, (R8)(R9*2)
	VMOVUPD Y5, (R8)(R10*1)
	VMOVUPD Y7, (R8)(R9*4)
	NEXT_AVX(inner5, outer5)

done5:
	VZEROUPPER
	RET

// func mulAVX(dst, a, b *complex128, n int)
//
// dst[i] = a[i]·b[i] for i < n, n even.
TEXT ·mulAVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $1, CX
	JEQ  donemul

loopmul:
	VMOVUPD   (SI), Y0               // a
	VMOVUPD   (DX), Y1               // b
	VMOVDDUP  Y1, Y2                 // (b.re, b.re)
	VPERMILPD $15, Y1, Y3            // (b.im, b.im)
	VMULPD    Y2, Y0, Y2             // (a.re·b.re, a.im·b.re)
	VPERMILPD $5, Y0, Y0             // (a.im, a.re)
	VMULPD    Y3, Y0, Y0             // (a.im·b.im, a.re·b.im)
	VADDSUBPD Y0, Y2, Y2             // (a.re·b.re - a.im·b.im, a.im·b.re + a.re·b.im)
	VMOVUPD   Y2, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	ADDQ      $32, DI
	DECQ      CX
	JNE       loopmul

donemul:
	VZEROUPPER
	RET

// func invSplitAVX(a, spec *complex128, w *float64, m, v, h int)
//
// The split step of the inverse real transform for v rows (v even) of
// half spectra spec (row stride h complex128): for k < m and r < v,
//
//	S = X[k] + conj(X[m-k]), D = X[k] - conj(X[m-k]),
//	a[k·v + r] = swap(S + i·D·conj(w_k))   (twice the usual value),
//
// with w holding per k the pairs (re, -re) and (im, im) of w_k. Two rows per
// YMM register.
TEXT ·invSplitAVX(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), DI
	MOVQ spec+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ h+40(FP), R10
	SHLQ $4, R10                     // row stride in bytes
	TESTQ R8, R8
	JEQ   donesplit
	SHRQ  $1, R9                     // row pairs
	JEQ   donesplit

	// Y15 = (+0, -0, +0, -0): XOR conjugates.
	MOVQ        $0x8000000000000000, BX
	VMOVQ       BX, X15
	VPERMILPD   $1, X15, X15
	VINSERTF128 $1, X15, Y15, Y15

	XORQ CX, CX                      // k

loopk:
	VBROADCASTF128 (DX), Y8          // (re, -re)
	VBROADCASTF128 16(DX), Y9        // (im, im)
	MOVQ CX, R11
	SHLQ $4, R11                     // k bytes
	MOVQ R8, R12
	SUBQ CX, R12
	SHLQ $4, R12                     // (m-k) bytes
	LEAQ (SI)(R11*1), R13            // &spec[0·h + k]
	LEAQ (SI)(R12*1), R14            // &spec[0·h + m-k]
	MOVQ R9, AX                      // row pairs left

loopr:
	VMOVUPD     (R13), X0
	VINSERTF128 $1, (R13)(R10*1), Y0, Y0   // X[k] of rows r, r+1
	VMOVUPD     (R14), X1
	VINSERTF128 $1, (R14)(R10*1), Y1, Y1   // X[m-k]
	VXORPD      Y15, Y1, Y1                // conj
	VADDPD      Y1, Y0, Y2                 // S
	VSUBPD      Y1, Y0, Y3                 // D
	VPERMILPD   $5, Y2, Y2                 // swap(S)
	VMULPD      Y8, Y3, Y4                 // (dr·wr, -di·wr)
	VPERMILPD   $5, Y3, Y3
	VMULPD      Y9, Y3, Y3                 // (di·wi, dr·wi)
	VADDPD      Y4, Y2, Y2
	VADDPD      Y3, Y2, Y2
	VMOVUPD     Y2, (DI)
	ADDQ        $32, DI
	LEAQ        (R13)(R10*2), R13
	LEAQ        (R14)(R10*2), R14
	DECQ        AX
	JNE         loopr

	ADDQ $32, DX
	INCQ CX
	CMPQ CX, R8
	JLT  loopk

donesplit:
	VZEROUPPER
	RET

// func fwdSplitAVX(dst, res *complex128, w *float64, m, v, h int)
//
// The split step of the forward real transform for v rows (v even): res
// holds the complex transforms of the rows interleaved (res[k·v + r]); for
// 1 ≤ k < m,
//
//	S = Z[k] + conj(Z[m-k]), D = Z[k] - conj(Z[m-k]),
//	dst[r·h + k] = ½·(S + w_k·(-i·D)),
//
// with w holding per k the pairs (re, re) and (-im, im) of w_k. Two rows per
// YMM register; k = 0 and k = m are left to the caller.
TEXT ·fwdSplitAVX(SB), NOSPLIT, $0-48
	MOVQ        $0x8000000000000000, BX
	VMOVQ       BX, X15
	VPERMILPD   $1, X15, X15
	VINSERTF128 $1, X15, Y15, Y15    // (+0, -0, +0, -0)
	MOVQ        $0x3fe0000000000000, BX
	VMOVQ       BX, X14
	VMOVDDUP    X14, X14
	VINSERTF128 $1, X14, Y14, Y14    // 0.5

	MOVQ dst+0(FP), DI
	MOVQ res+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ h+40(FP), R10
	SHLQ $4, R10                     // row stride of dst in bytes
	MOVQ R9, BX
	SHLQ $4, BX                      // v complex128 in bytes
	SHRQ $1, R9                      // row pairs
	JEQ  donefwd
	CMPQ R8, $2
	JLT  donefwd

	MOVQ $1, CX                      // k

loopfk:
	MOVQ CX, R11
	SHLQ $5, R11
	VBROADCASTF128 (DX)(R11*1), Y8   // (re, re)
	VBROADCASTF128 16(DX)(R11*1), Y9 // (-im, im)
	MOVQ CX, R12
	IMULQ BX, R12
	LEAQ (SI)(R12*1), R12            // &res[k·v]
	MOVQ R8, R13
	SUBQ CX, R13
	IMULQ BX, R13
	LEAQ (SI)(R13*1), R13            // &res[(m-k)·v]
	MOVQ CX, R14
	SHLQ $4, R14
	ADDQ DI, R14                     // &dst[0·h + k]
	MOVQ R9, AX

loopfr:
	VMOVUPD      (R12), Y0                // Z[k], rows r, r+1
	VMOVUPD      (R13), Y1                // Z[m-k]
	VXORPD       Y15, Y1, Y1              // conj
	VADDPD       Y1, Y0, Y2               // S
	VSUBPD       Y1, Y0, Y3               // D
	VPERMILPD    $5, Y3, Y3
	VXORPD       Y15, Y3, Y3              // -i·D
	VMULPD       Y8, Y3, Y4
	VPERMILPD    $5, Y3, Y3
	VMULPD       Y9, Y3, Y3
	VADDPD       Y4, Y3, Y3               // w·(-i·D)
	VADDPD       Y3, Y2, Y2
	VMULPD       Y14, Y2, Y2              // ½·(S + w·(-i·D))
	VMOVUPD      X2, (R14)
	VEXTRACTF128 $1, Y2, X3
	VMOVUPD      X3, (R14)(R10*1)
	ADDQ         $32, R12
	ADDQ         $32, R13
	LEAQ         (R14)(R10*2), R14
	DECQ         AX
	JNE          loopfr

	INCQ CX
	CMPQ CX, R8
	JLT  loopfk

donefwd:
	VZEROUPPER
	RET
