// Package metrics measures how well similarity scores separate same-source
// from different-source pairs and how well they rank: ROC AUC, equal error
// rate, top-k hit rates and mean reciprocal rank. It knows nothing about
// cartridge cases or bullets; the benchmarks of both engines use it.
package metrics
