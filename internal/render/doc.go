// Package render draws height maps as images for the virtual comparison
// microscope, reports and the README (algorithms.md §8).
//
// Relief shades a surface as if lit by a distant light (Lambert hill-shading
// from surface normals computed with the real lateral spacing, in µm), can
// tint it with a perceptually uniform height colour map (viridis, mapped on
// robust percentiles), and draws a µm scale bar and coloured boxes.
//
// # Orientation
//
// Pixel column i shows map column i. By default pixel row j shows map row j,
// so row 0 is at the top, as image viewers and x3ptools show a scan and as
// the surface package describes rotations; bullet lands in CSAFE's
// orientation then have their base at the bottom. Options.YUp draws row 0
// at the bottom instead (y pointing up). The light azimuth is measured clockwise from the top of the
// image: 315° lights from the upper left.
//
// # Missing points
//
// NaN points are fully transparent (alpha 0) in the NRGBA output. Normals
// next to missing points use one-sided differences; an isolated point is
// shaded as flat.
//
// # Boxes
//
// Box coordinates are in the grid of the map given to Relief (columns and
// rows, fractional allowed, X1 and Y1 exclusive), never in pixels, so they
// stay right under MaxWidth downscaling and YUp.
//
// No function keeps or changes its inputs; every image returned is new.
package render
