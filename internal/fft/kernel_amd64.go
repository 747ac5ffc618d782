//go:build amd64 && !purego

package fft

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
