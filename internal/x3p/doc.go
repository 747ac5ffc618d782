// Package x3p reads and writes ISO 5436-2 X3P files (the surface-texture
// exchange format used for firearm toolmark scans).
//
// # Units
//
// X3P stores metres. This package converts at the file edge: File.Surface,
// File.Points and every length outside Header are in micrometres (µm).
// Header keeps the file's own values (metres, raw data types) so that the
// metadata can be shown and written back unchanged.
//
// Heights and absolute coordinates follow the ISO 5436-2 formula
// real = Offset + Increment × stored value (metres), then × 1e6. For integer
// Z types (I = int16, L = int32) this is how heights are encoded; for float
// types (F, D) writers normally give increment 1 and offset 0, and a file
// that does not gets a "z-scaled" warning because x3ptools ignores both.
//
// # Orientation
//
// Row 0 of Surface is the first row stored in the file and column 0 the first
// value of each row: X3P stores x fastest, so Surface.Z has exactly the file's
// point order. Nothing is flipped. (By the x3ptools convention the first
// stored row is the top of the image; CSAFE files say <Origin>NW</Origin>.)
// Surface.X0 and Surface.Y0 are the CX and CY offsets in µm.
//
// # Missing points
//
// NaN marks a missing point. A point is missing when its float value is NaN,
// when valid.bin clears its bit (valid.bin: one bit per point in data order,
// least significant bit first within each byte, as in the openGPS reference
// implementation), or when its inline DataList Datum is empty.
//
// # Feature types
//
// SUR and PRF files fill Surface (a profile is a 1-row or 1-column map).
// PCL point clouds leave Surface nil and fill Points. A matrix whose X or Y
// axis is absolute (coordinates stored per point) fills both: Surface on the
// matrix grid (index × increment) and Points with the exact coordinates.
// When SizeZ > 1 only layer 1 is kept, with a warning.
//
// # Masks, metadata and extensions
//
// The CSAFE <Mask> block (background colour, colour → label annotations) and
// the mask.png raster (rows = SizeY, row 0 = first stored row) are kept in
// File.Mask; the PNG bytes are kept verbatim and decoded once only to check
// them. An unreadable PNG is an error: the file claims a mask that cannot be
// honoured, and silently dropping it would hand unmasked data to an
// examiner. A PNG whose size differs from the matrix is only a warning.
// Record2 is kept as parsed (dates verbatim). Every element this package does
// not interpret (<Origin>, vendor elements, ...) is kept in
// Header.Extensions as XML with its parent path, and other zip members
// (vendor files) in File.Members; Write puts all of them back.
//
// # Writing
//
// Write takes the geometry from Surface (or Points for a point cloud) and
// writes the x3ptools layout: main.xml with the namespaced p:ISO5436_2 root,
// md5checksum.hex (md5sum format), bindata/data.bin (little-endian, x
// fastest, float64 by default or float32 when Header.Z.DataType is "F", NaN
// for missing points, never valid.bin) and bindata/mask.png. Metres are
// recovered so that reading the written file gives bit-identical heights
// and spacings, and NaN payloads (R's NA) are preserved: a float file (D or F)
// read and written unchanged has an identical data.bin.
//
// # Safety
//
// Read treats its input as hostile. Declared sizes are checked against
// Options limits (200 million points by default), against the sizes the zip
// directory records and against what deflate can produce from the
// compressed bytes, all before anything is allocated; data.bin is inflated
// once, streaming, and its MD5 computed on the way. Links that are absolute
// or leave the archive (zip-slip) are refused; main.xml depth and element
// count are bounded. Read and Write never modify their arguments; Read
// returns a File that shares nothing with the input.
//
// # Errors and warnings
//
// Invalid input gives a *FormatError naming the zip member or XML element at
// fault; a valid file using something not implemented, or exceeding Options
// limits, gives an *UnsupportedError. Defects that leave the heights usable
// (checksum mismatches, ignored layers) are returned as File.Warnings, to be
// kept in the chain of custody. Read never panics on bad input.
package x3p
