//go:build amd64 && !purego

package fft

import "golang.org/x/sys/cpu"

// haveAsm reports whether the SSE2 butterflies of kernel_amd64.s exist.
const haveAsm = true

// The butterfly runs of kernel_amd64.s (see there for the arguments).

//go:noescape
func radix2Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)

//go:noescape
func radix3Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)

//go:noescape
func radix4Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)

//go:noescape
func radix5Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)

// haveAVX reports whether the CPU runs the AVX butterflies of
// kernel_avx_amd64.s (two complex128 per register; even vector widths).
var haveAVX = cpu.X86.HasAVX

//go:noescape
func radix2RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)

//go:noescape
func radix3RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)

//go:noescape
func radix4RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)

//go:noescape
func radix5RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int)

//go:noescape
func mulAVX(dst, a, b *complex128, n int)

// mulSpectra sets dst[i] = a[i]·b[i]; the slices have equal lengths.
func mulSpectra(dst, a, b []complex128) {
	n := len(dst)
	a, b = a[:n], b[:n]
	done := 0
	if haveAVX && n >= 2 {
		done = n &^ 1
		mulAVX(&dst[0], &a[0], &b[0], done)
	}
	for i := done; i < n; i++ {
		dst[i] = a[i] * b[i]
	}
}

//go:noescape
func invSplitAVX(a, spec *complex128, w *float64, m, v, h int)

//go:noescape
func fwdSplitAVX(dst, res *complex128, w *float64, m, v, h int)
