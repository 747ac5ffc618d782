// Package surface holds height maps of fired ammunition and the NaN-aware
// operations the comparison engines need.
//
// # Conventions
//
// A Map is a regular grid of heights stored row-major: Z[row*NX+col]. Column
// index runs along x, row index along y; row 0 is the first row stored in the
// X3P file (X3P stores x fastest, so the X3P order and ours coincide). The
// point at column c, row r lies at x = X0 + c·DX, y = Y0 + r·DY.
//
// Every length in this package is in micrometres (µm): heights, the lateral
// spacings DX and DY, the origin, filter cut-offs and erosion radii. X3P
// stores metres; the x3p package converts at the file edge, so nothing here
// ever sees metres. Pixel arguments (Crop, Decimate, rotation centres, Mask
// operations) say so.
//
// NaN marks a missing point (no measurement, masked out, outside the region
// of interest). Every operation documents how it treats NaN; none of them
// turns a missing point into a made-up height unless it says so. In short:
// Crop, TrimNaN, Decimate and SubtractPlane copy NaN through; Rotate,
// Interpolate and Resample give NaN wherever an input point with a non-zero
// interpolation weight is NaN or the source lies outside the map; the
// Gaussian filters are NaN exactly where the input is (ISO normalised
// convolution, or cmcR-compatible zero filling); plane fits and statistics
// ignore NaN; Erode adds NaN. Heights are expected to be finite or NaN;
// ±Inf is not a missing-point marker and propagates through arithmetic.
//
// # Aliasing and mutation
//
// Functions and methods that return a new Map never alias their input and
// never change it. Functions that take a dst argument first (Rotate,
// RotateAbout) write into dst and return it; a nil dst is allocated, a dst of
// the wrong size panics (a programmer error). Methods whose name ends in
// InPlace change the receiver. Bad arguments that may come from users (a
// cut-off, a crop window, a spacing) give an error, never a panic.
//
// # Operations
//
//   - Geometry: Crop, CropMicrons, TrimNaN, Decimate (x3ptools x3p_sample),
//     Interpolate and Resample (anti-aliased), Rotate and RotateAbout
//     (bilinear or nearest; exact for multiples of 90°).
//   - Form removal: FitPlane (least squares), FitPlaneQuantile (median or any
//     quantile, cmcR's robust de-trending, solved exactly by a Frisch–Newton
//     interior-point method), SubtractPlane, RemovePlane.
//   - Filtering: GaussianLowPass, GaussianHighPass, GaussianBandPass (ISO
//     16610-61 by normalised convolution) and Filter for options: the
//     cmcR-compatible kernel, a minimum valid weight, and the second-order
//     Gaussian regression filter (Order 2) for edge fidelity.
//   - Masks: Mask (valid region and other regions), Map.ValidMask,
//     Map.ApplyMask, Map.Erode (disk, µm, exact distance transform),
//     Mask.Erode, Mask.Dilate, Mask.Label (4- or 8-connected components with
//     sizes, centroids and bounding boxes).
//   - Statistics: Map.Stats (Min, Max, Mean, Sa, Sq, valid share),
//     Map.Standardise.
package surface
