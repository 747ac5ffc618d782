// Package fft provides the real-input Fourier transforms and the
// cross-correlations that the comparison engines are built on.
//
// # Transforms
//
// Plan2D (rows×cols) and Plan1D (n) transform real arrays. A plan is made
// once for a size and reused: it owns its scratch buffers. Real inputs are
// row-major; the half spectrum of a real rows×cols input has rows×(cols/2+1)
// complex coefficients, row-major. Forward is unnormalised; Inverse divides
// by the number of points, so Inverse(Forward(x)) == x, and uses its input
// spectrum as scratch (it is overwritten). GoodSize gives the next
// 2·3·5-smooth size, the sizes the transforms are fastest for.
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
// reused over many rotation angles is transformed once.
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
