//go:build amd64 && !purego

package fft

// haveAsm reports whether the SSE2 butterflies of kernel_amd64.s exist.
const haveAsm = true

// The butterflies of kernel_amd64.s: n elements of each input and output
// vector; w is nil (no twiddles) or points at 4·(radix-1) float64.

//go:noescape
func radix2SSE2(o0, o1, a0, a1 *complex128, n int, w *float64)

//go:noescape
func radix3SSE2(o0, o1, o2, a0, a1, a2 *complex128, n int, w *float64)

//go:noescape
func radix4SSE2(o0, o1, o2, o3, a0, a1, a2, a3 *complex128, n int, w *float64)

//go:noescape
func radix5SSE2(o0, o1, o2, o3, o4, a0, a1, a2, a3, a4 *complex128, n int, w *float64)
