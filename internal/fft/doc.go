// Package fft provides the two-dimensional real-input Fourier transforms and
// cross-correlations that the comparison engines are built on.
//
// A Plan2D is made once for a size and reused: it owns its scratch buffers, so
// one Plan2D must not be used by two goroutines at once. Make one per worker.
//
// Layout: real inputs are row-major rows×cols. The half spectrum of a real
// input has rows×(cols/2+1) complex coefficients, row-major. Forward is
// unnormalised; Inverse divides by rows×cols, so Inverse(Forward(x)) == x.
package fft
