package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/compare/bullet"
)

func newBenchBulletsCmd() *cobra.Command {
	var data, truth, report string
	var workers int
	cmd := &cobra.Command{
		Use:   "bullets --data DIR --truth CSV",
		Short: "Compare every pair of bullets of a set and report land and bullet accuracy and speed",
		Long: `Preprocess every land listed in a ground-truth CSV once (columns file,
relative to --data, bullet_id, land, source_id and barrel_id; equal
source_id = same land of the same barrel, empty when unknown), compare every
pair of bullets, then print and optionally write a JSON report: land_pairs,
land_auc, land_eer, land_top1, bullet_pairs, bullet_auc, bullet_min_same,
bullet_max_diff, phase_accuracy, median_land_pair_ms, median_bullet_pair_ms
and machine details. Land figures use every pair of lands on different
bullets; timings are per comparison on one goroutine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data == "" || truth == "" {
				return fmt.Errorf("bench bullets: give --data DIR and --truth CSV")
			}
			f, err := os.Open(truth)
			if err != nil {
				return fmt.Errorf("bench bullets: %w", err)
			}
			rows, err := bullet.ReadTruthCSV(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("bench bullets: %s: %w", truth, err)
			}
			c, err := bullet.NewComparer()
			if err != nil {
				return err
			}
			bar := &barProgress{show: len(rows) >= 24}
			rep, err := c.Bench(cmd.Context(), rows, bullet.BenchOptions{Dir: data, Workers: workers, Progress: bar})
			bar.finish()
			if err != nil {
				return fmt.Errorf("bench bullets: %w", err)
			}
			printBenchBullets(cmd, rep)
			if report != "" {
				b, err := json.MarshalIndent(rep, "", "  ")
				if err != nil {
					return err
				}
				if err := os.WriteFile(report, append(b, '\n'), 0o644); err != nil {
					return fmt.Errorf("bench bullets: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", report)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&data, "data", "", "directory the truth CSV's file column is relative to")
	fl.StringVar(&truth, "truth", "", "ground-truth CSV (file, bullet_id, land, source_id, barrel_id)")
	fl.StringVar(&report, "report", "", "write the JSON report to this file")
	fl.IntVar(&workers, "workers", runtime.GOMAXPROCS(0), "lands and bullet pairs processed in parallel")
	return cmd
}

// barProgress shows a progress bar per stage on stderr for large sets.
type barProgress struct {
	show bool
	bar  *progressbar.ProgressBar
}

func (p *barProgress) Start(stage string, total int) {
	p.finish()
	p.bar = newProgressBar(os.Stderr, total, stage,
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetVisibility(p.show),
	)
}

func (p *barProgress) Add(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

func (p *barProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

func printBenchBullets(cmd *cobra.Command, r *bullet.BenchReport) {
	w := cmd.OutOrStdout()
	f := func(v bullet.Value) string { b, _ := v.MarshalJSON(); return string(b) }
	fmt.Fprintf(w, "lands %d on %d bullets; model %s\n", r.Lands, r.Bullets, r.Model)
	fmt.Fprintf(w, "land pairs %d (%d same land): AUC %s  EER %s  top-1 %s (%d lands with a mate)  min same %s  max different %s\n",
		r.LandPairs, r.LandSame, f(r.LandAUC), f(r.LandEER), f(r.LandTop1), r.LandQueries, f(r.LandMinSame), f(r.LandMaxDiff))
	fmt.Fprintf(w, "bullet pairs %d (%d same barrel): AUC %s (SAM of CCF: %s)  min same %s  max different %s  phase accuracy %s (%d pairs)\n",
		r.BulletPairs, r.BulletSame, f(r.BulletAUC), f(r.BulletAUCCCF), f(r.BulletMinSame), f(r.BulletMaxDiff), f(r.PhaseAccuracy), r.PhasePairs)
	fmt.Fprintf(w, "speed: median %.1f ms per land preprocessing, %.3f ms per land pair, %.2f ms per bullet pair; total %.1f s\n",
		r.MedianPreprocessMS, r.MedianLandMS, r.MedianBulletMS, r.TotalSeconds)
	fmt.Fprintf(w, "machine: %s, %d CPUs, GOMAXPROCS %d, %d workers, %s\n", r.Machine.CPU, r.Machine.NumCPU, r.Machine.GOMAXPROCS, r.Machine.Workers, r.Machine.GoVersion)
	for _, u := range r.UnsuitableLands {
		fmt.Fprintln(w, "unsuitable:", u)
	}
	for _, u := range r.RejectedFiles {
		fmt.Fprintln(w, "rejected:", u)
	}
}
