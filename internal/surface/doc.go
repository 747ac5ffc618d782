// Package surface holds height maps of fired ammunition and the NaN-aware
// operations the comparison engines need.
//
// # Conventions
//
// A Map is a regular grid of heights stored row-major: Z[row*NX+col]. Column
// index runs along x, row index along y; row 0 is the first row stored in the
// X3P file (X3P stores x fastest, so the X3P order and ours coincide).
//
// Every length in this package is in micrometres (µm): heights, the lateral
// spacings DX and DY, and the origin. X3P stores metres; the x3p package
// converts at the file edge, so nothing here ever sees metres.
//
// NaN marks a missing point (no measurement, masked out, outside the region
// of interest). Every operation documents how it treats NaN; none of them
// turns a missing point into a made-up height unless it says so.
//
// Functions that return a new Map never alias their input. Methods whose name
// ends in InPlace change the receiver.
package surface
