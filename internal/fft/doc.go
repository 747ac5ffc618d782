// Package fft provides the real-input Fourier transforms and the
// cross-correlations that the comparison engines are built on.
//
// # Transforms
//
// Plan2D (rows×cols) and Plan1D (n) transform real arrays. A plan is made
// once for a size and reused: it owns its scratch buffers. Real inputs are
// row-major; the half spectrum of a real rows×cols input has rows×(cols/2+1)
// complex coefficients, row-major. Forward is unnormalised; Inverse divides
// by the number of points, so Inverse(Forward(x)) == x. Plan2D.Inverse uses
// its input spectrum as scratch (it is overwritten); Plan1D.Inverse does not.
// GoodSize gives the next 2·3·5-smooth size, the sizes the transforms are
// fastest for; other sizes work (prime factors above 5 by an O(p²) pass).
//
// The transforms are written for this package: mixed-radix (4, 2, 3, 5)
// Stockham passes that work on several interleaved rows or columns at once
// (16 rows; a block of columns sized for the L2 cache), a real transform of
// even length as a complex one of half the length, and rows that are
// entirely zero skipped. On amd64 the butterflies are Go assembly: AVX, two
// complex128 per register, when the CPU has it (golang.org/x/sys/cpu), else
// SSE2, the amd64 baseline; with AVX the split steps of the real transforms
// and the correlator's spectrum product are assembly too.
// Elsewhere, or with the build tag purego, Go code computes the same
// (TestKernelAsmMatchesGo compares all three). No cgo. On the project machine
// the transforms are about 5× faster than gonum's dsp/fourier used the same
// way (rows by FFT, columns by CmplxFFT), which the tests keep as an
// independent reference and the benchmarks as the baseline.
//
// # Correlation
//
// CrossCorrelator correlates a small template (a cartridge-case cell)
// against a larger region at every integer shift; see Geometry for the shift
// convention and Map for the layout of the result. Two modes:
//
//   - ModeZeroFilled, the cmcR CCF (z-score, NaN→0, divide by the norms),
//     only fit for finding a shift;
//   - ModeMasked, the masked normalised cross-correlation: the exact
//     pairwise-complete Pearson correlation at every shift, with a minimum
//     number of valid pairs.
//
// Template spectra are cached in a Template (PrepareTemplate), so a cell
// reused over many rotation angles is transformed once. Per call, with the
// template cached:
//
//   - ZeroFilledCCF: one forward and one inverse transform;
//   - MaskedNCC: three forward and six inverse transforms; two and three when
//     the template has no missing pixel (the region-side sums are then box
//     sums, taken from 2D prefix sums); one and one when the region has none
//     either.
//
// The transform size is the smallest 2·3·5-smooth size that holds every
// wanted shift without wrap-around: bounding the shifts (Geometry.MaxShiftX,
// MaxShiftY) shrinks it, e.g. 288² for all shifts of a 68² cell over a 204²
// region, 240² for |shift| ≤ 102, 216² for |shift| ≤ 67.
//
// Aligner does the same for 1D signals (bullet signatures) over all lags,
// choosing the FFT or a direct sum, whichever is cheaper.
//
// # Missing values and results
//
// NaN marks a missing value in every input. Inputs are never modified,
// except the spectrum passed to an Inverse. A correlation value is NaN where
// it is undefined: fewer valid pairs than asked, or a side constant over the
// pairs; Map.ArgMax and Aligner.Align skip NaN and report ok=false when
// nothing is defined. A template with no variance is an error
// (ErrNoVariance). Wrong slice lengths given to a Plan panic (programmer
// error); the correlation types return errors instead.
//
// # Concurrency and allocation
//
// Plans, CrossCorrelators and Aligners are not safe for concurrent use: make
// one per goroutine. A prepared Template is only read and may be shared.
// In the steady state (buffers reused, dst arguments passed back in) no call
// allocates.
package fft
