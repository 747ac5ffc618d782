//go:build !amd64 || purego

package fft

// haveAsm is false: every pass runs the Go butterflies.
const haveAsm = false

func radix2Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int) {
	panic("fft: no assembly")
}

func radix3Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int) {
	panic("fft: no assembly")
}

func radix4Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int) {
	panic("fft: no assembly")
}

func radix5Run(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int) {
	panic("fft: no assembly")
}

// haveAVX is false: no assembly.
const haveAVX = false

func radix2RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int) {
	panic("fft: no assembly")
}

func radix3RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int) {
	panic("fft: no assembly")
}

func radix4RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int) {
	panic("fft: no assembly")
}

func radix5RunAVX(out *complex128, so int, in *complex128, sj, v, count, inStep, outStep int, tw *float64, twStep int) {
	panic("fft: no assembly")
}

// mulSpectra sets dst[i] = a[i]·b[i]; the slices have equal lengths.
func mulSpectra(dst, a, b []complex128) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func invSplitAVX(a, spec *complex128, w *float64, m, v, h int) { panic("fft: no assembly") }

func fwdSplitAVX(dst, res *complex128, w *float64, m, v, h int) { panic("fft: no assembly") }
