// Package cartridge compares breech-face impressions on cartridge cases: it
// preprocesses raw scans, registers two scans cell by cell (the congruent
// matching cells family: Song 2013, Tong 2015, cmcR), applies the original
// and High-CMC decision rules, and turns the result into a similarity score
// and a calibrated figure.
package cartridge
