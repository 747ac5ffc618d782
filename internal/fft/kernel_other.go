//go:build !amd64 || purego

package fft

// haveAsm is false: every pass runs the Go butterflies.
const haveAsm = false

func radix2SSE2(o0, o1, a0, a1 *complex128, n int, w *float64) { panic("fft: no assembly") }

func radix3SSE2(o0, o1, o2, a0, a1, a2 *complex128, n int, w *float64) {
	panic("fft: no assembly")
}

func radix4SSE2(o0, o1, o2, o3, a0, a1, a2, a3 *complex128, n int, w *float64) {
	panic("fft: no assembly")
}

func radix5SSE2(o0, o1, o2, o3, o4, a0, a1, a2, a3, a4 *complex128, n int, w *float64) {
	panic("fft: no assembly")
}
