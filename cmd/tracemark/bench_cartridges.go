package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
)

func newBenchCartridgesCmd() *cobra.Command {
	var (
		cfg         cartridge.BenchConfig
		report      string
		mode        string
		preset      string
		calibration string
		fullReport  bool
	)
	cmd := &cobra.Command{
		Use:   "cartridges --data DIR --truth CSV",
		Short: "Compare every pair of a cartridge-case set and report accuracy, ranking and speed",
		Long: `Compare every pair of breech-face scans listed in a ground-truth CSV
(columns file, relative to --data, and source_id), in parallel, then print
and optionally write a JSON report: pairs, same_source_pairs, auc, eer,
min_same_score, max_diff_score, cmc_same_min, cmc_diff_max (High-CMC),
top1/top5/top10/mrr (each scan queries all others), pairs_per_second,
median_pair_ms, workers, mode and machine details. Each scan is
preprocessed once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.DataDir == "" || cfg.TruthCSV == "" {
				return fmt.Errorf("bench cartridges: give --data DIR and --truth CSV")
			}
			m, err := cartridge.ParseMode(mode)
			if err != nil {
				return err
			}
			cfg.Compare = cartridge.DefaultConfig()
			if preset == "cmcr" {
				cfg.Compare = cartridge.CmcRConfig()
			}
			cfg.Compare.Mode = m
			if cfg.Preprocess, err = cartridge.PreprocessPreset(preset); err != nil {
				return err
			}
			if calibration != "" {
				b, err := os.ReadFile(calibration)
				if err != nil {
					return err
				}
				if cfg.Calibration, err = cartridge.ParseCalibration(b); err != nil {
					return err
				}
			}
			var bar *progressbar.ProgressBar
			cfg.Stage = func(name string, total int) {
				if bar != nil {
					_ = bar.Finish()
					fmt.Fprintln(os.Stderr)
				}
				bar = newProgressBar(os.Stderr, total, name, progressbar.OptionShowElapsedTimeOnFinish())
			}
			cfg.Step = func() { _ = bar.Add(1) }
			rep, err := cartridge.RunBench(cmd.Context(), cfg)
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintln(os.Stderr)
			}
			if err != nil {
				return err
			}
			printBenchCartridges(cmd, rep)
			if report != "" {
				out := *rep
				if !fullReport {
					out.PairResults = nil
				}
				b, err := json.MarshalIndent(out, "", "  ")
				if err != nil {
					return err
				}
				if err := os.WriteFile(report, append(b, '\n'), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", report)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.DataDir, "data", "", "directory the truth CSV's file column is relative to")
	fl.StringVar(&cfg.TruthCSV, "truth", "", "ground-truth CSV with columns file and source_id")
	fl.StringVar(&report, "report", "", "write the JSON report to this file")
	fl.BoolVar(&fullReport, "pairs", false, "include every pair's result in the JSON report")
	fl.IntVar(&cfg.Workers, "workers", runtime.GOMAXPROCS(0), "pairs compared in parallel")
	fl.BoolVar(&cfg.Preprocessed, "preprocessed", false, "the scans are already processed (like the Fadul set)")
	fl.StringVar(&mode, "mode", string(cartridge.ModeFast), "registration search: fast or exhaustive")
	fl.StringVar(&preset, "preset", "default", "settings: default, or cmcr (cmcR's preprocessing and 0.90 missing-share limit)")
	fl.IntVar(&cfg.Limit, "limit", 0, "use only the first N files of the truth CSV")
	fl.StringVar(&calibration, "calibration", "", "score calibration JSON (default: the shipped one)")
	return cmd
}

func printBenchCartridges(cmd *cobra.Command, r *cartridge.BenchReport) {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "scans %d, pairs %d (%d same source), mode %s, %d workers\n", r.Scans, r.Pairs, r.SameSourcePairs, r.Mode, r.Workers)
	fmt.Fprintf(w, "AUC %.4f   EER %.4f   score: min same %.2f, max different %.2f\n", r.AUC, r.EER, r.MinSameScore, r.MaxDiffScore)
	fmt.Fprintf(w, "High-CMC: same-source min %d, different-source max %d (AUC %.4f); original CMC (min of directions): same min %d, different max %d\n",
		r.CMCSameMin, r.CMCDiffMax, r.CMCAUC, r.OriginalSameMin, r.OriginalDiffMax)
	fmt.Fprintf(w, "likelihood ratio: same source LR > 1 %.1f %%, different source LR < 1 %.1f %%, Cllr %.3f bits\n",
		100*r.LRSameAbove1, 100*r.LRDiffBelow1, r.Cllr)
	fmt.Fprintf(w, "ranking: top-1 %.3f  top-5 %.3f  top-10 %.3f  MRR %.3f\n", r.Top1, r.Top5, r.Top10, r.MRR)
	fmt.Fprintf(w, "speed: %.2f pairs/s, median %.0f ms per pair; preparing %.1f s, comparing %.1f s\n",
		r.PairsPerSecond, r.MedianPairMS, r.PrepareSeconds, r.CompareSeconds)
	fmt.Fprintf(w, "machine: %s, GOMAXPROCS %d, %s; calibration %s\n", r.CPU, r.GOMAXPROCS, r.GoVersion, r.Calibration)
	for _, u := range r.UnsuitableScans {
		fmt.Fprintln(w, "unsuitable:", u)
	}
	for _, e := range r.ComparisonErrors {
		fmt.Fprintln(w, "error:", e)
	}
}
