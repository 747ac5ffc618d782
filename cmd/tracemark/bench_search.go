package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/search"
)

func newBenchSearchCmd() *cobra.Command {
	var (
		cfg    search.BenchConfig
		report string
	)
	cmd := &cobra.Command{
		Use:   "search --synthetic N [--real DIR --truth CSV] [--k K] [--report out.json]",
		Short: "Benchmark the ranked search: index N synthetic (and real) cartridge cases and query them",
		Long: `Build an in-memory search index of N synthetic cartridge cases (--shots
per firearm, so that every query has mates), plus the real processed scans
of --real/--truth (columns file, source_id), then run --queries synthetic
queries and every real scan through the same pipeline as a real search:
class prefilter, coarse stage, full comparison (cartridge fast mode) of the
best --full of the --k coarse candidates. Reports exhibits,
ingest_per_second, coarse_ms_median, query_ms_median, query_ms_p95,
recall_at_k (share of true mates kept by the coarse stage), top1, k,
peak_rss_mib and machine details; progress goes to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Synthetic <= 0 && cfg.RealDir == "" {
				return fmt.Errorf("bench search: give --synthetic N and/or --real DIR --truth CSV")
			}
			if (cfg.RealDir == "") != (cfg.TruthCSV == "") {
				return fmt.Errorf("bench search: --real and --truth go together")
			}
			last := time.Time{}
			cfg.Progress = func(stage string, done, total int) {
				if time.Since(last) < time.Second && done < total {
					return
				}
				last = time.Now()
				fmt.Fprintf(os.Stderr, "%s: %d/%d\n", stage, done, total)
			}
			rep, err := search.RunBench(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "exhibits %d (synthetic %d, real %d), ingest %.1f/s\n", rep.Exhibits, rep.SyntheticCount, rep.RealCount, rep.IngestPerSecond)
			fmt.Fprintf(out, "k %d, full comparisons %d, rerank %d\n", rep.K, rep.Full, rep.Rerank)
			fmt.Fprintf(out, "coarse %.1f ms median; query %.0f ms median, %.0f ms p95\n", rep.CoarseMSMedian, rep.QueryMSMedian, rep.QueryMSP95)
			for _, s := range []struct {
				name string
				set  *search.BenchSet
			}{{"synthetic", rep.Synthetic}, {"real", rep.Real}} {
				if s.set != nil {
					fmt.Fprintf(out, "%s: %d queries, recall@%d %.3f (%d mates), top1 %.3f\n", s.name, s.set.Queries, rep.K, s.set.RecallAtK, s.set.Mates, s.set.Top1)
				}
			}
			fmt.Fprintf(out, "peak RSS %.0f MiB; load %.1f on %d CPUs\n", rep.PeakRSSMiB, rep.Machine.LoadAvg1, rep.Machine.NumCPU)
			if report != "" {
				b, err := json.MarshalIndent(rep, "", "  ")
				if err != nil {
					return fmt.Errorf("bench search: encoding the report: %w", err)
				}
				if err := os.WriteFile(report, append(b, '\n'), 0o644); err != nil {
					return fmt.Errorf("bench search: writing the report: %w", err)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Synthetic, "synthetic", 0, "number of synthetic cartridge cases to index")
	f.IntVar(&cfg.SyntheticShots, "shots", 4, "synthetic firings per firearm")
	f.Uint64Var(&cfg.Seed, "seed", 1, "synthetic corpus seed")
	f.StringVar(&cfg.RealDir, "real", "", "folder of real processed scans (e.g. the Fadul set)")
	f.StringVar(&cfg.TruthCSV, "truth", "", "ground-truth CSV of the real scans (columns file, source_id)")
	f.IntVar(&cfg.Queries, "queries", 50, "number of synthetic queries")
	f.IntVar(&cfg.Pipeline.K, "k", 100, "coarse candidates kept per query")
	f.IntVar(&cfg.Pipeline.Full, "full", 20, "candidates given the full comparison")
	f.IntVar(&cfg.Pipeline.Rerank, "rerank", 3000, "vector-scan survivors given the coarse rotation search")
	f.IntVar(&cfg.Pipeline.Workers, "workers", 0, "parallel workers (0: GOMAXPROCS)")
	f.StringVar(&report, "report", "", "write the JSON report to this file")
	return cmd
}
